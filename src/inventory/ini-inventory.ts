/**
 * Ansible's INI inventory format:
 *
 *   mail.example.com                   # before any section: ungrouped
 *   [web]
 *   web[1:3].example.com:2222 ansible_user=deploy http_port=8080
 *   [web:vars]
 *   ntp_server=ntp.example.com
 *   [prod:children]
 *   web
 *
 * Values are Python literals where they parse as one (`8080` int, `True` bool, `'x'` str);
 * otherwise the text (so `true` and `0755` stay strings, as in Ansible). Lines starting with
 * `#` or `;` are comments; on host lines `#` starts a comment anywhere outside quotes. In a
 * `:vars` section runbook also drops a ` # comment` after a plain value (Ansible keeps it
 * as part of the value).
 */
import { ConfigError, type SourcePos } from '../core/errors.js';
import type { InventoryData } from './model.js';
import { iniValue, pythonLiteral, shlexSplit } from './python-literal.js';
import { expandHostPattern } from './ranges.js';

const SECTION = /^\[([^:\]\s]+)(?::(\w+))?\]\s*(?:[#;].*)?$/;
const GROUP_NAME = /^([^:\]\s]+)\s*(?:[#;].*)?$/;

interface Pending {
  line: number;
  state: 'vars' | 'children';
  parents: string[];
}

export function parseIniInventory(text: string, file: string, inv: InventoryData): void {
  const pending = new Map<string, Pending>();
  let group = 'ungrouped';
  let state: 'hosts' | 'vars' | 'children' = 'hosts';
  const lines = text.split(/\r\n|\n|\r/);

  const addPendingChildren = (name: string): void => {
    const p = pending.get(name)!;
    pending.delete(name);
    for (const parent of p.parents) {
      inv.addChild(parent, name, { file, line: p.line, col: 1 });
      if (pending.get(parent)?.state === 'children') addPendingChildren(parent);
    }
  };

  lines.forEach((raw, index) => {
    const lineNo = index + 1;
    const line = raw.trim();
    if (line === '' || line[0] === '#' || line[0] === ';') return;
    const indent = raw.length - raw.trimStart().length;
    const at = (offset = 0): SourcePos => ({ file, line: lineNo, col: indent + offset + 1 });

    const m = SECTION.exec(line);
    if (m) {
      group = m[1];
      const kind = m[2] ?? 'hosts';
      if (kind !== 'hosts' && kind !== 'vars' && kind !== 'children') {
        throw new ConfigError(`section [${group}:${kind}] has unknown type '${kind}': expected [${group}], [${group}:vars] or [${group}:children]`, at(group.length + 2));
      }
      state = kind;
      if (!inv.groups.has(group)) {
        if (state === 'vars' && !pending.has(group)) pending.set(group, { line: lineNo, state: 'vars', parents: [] });
        inv.addGroup(group, at());
      }
      const waiting = pending.get(group);
      if (waiting && state !== 'vars') {
        if (waiting.state === 'children') addPendingChildren(group);
        else pending.delete(group);
      }
      return;
    }
    if (line.startsWith('[') && /\]\s*(?:[#;].*)?$/.test(line)) {
      throw new ConfigError(
        `invalid section header '${line}': expected [group], [group:vars] or [group:children], with no spaces in the name`,
        at(),
      );
    }
    // A line that opens with [ and never closes it is a section header missing its ], not a host
    // range (a host line starts with a name: web[1:3]).
    if (line.startsWith('[') && !line.includes(']')) {
      throw new ConfigError(`section header '${line}' has no closing ']': expected [group], [group:vars] or [group:children]`, at());
    }

    if (state === 'hosts') {
      let tokens: string[];
      try {
        tokens = shlexSplit(line);
      } catch (e) {
        throw new ConfigError(`cannot read host line: ${(e as Error).message}`, at());
      }
      if (tokens.length === 0) return;
      const pattern = tokens[0];
      if (pattern === '---' || /^\S+:$/.test(line)) {
        throw new ConfigError(`'${line}' looks like YAML in an INI inventory: name YAML inventories *.yml`, at());
      }
      let expanded: { hosts: string[]; port?: number };
      try {
        expanded = expandHostPattern(pattern);
      } catch (e) {
        throw new ConfigError((e as Error).message, at());
      }
      const vars: [string, unknown, SourcePos?][] = [];
      let searchFrom = pattern.length;
      for (const t of tokens.slice(1)) {
        const offset = Math.max(line.indexOf(t.split('=')[0], searchFrom), 0);
        searchFrom = offset + 1;
        const eq = t.indexOf('=');
        if (eq <= 0) {
          throw new ConfigError(`expected key=value host variable after '${pattern}', found '${t}'`, at(offset));
        }
        vars.push([t.slice(0, eq), iniValue(t.slice(eq + 1)), at(offset + eq + 1)]);
      }
      inv.addHosts(expanded, group, at(), vars);
    } else if (state === 'vars') {
      const eq = line.indexOf('=');
      if (eq <= 0) throw new ConfigError(`expected key=value in [${group}:vars], found '${line}'`, at());
      const key = line.slice(0, eq).trim();
      const text = line.slice(eq + 1).trim();
      const literal = pythonLiteral(text);
      inv.setGroupVar(group, key, literal.ok ? literal.value : text.replace(/\s+#.*$/, ''), at(eq + 1));
    } else {
      const g = GROUP_NAME.exec(line);
      if (!g) throw new ConfigError(`expected a group name in [${group}:children], found '${line}'`, at());
      const child = g[1];
      if (!inv.groups.has(child)) {
        const p = pending.get(child);
        if (p) p.parents.push(group);
        else pending.set(child, { line: lineNo, state: 'children', parents: [group] });
      } else {
        inv.addChild(group, child, at());
      }
    }
  });

  for (const [name, p] of pending) {
    const pos = { file, line: p.line, col: 1 };
    if (p.state === 'vars') {
      throw new ConfigError(`section [${name}:vars] is for group '${name}', which is not defined ([${name}] or [${name}:children] defines it)`, pos);
    }
    throw new ConfigError(
      `section [${p.parents[p.parents.length - 1]}:children] includes group '${name}', which is not defined ([${name}] or [${name}:children] defines it)`,
      pos,
    );
  }
}
