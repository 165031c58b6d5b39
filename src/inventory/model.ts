/**
 * The in-memory inventory: what the parsers (YAML, INI, host lists) build, reconciled by
 * Ansible's rules, and the `Inventory` the engine reads (variables by precedence, patterns).
 */
import { ConfigError, type SourcePos } from '../core/errors.js';
import { descendantHosts } from './groups.js';
import { LOCALHOST_NAMES, selectHosts, type PatternSource } from './patterns.js';
import type { Inventory, InventoryGroup } from './types.js';

type Vars = Record<string, unknown>;

export interface GroupRecord {
  name: string;
  /** Hosts listed directly in the group, in the order first listed. */
  hosts: string[];
  children: string[];
  parents: string[];
  /** Variables written in the inventory source itself. */
  inlineVars: Vars;
  /** Variables from `group_vars/` files (override inline ones of the same group). */
  fileVars: Vars;
  /** `ansible_group_priority`: siblings at equal depth merge by (priority, name). */
  priority: number;
  pos?: SourcePos;
}

export interface HostRecord {
  name: string;
  /** Groups that list the host directly. */
  groups: Set<string>;
  inlineVars: Vars;
  /** Variables from `host_vars/` files. */
  fileVars: Vars;
  pos?: SourcePos;
}

/** Mutable inventory under construction; `all` and `ungrouped` always exist. */
export class InventoryData {
  readonly groups = new Map<string, GroupRecord>();
  readonly hosts = new Map<string, HostRecord>();
  /** `host_vars/` files of names that are not inventory hosts (the implicit localhost). */
  readonly extraHostFileVars = new Map<string, Vars>();
  /** Where each inline variable was written: key `host|group`, NUL, name, NUL, variable. */
  readonly varPos = new Map<string, SourcePos>();
  /** What Ansible accepts with a warning: accepted here too, with the same warning. */
  readonly warnings: { msg: string; pos?: SourcePos }[] = [];

  constructor() {
    this.addGroup('all');
    this.addGroup('ungrouped');
    this.addChild('all', 'ungrouped');
  }

