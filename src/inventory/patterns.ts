/**
 * Ansible host patterns: `all`/`*`, host and group names, globs (`web*`, `db-[ab]?`),
 * regexes (`~web\d+`), subscripts (`web[0]`, `web[1:3]`, `web[-1]`), unions (`a:b`, `a,b`),
 * intersections (`a:&b`) and exclusions (`a:!b`). Unions are evaluated first, then
 * intersections, then exclusions, whatever order they were written in.
 */
import { ConfigError } from '../core/errors.js';

/** What pattern matching needs to know about an inventory. */
export interface PatternSource {
  /** Every host, in inventory order. */
  readonly hostNames: readonly string[];
  hasHost(name: string): boolean;
  groupNames(): Iterable<string>;
  /** Hosts of a group including its descendants' (Ansible's `group.get_hosts()` order). */
  groupHosts(name: string): string[];
}

/** Names Ansible resolves to the implicit localhost when no inventory host matches. */
export const LOCALHOST_NAMES: readonly string[] = ['localhost', '127.0.0.1', '::1'];

const IPV6 = /^[0-9a-fA-F]*:[0-9a-fA-F:.]*:[0-9a-fA-F:.%]*$/;
const PIECE = /(?:[^\s:[\]]|\[[^\]]*\])+/g;
const SUBSCRIPT = /^(.+)\[(?:(-?[0-9]+)|([0-9]+)([:-])([0-9]*))\]$/s;

/**
 * Split a pattern into its parts: on commas, then on colons that are not inside `[...]`
 * (so `web[0:2]` stays whole). A bare IPv6 address is one part. Lists are flattened.
 */
export function splitPattern(pattern: string | readonly string[]): string[] {
  if (Array.isArray(pattern)) return pattern.flatMap((p: string) => splitPattern(p));
  const out: string[] = [];
  for (const raw of (pattern as string).split(',')) {
    const piece = raw.trim();
    if (piece === '') continue;
    if (IPV6.test(piece)) {
      out.push(piece);
      continue;
    }
    for (const m of piece.matchAll(PIECE)) {
      const p = m[0].trim();
      if (p !== '') out.push(p);
    }
  }
  return out;
}

/** Unions first, then `&` intersections, then `!` exclusions; `all` when only the latter two. */
export function orderPatterns(parts: readonly string[]): string[] {
  const regular: string[] = [];
  const intersect: string[] = [];
  const exclude: string[] = [];
  for (const p of parts) {
    if (p.startsWith('!')) exclude.push(p);
    else if (p.startsWith('&')) intersect.push(p);
    else regular.push(p);
  }
  if (regular.length === 0) regular.push('all');
  return [...regular, ...intersect, ...exclude];
}

/** Python's `fnmatch.translate`: `*`, `?`, `[seq]`, `[!seq]`; anchored at both ends. */
export function globToRegExp(glob: string): RegExp {
  let re = '';
  let i = 0;
  const n = glob.length;
  while (i < n) {
    const c = glob[i++];
    if (c === '*') re += '.*';
    else if (c === '?') re += '.';
    else if (c === '[') {
      let j = i;
      if (j < n && glob[j] === '!') j++;
      if (j < n && glob[j] === ']') j++;
      while (j < n && glob[j] !== ']') j++;
      if (j >= n) {
        re += '\\[';
      } else {
        let stuff = glob.slice(i, j).replace(/\\/g, '\\\\');
        i = j + 1;
        if (stuff[0] === '!') stuff = '^' + stuff.slice(1);
        else if (stuff[0] === '^' || stuff[0] === '[') stuff = '\\' + stuff;
        re += `[${stuff}]`;
      }
    } else re += c.replace(/[.*+?^${}()|[\]\\/-]/g, '\\$&');
  }
  return new RegExp(`^(?:${re})$`, 's');
}

function matcher(pattern: string): (name: string) => boolean {
  if (pattern.startsWith('~')) {
    let re: RegExp;
    try {
      re = new RegExp(pattern.slice(1), 'y'); // Python's re.match: anchored at the start only
    } catch (e) {
      throw new ConfigError(`invalid host pattern '${pattern}': ${(e as Error).message}`);
    }
    return (name) => {
      re.lastIndex = 0;
      return re.test(name);
    };
  }
  const re = globToRegExp(pattern);
  return (name) => re.test(name);
}

