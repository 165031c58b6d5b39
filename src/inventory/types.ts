export interface InventoryGroup {
  name: string;
  /** Hosts listed directly in this group. */
  hosts: string[];
  children: string[];
  vars: Record<string, unknown>;
}

export interface Inventory {
  /** Where it came from (path, or "local" for the built-in one). */
  source: string;
  /** Host names in inventory order. */
  hostNames: string[];
  groups: Map<string, InventoryGroup>;
  /** Variables of a host by SPEC §3 precedence (all < parent group < child group < host). */
  hostVars(host: string): Record<string, unknown>;
  /** Groups the host belongs to, directly or through children (excluding `all`). */
  groupsOf(host: string): string[];
  /** Hosts matching an Ansible pattern (`all`, names, groups, globs, `a:b`, `a:&b`, `a:!b`), inventory order. */
  select(pattern: string): string[];
}