  addGroup(name: string, pos?: SourcePos): GroupRecord {
    let g = this.groups.get(name);
    if (!g) {
      if (name === '') throw new ConfigError('a group name must not be empty', pos);
      if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(name)) {
        this.warnings.push({ msg: `invalid characters in group name '${name}' (Ansible warns the same): it works in host patterns; in expressions write groups['${name}']`, pos });
      }
      g = { name, hosts: [], children: [], parents: [], inlineVars: {}, fileVars: {}, priority: 1, pos };
      this.groups.set(name, g);
    }
    return g;
  }

  addChild(parent: string, child: string, pos?: SourcePos): void {
    const p = this.addGroup(parent, pos);
    const c = this.addGroup(child, pos);
    if (parent === child) throw new ConfigError(`group '${parent}' cannot be a child of itself`, pos);
    if (child === 'all') throw new ConfigError(`group 'all' cannot be a child of '${parent}'`, pos);
    if (p.children.includes(child)) return;
    if (this.isAncestor(child, parent)) {
      throw new ConfigError(`making '${child}' a child of '${parent}' creates a loop ('${parent}' is already under '${child}')`, pos);
    }
    p.children.push(child);
    c.parents.push(parent);
  }

  /** Whether `a` is `b` or one of `b`'s ancestors. */
  private isAncestor(a: string, b: string): boolean {
    const seen = new Set<string>();
    const stack = [b];
    while (stack.length) {
      const n = stack.pop()!;
      if (n === a) return true;
      if (seen.has(n)) continue;
      seen.add(n);
      stack.push(...(this.groups.get(n)?.parents ?? []));
    }
    return false;
  }

  /** Add a host (first mention fixes its place in inventory order) to a group. */
  addHost(name: string, group: string, pos?: SourcePos): HostRecord {
    if (name === '') throw new ConfigError('a host name must not be empty', pos);
    let h = this.hosts.get(name);
    if (!h) {
      h = { name, groups: new Set(), inlineVars: {}, fileVars: {}, pos };
      this.hosts.set(name, h);
    }
    const g = this.addGroup(group, pos);
    if (!h.groups.has(group)) {
      h.groups.add(group);
      g.hosts.push(name);
    }
    return h;
  }

  /** `pos`: where the value was written, for the error an invalid ansible_group_priority gets. */
  setGroupVar(group: string, key: string, value: unknown, pos?: SourcePos): void {
    const g = this.addGroup(group);
    if (key === 'ansible_group_priority') {
      const n = Number(value);
      if (!Number.isInteger(n)) throw new ConfigError(`ansible_group_priority of group '${group}' must be an integer, found '${String(value)}'`, pos);
      g.priority = n;
      return;
    }
    g.inlineVars[key] = value;
    if (pos) this.varPos.set(`group\0${group}\0${key}`, pos);
  }

  /** Add the hosts of an expanded host pattern to a group, with their port and variables. */
  addHosts(
    expanded: { hosts: string[]; port?: number },
    group: string,
    pos?: SourcePos,
    vars: [string, unknown, SourcePos?][] = [],
  ): void {
    for (const host of expanded.hosts) {
      this.addHost(host, group, pos);
      if (expanded.port !== undefined) this.setHostVar(host, 'ansible_port', expanded.port, pos);
      for (const [k, v, at] of vars) this.setHostVar(host, k, v, at ?? pos);
    }
  }

  setHostVar(host: string, key: string, value: unknown, pos?: SourcePos): void {
    const h = this.hosts.get(host);
    if (!h) throw new Error(`internal: setHostVar on unknown host ${host}`);
    h.inlineVars[key] = value;
    if (pos) this.varPos.set(`host\0${host}\0${key}`, pos);
  }

  private removeFromGroup(host: HostRecord, group: string): void {
    host.groups.delete(group);
    const g = this.groups.get(group);
    if (g) g.hosts = g.hosts.filter((h) => h !== host.name);
  }

  /**
   * Ansible's reconcile: every group without a parent becomes a child of `all`; a host in no
   * group but `all` goes to `ungrouped`; a host in `ungrouped` and elsewhere leaves it.
   */
  reconcile(): void {
    for (const g of this.groups.values()) {
      if (g.name !== 'all' && g.parents.length === 0) this.addChild('all', g.name);
    }
    for (const h of this.hosts.values()) {
      const others = [...h.groups].filter((g) => g !== 'all' && g !== 'ungrouped');
      if (h.groups.has('ungrouped')) {
        if (others.length > 0) this.removeFromGroup(h, 'ungrouped');
      } else if (others.length === 0) {
        this.addHost(h.name, 'ungrouped');
      }
    }
  }
}

/** The reconciled inventory the engine reads. */
export class StaticInventory implements Inventory, PatternSource {
  readonly hostNames: string[];
  readonly groups: Map<string, InventoryGroup>;
  readonly warnings: { msg: string; pos?: SourcePos }[];
  private readonly depths = new Map<string, number>();
  private readonly varsCache = new Map<string, Vars>();
  private readonly groupHostsCache = new Map<string, string[]>();
  private readonly ancestorsCache = new Map<string, string[]>();

  constructor(
    readonly source: string,
    private readonly data: InventoryData,
    /** Directory of the inventory source (`inventory_dir`); undefined when built in. */
    readonly dir?: string,
  ) {
    this.hostNames = [...data.hosts.keys()];
    this.warnings = data.warnings;
    for (const h of this.hostNames) {
      if (data.groups.has(h)) this.warnings.push({ msg: `found both a group and a host named '${h}': the pattern '${h}' means the host, as in Ansible`, pos: data.groups.get(h)!.pos });
    }
    this.groups = new Map();
    for (const g of data.groups.values()) {
      this.groups.set(g.name, {
        name: g.name,
        hosts: [...g.hosts],
        children: [...g.children],
        vars: { ...g.inlineVars, ...g.fileVars },
      });
    }
  }

  hasHost(name: string): boolean {
    return this.data.hosts.has(name);
  }

  groupNames(): Iterable<string> {
    return this.groups.keys();
  }

  groupHosts(name: string): string[] {
    let hosts = this.groupHostsCache.get(name);
    if (!hosts) {
      hosts = name === 'all' ? [...this.hostNames] : descendantHosts(this.groups, name);
      this.groupHostsCache.set(name, hosts);
    }
    return [...hosts];
  }

