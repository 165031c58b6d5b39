import type { SourcePos } from '../core/errors.js';

export interface InventoryGroup {
  name: string;
  /** Hosts listed directly in this group. */
  hosts: string[];
  children: string[];
  vars: Record<string, unknown>;
}

export interface Inventory {
  /** Where it came from (absolute path, "local" for the built-in one, or the `a,b,` host list). */
  source: string;
  /** Directory of the inventory (the `inventory_dir` magic variable); undefined when not from files. */
  dir?: string;
  /** Host names in inventory order. */
  hostNames: string[];
  /** Whether `name` is an inventory host (a set lookup, not a scan of hostNames). */
  hasHost(name: string): boolean;
  groups: Map<string, InventoryGroup>;
  /** Variables of a host by SPEC §3 precedence (all < parent group < child group < host). */
  hostVars(host: string): Record<string, unknown>;
  /** Groups the host belongs to, directly or through children (excluding `all`), sorted by name as `group_names`. */
  groupsOf(host: string): string[];
  /**
   * Hosts matching an Ansible pattern (`all`, names, groups, globs, `~regex`, `web[0:2]`, `a:b`,
   * `a,b`, `a:&b`, `a:!b`), each once, in inventory order. `localhost` (and 127.0.0.1, ::1)
   * named explicitly matches the implicit localhost when the inventory has no such host.
   */
  select(pattern: string): string[];
  /** What Ansible accepts with a warning (a duplicate key, an unexpected key, an odd group name). */
  warnings?: readonly { msg: string; pos?: SourcePos }[];
  /** Where the host's value of `key` was written (file:line:col when the source has it). */
  varOrigin?(host: string, key: string): { pos?: SourcePos; where: string } | undefined;
}
