import type { Transport } from '../transport/types.js';
import type { HostCounts } from '../core/types.js';
import { emptyCounts } from '../core/types.js';

/** One applied task that can be undone: what the module needs to reverse it, newest last. */
export interface UndoEntry {
  /** Task id (play/section/index) and name, for reports. */
  taskId: string;
  task: string;
  module: string;
  /** The task's validated parameters, as the module's undo takes them. */
  params: Record<string, unknown>;
  /** The module's undo record. */
  undo: unknown;
  /** Target host (differs from the host under delegate_to), its transport, and the task's become. */
  target: string;
  transport: Transport;
  become?: { user?: string };
}

/** What the run knows about one host across plays. */
export class HostState {
  /** Results registered by tasks (`register:`), persistent across plays as in Ansible. */
  readonly registered: Record<string, unknown> = {};
  /** Variables from include_vars, persistent across plays as in Ansible (below set_fact and registered results). */
  readonly includedVars: Record<string, unknown> = {};
  /** Index of the play that `meta: end_host` (or end_play) ended for this host: it runs nothing more in it. */
  endedPlay?: number;
  /** Blocks (by id) in which a task failed on this host, and in which part (rescue/always run from it). */
  readonly blockErrors = new Map<string, 'block' | 'rescue' | 'always'>();
  /**
   * Failed in a block no rescue caught, with an always part still to run: the host stays active
   * for those always tasks and is failed once past them.
   */
  failedPending = false;
  /** Handler topics notified in the current section. */
  readonly notified = new Set<string>();
  readonly counts: HostCounts = emptyCounts();
  /** A failed host runs no further tasks in the current play. */
  failed = false;
  /** An unreachable host runs nothing more in this run. */
  unreachable = false;
  /** Undo records of the tasks applied with keepUndo, in apply order (a rollback replays them backwards). */
  readonly undoLog: UndoEntry[] = [];

  constructor(
    readonly name: string,
    /** Inventory variables (already merged by inventory precedence). */
    readonly inventoryVars: Record<string, unknown>,
  ) {}

  get active(): boolean {
    return !this.failed && !this.unreachable;
  }
}