  /** Longest path from `all` (which is 0). */
  depthOf(group: string): number {
    const known = this.depths.get(group);
    if (known !== undefined) return known;
    const g = this.data.groups.get(group);
    let d = 0;
    if (g && group !== 'all') {
      d = g.parents.length === 0 ? 1 : Math.max(...g.parents.map((p) => this.depthOf(p) + 1));
    }
    this.depths.set(group, d);
    return d;
  }

  /** All groups a host is in, directly or through a child group, including `all`. */
  private ancestorsOf(host: string): string[] {
    const cached = this.ancestorsCache.get(host);
    if (cached) return cached;
    const h = this.data.hosts.get(host);
    const seen = new Set<string>();
    const stack = h ? [...h.groups] : [];
    while (stack.length) {
      const g = stack.pop()!;
      if (seen.has(g)) continue;
      seen.add(g);
      stack.push(...(this.data.groups.get(g)?.parents ?? []));
    }
    const out = [...seen];
    this.ancestorsCache.set(host, out);
    return out;
  }

  groupsOf(host: string): string[] {
    return this.ancestorsOf(host)
      .filter((g) => g !== 'all')
      .sort();
  }

  /**
   * Variables of a host, lowest precedence first: `all` (inline, then group_vars/all), each
   * other group of the host sorted by (depth, ansible_group_priority, name) (inline, then its
   * group_vars file), then the host's inline vars, then its host_vars files. Shallow merge
   * (Ansible's hash_behaviour=replace). Returns a fresh deep copy.
   */
  hostVars(host: string): Record<string, unknown> {
    let merged = this.varsCache.get(host);
    if (!merged) {
      merged = this.computeVars(host);
      this.varsCache.set(host, merged);
    }
    return structuredClone(merged);
  }

  private computeVars(host: string): Vars {
    const all = this.data.groups.get('all')!;
    const h = this.data.hosts.get(host);
    if (!h) {
      if (!LOCALHOST_NAMES.includes(host)) throw new ConfigError(`host '${host}' is not in inventory ${this.source}`);
      // Ansible's implicit localhost: `all` group vars and its own host_vars/ file.
      return {
        ...all.inlineVars,
        ...all.fileVars,
        ansible_connection: 'local',
        ...(this.data.extraHostFileVars.get(host) ?? {}),
      };
    }
    const groups = this.ancestorsOf(host)
      .filter((g) => g !== 'all')
      .map((g) => this.data.groups.get(g)!)
      .sort(
        (a, b) =>
          this.depthOf(a.name) - this.depthOf(b.name) ||
          a.priority - b.priority ||
          (a.name < b.name ? -1 : a.name > b.name ? 1 : 0),
      );
    const out: Vars = { ...all.inlineVars, ...all.fileVars };
    for (const g of groups) Object.assign(out, g.inlineVars, g.fileVars);
    Object.assign(out, h.inlineVars, h.fileVars);
    return out;
  }

  /**
   * Where the value `hostVars(host)[key]` comes from: the inventory position when the
   * inventory source wrote it, else the group_vars/host_vars entity that set it.
   */
  varOrigin(host: string, key: string): { pos?: SourcePos; where: string } | undefined {
    const h = this.data.hosts.get(host);
    const all = this.data.groups.get('all')!;
    const at = (kind: string, name: string) => this.data.varPos.get(`${kind}\0${name}\0${key}`);
    if (h) {
      if (key in h.fileVars) return { where: `host_vars of ${host}` };
      if (key in h.inlineVars) return { pos: at('host', host) ?? h.pos, where: `host ${host}` };
    } else if (key in (this.data.extraHostFileVars.get(host) ?? {})) {
      return { where: `host_vars of ${host}` };
    }
    const groups = h
      ? this.ancestorsOf(host)
          .filter((g) => g !== 'all')
          .map((g) => this.data.groups.get(g)!)
          .sort(
            (a, b) =>
              this.depthOf(b.name) - this.depthOf(a.name) ||
              b.priority - a.priority ||
              (a.name < b.name ? 1 : a.name > b.name ? -1 : 0),
          )
      : [];
    for (const g of [...groups, all]) {
      if (key in g.fileVars) return { where: `group_vars of ${g.name}` };
      if (key in g.inlineVars) return { pos: at('group', g.name) ?? g.pos, where: `group ${g.name}` };
    }
    return undefined;
  }

  select(pattern: string): string[] {
    return selectHosts(this, pattern, { implicitLocalhost: true });
  }
}