function splitSubscript(pattern: string): { expr: string; sub?: [number, number | undefined] } {
  if (pattern.startsWith('~')) return { expr: pattern };
  const m = SUBSCRIPT.exec(pattern);
  if (!m) return { expr: pattern };
  const [, expr, idx, start, , end] = m;
  if (idx !== undefined) return { expr, sub: [Number(idx), undefined] };
  return { expr, sub: [Number(start), end === '' ? -1 : Number(end)] };
}

/**
 * Why a pattern can never match any host, whatever the inventory holds: an `&` or `!` with
 * nothing after it (`web:&`), a subscript range that runs backwards (`web[3:1]`), a regex
 * that does not compile. Undefined when the pattern is fine.
 */
export function impossiblePattern(pattern: string | readonly string[]): string | undefined {
  for (const p of splitPattern(pattern)) {
    if (p === '&' || p === '!') {
      return `'${p}' needs a host or group after it (as in 'web:${p}db'), found nothing`;
    }
    const body = p.startsWith('!') || p.startsWith('&') ? p.slice(1) : p;
    if (body.startsWith('~')) {
      try {
        new RegExp(body.slice(1));
      } catch (e) {
        return `'${p}' is not a valid regular expression: ${(e as Error).message}`;
      }
      continue;
    }
    const { expr, sub } = splitSubscript(body);
    if (sub && sub[1] !== undefined && sub[1] !== -1 && sub[1] < sub[0]) {
      return `the range in '${p}' runs backwards (${sub[0]} > ${sub[1]}): write ${expr}[${sub[1]}:${sub[0]}]`;
    }
  }
  return undefined;
}

function applySubscript(hosts: string[], sub: [number, number | undefined] | undefined): string[] {
  if (!sub) return hosts;
  const [start, end] = sub;
  if (end) {
    const last = end === -1 ? hosts.length - 1 : end;
    return hosts.slice(start, last + 1);
  }
  const i = start < 0 ? hosts.length + start : start;
  return i >= 0 && i < hosts.length ? [hosts[i]] : [];
}

function enumerate(src: PatternSource, expr: string, implicitLocalhost: boolean): string[] {
  const results: string[] = [];
  const seen = new Set<string>();
  const add = (h: string): void => {
    if (!seen.has(h)) {
      seen.add(h);
      results.push(h);
    }
  };
  if (expr === 'all' || expr === '*') {
    src.hostNames.forEach(add);
    return results;
  }
  const match = matcher(expr);
  let groupMatched = false;
  for (const g of src.groupNames()) {
    if (match(g)) {
      groupMatched = true;
      src.groupHosts(g).forEach(add);
    }
  }
  const special = expr.startsWith('~') || /[.?*[]/.test(expr);
  if (!groupMatched || special) {
    for (const h of src.hostNames) if (match(h)) add(h);
  }
  if (results.length === 0 && implicitLocalhost && LOCALHOST_NAMES.includes(expr)) add(expr);
  return results;
}

/**
 * Hosts matching an Ansible pattern, each once, in inventory order (an implicit localhost,
 * when allowed and asked for by name, comes last). Matching nothing gives [].
 */
export function selectHosts(
  src: PatternSource,
  pattern: string | readonly string[],
  opts: { implicitLocalhost?: boolean } = {},
): string[] {
  const parts = splitPattern(pattern);
  if (parts.length === 0) return [];
  let hosts: string[] = [];
  for (const p of orderPatterns(parts)) {
    if (src.hasHost(p)) {
      if (!hosts.includes(p)) hosts.push(p);
      continue;
    }
    const body = p.startsWith('!') || p.startsWith('&') ? p.slice(1) : p;
    const { expr, sub } = splitSubscript(body);
    const that = applySubscript(enumerate(src, expr, opts.implicitLocalhost ?? false), sub);
    if (p.startsWith('!')) {
      const s = new Set(that);
      hosts = hosts.filter((h) => !s.has(h));
    } else if (p.startsWith('&')) {
      const s = new Set(that);
      hosts = hosts.filter((h) => s.has(h));
    } else {
      const s = new Set(hosts);
      for (const h of that) if (!s.has(h)) hosts.push(h);
    }
  }
  const order = new Map(src.hostNames.map((h, i) => [h, i]));
  return hosts
    .map((h, i) => ({ h, k: order.get(h) ?? src.hostNames.length + i }))
    .sort((a, b) => a.k - b.k)
    .map((x) => x.h);
}
