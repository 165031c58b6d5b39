/**
 * `runbook inventory`: the output of ansible-inventory --list / --host / --graph, built from
 * an Inventory. Pure functions; the command wiring prints them. Objects come back with their
 * keys sorted (ansible-inventory dumps with sort_keys=True), so
 * `JSON.stringify(obj, null, 4)` prints what ansible-inventory prints.
 */
import { ConfigError } from '../core/errors.js';
import { checkConnectionVars } from '../inventory/connection-check.js';
import type { Inventory, InventoryGroup } from '../inventory/types.js';
import { literalText } from '../template/unsafe.js';

/** Magic and run-level names ansible-inventory leaves out of host variables. */
const INTERNAL_VARS = new Set([
  'ansible_config_file',
  'ansible_diff_mode',
  'ansible_check_mode',
  'ansible_facts',
  'ansible_forks',
  'ansible_inventory_sources',
  'ansible_limit',
  'ansible_play_batch',
  'ansible_play_hosts',
  'ansible_play_hosts_all',
  'ansible_play_name',
  'ansible_playbook_python',
  'ansible_run_tags',
  'ansible_skip_tags',
  'ansible_verbosity',
  'ansible_version',
  'inventory_dir',
  'inventory_file',
  'inventory_hostname',
  'inventory_hostname_short',
  'groups',
  'group_names',
  'hostvars',
  'omit',
  'playbook_dir',
  'play_hosts',
  'role_name',
  'role_names',
  'role_path',
]);

function isPlainObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && Object.getPrototypeOf(v) === Object.prototype;
}

/** Object keys sorted at every level (lists keep their order), as Python's sort_keys. */
export function sortKeysDeep<T>(value: T): T {
  if (Array.isArray(value)) return value.map((v) => sortKeysDeep(v)) as T;
  if (isPlainObject(value)) {
    const out: Record<string, unknown> = {};
    for (const k of Object.keys(value).sort()) out[k] = sortKeysDeep(value[k]);
    return out as T;
  }
  return value;
}

/** `!unsafe` values as they were written. */
function shown(v: unknown): unknown {
  if (typeof v === 'string') return v.includes("{{ '") ? literalText(v) : v;
  if (Array.isArray(v)) return v.map(shown);
  if (isPlainObject(v)) return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, shown(x)]));
  return v;
}

function publicVars(vars: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(vars)) if (!INTERNAL_VARS.has(k)) out[k] = shown(v);
  return out;
}

/**
 * `ansible-inventory --list`: `_meta.hostvars` (each host's merged variables, hosts without
 * any left out), `all.children`, and per non-empty group its direct `hosts` and `children`.
 * `limit` (a pattern) narrows the hosts, as `--limit` does.
 */
export function inventoryList(inv: Inventory, limit?: string): Record<string, unknown> {
  const known = new Set(inv.hostNames);
  const available = limit === undefined ? known : new Set(inv.select(limit).filter((h) => known.has(h)));
  // What a run would refuse, --list refuses too.
  checkConnectionVars(inv, inv.hostNames.filter((h) => available.has(h)));
  const results: Record<string, unknown> = {};
  const seen = new Set<string>();

  const format = (group: InventoryGroup): void => {
    const entry: { hosts?: string[]; children?: string[] } = {};
    if (group.name !== 'all') {
      const hosts = group.hosts.filter((h) => available.has(h));
      if (hosts.length) entry.hosts = hosts;
    }
    const children: string[] = [];
    for (const c of group.children) {
      const child = inv.groups.get(c);
      if (!child) continue;
      children.push(c);
      if (!seen.has(c)) {
        format(child);
        seen.add(c);
      }
    }
    if (children.length) entry.children = children;
    if (entry.hosts || entry.children) results[group.name] = entry;
    else delete results[group.name];
  };
  const all = inv.groups.get('all');
  if (all) format(all);

  const hostvars: Record<string, unknown> = {};
  for (const h of inv.hostNames) {
    if (!available.has(h)) continue;
    const vars = publicVars(inv.hostVars(h));
    if (Object.keys(vars).length) hostvars[h] = vars;
  }
  results._meta = { hostvars };
  return sortKeysDeep(results);
}

/** `ansible-inventory --host H`: the merged variables of the one host `host` names. */
export function inventoryHost(inv: Inventory, host: string): Record<string, unknown> {
  const hosts = inv.select(host);
  if (hosts.length !== 1) {
    throw new ConfigError(
      hosts.length === 0
        ? `--host: no host in inventory ${inv.source} matches '${host}'`
        : `--host needs a single host: '${host}' matches ${hosts.length} (${hosts.slice(0, 5).join(', ')}${hosts.length > 5 ? ', ...' : ''})`,
    );
  }
  return sortKeysDeep(publicVars(inv.hostVars(hosts[0])));
}

/** Python's `str()` of a value (top-level strings bare, nested ones quoted), for --graph --vars. */
function pyStr(v: unknown, nested = false): string {
  if (v === null || v === undefined) return 'None';
  if (v === true) return 'True';
  if (v === false) return 'False';
  if (typeof v === 'string') return nested ? `'${v.replace(/\\/g, '\\\\').replace(/'/g, "\\'").replace(/\n/g, '\\n')}'` : v;
  if (Array.isArray(v)) return `[${v.map((x) => pyStr(x, true)).join(', ')}]`;
  if (isPlainObject(v)) return `{${Object.entries(v).map(([k, x]) => `${pyStr(k, true)}: ${pyStr(x, true)}`).join(', ')}}`;
  return String(v);
}

function graphLine(name: string, depth: number): string {
  return depth ? `${'  |'.repeat(depth)}--${name}` : name;
}

/**
 * `ansible-inventory --graph [GROUP]`: the tree of groups from GROUP (default `all`), child
 * groups first, then the group's own hosts (none listed under `all`):
 *
 *   @all:
 *     |--@ungrouped:
 *     |--@web:
 *     |  |--web1
 *
 * With `vars`, as `--graph --vars`: `{name = value}` lines under each host and group.
 */
export function inventoryGraph(inv: Inventory, pattern = 'all', opts: { vars?: boolean } = {}): string {
  const start = inv.groups.get(pattern);
  if (!start) {
    throw new ConfigError(`--graph needs a group name: '${pattern}' is not a group of ${inv.source} (groups: ${[...inv.groups.keys()].join(', ')})`);
  }
  const showVars = (vars: Record<string, unknown>, depth: number): string[] =>
    Object.keys(vars)
      .sort()
      .map((k) => graphLine(`{${k} = ${pyStr(vars[k])}}`, depth));

  const walk = (group: InventoryGroup, depth: number): string[] => {
    const lines = [graphLine(`@${group.name}:`, depth)];
    for (const c of group.children) {
      const child = inv.groups.get(c);
      if (child) lines.push(...walk(child, depth + 1));
    }
    if (group.name !== 'all') {
      for (const h of group.hosts) {
        lines.push(graphLine(h, depth + 1));
        if (opts.vars) lines.push(...showVars(publicVars(inv.hostVars(h)), depth + 2));
      }
    }
    if (opts.vars) lines.push(...showVars(publicVars(group.vars), depth + 1));
    return lines;
  };
  return walk(start, 0).join('\n');
}
