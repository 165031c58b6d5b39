import type { Inventory, InventoryGroup } from './types.js';

/**
 * Hosts of a group and of all its descendants, in Ansible's order: the group's own hosts,
 * then its children's, then grandchildren's (breadth first), each host once.
 */
export function descendantHosts(groups: ReadonlyMap<string, InventoryGroup>, name: string): string[] {
  const start = groups.get(name);
  if (!start) return [];
  const out: string[] = [];
  const seenHosts = new Set<string>();
  const seenGroups = new Set<string>([name]);
  let level: InventoryGroup[] = [start];
  while (level.length > 0) {
    const next: InventoryGroup[] = [];
    for (const g of level) {
      for (const h of g.hosts) {
        if (!seenHosts.has(h)) {
          seenHosts.add(h);
          out.push(h);
        }
      }
      for (const c of g.children) {
        const child = groups.get(c);
        if (child && !seenGroups.has(c)) {
          seenGroups.add(c);
          next.push(child);
        }
      }
    }
    level = next;
  }
  return out;
}

/**
 * The `groups` magic variable: every group name (including `all` and `ungrouped`) to the
 * hosts in it, directly or through child groups. `all` lists every host in inventory order.
 */
export function groupsMap(inv: Pick<Inventory, 'groups' | 'hostNames'>): Record<string, string[]> {
  const out: Record<string, string[]> = {};
  for (const name of inv.groups.keys()) {
    out[name] = name === 'all' ? [...inv.hostNames] : descendantHosts(inv.groups, name);
  }
  if (!('all' in out)) out.all = [...inv.hostNames];
  if (!('ungrouped' in out)) out.ungrouped = [];
  return out;
}
