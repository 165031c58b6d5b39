import type { HostCounts } from '../core/types.js';
import { emptyCounts } from '../core/types.js';

/** What the run knows about one host across plays. */
export class HostState {
  /** Results registered by tasks (`register:`), persistent across plays as in Ansible. */
  readonly registered: Record<string, unknown> = {};
  /** Handler topics notified in the current section. */
  readonly notified = new Set<string>();
  readonly counts: HostCounts = emptyCounts();
  /** A failed host runs no further tasks in the current play. */
  failed = false;
  /** An unreachable host runs nothing more in this run. */
  unreachable = false;

  constructor(
    readonly name: string,
    /** Inventory variables (already merged by inventory precedence). */
    readonly inventoryVars: Record<string, unknown>,
  ) {}

  get active(): boolean {
    return !this.failed && !this.unreachable;
  }
}
