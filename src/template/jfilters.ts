import path from 'node:path/posix';
import YAML from 'yaml';
import { compare, deepEqual, HelperError, shellQuote, toBool, toJson, truthy } from './helpers.js';
import { pyYamlDump } from './pyyaml.js';
import { getField, isPlainObject, isRuntimeUnknown, kindOf } from './runtime.js';

/**
 * Jinja's and Ansible's filters and tests with Python's semantics, for the one expression
 * language (expr.ts): `.j2` templates and `when:` conditions. Pure functions of plain data;
 * filters that take a filter or test by name (`map('upper')`, `select('odd')`) get them
 * through `env`.
 */

export interface FilterEnv {
  filter(name: string, v: unknown, args: unknown[], kwargs: Record<string, unknown>): unknown;
  test(name: string, v: unknown, args: unknown[]): boolean;
  /** Whether a test of that name exists. */
  hasTest(name: string): boolean;
}

export type FilterFn = (v: unknown, args: unknown[], kwargs: Record<string, unknown>, env: FilterEnv) => unknown;
export type TestFn = (v: unknown, args: unknown[]) => boolean;

/** Python's str() of a value, as Jinja prints it: True, None, ['a', 1], {'k': 'v'}. */
export function pyStr(v: unknown): string {
  if (typeof v === 'string') return v;
  if (v === null || v === undefined) return 'None';
  if (v === true) return 'True';
  if (v === false) return 'False';
  if (typeof v === 'number') return pyNum(v);
  if (isRuntimeUnknown(v)) return v.toString();
  if (Array.isArray(v)) return `[${v.map(pyRepr).join(', ')}]`;
  if (isPlainObject(v)) return `{${Object.entries(v).map(([k, x]) => `${pyRepr(k)}: ${pyRepr(x)}`).join(', ')}}`;
  return String(v);
}

function pyNum(n: number): string {
  if (Number.isNaN(n)) return 'nan';
  if (n === Infinity) return 'inf';
  if (n === -Infinity) return '-inf';
  return String(n);
}

/** Python's repr() of a value (strings quoted as Python quotes them). */
export function pyRepr(v: unknown): string {
  if (typeof v !== 'string') return pyStr(v);
  const q = v.includes("'") && !v.includes('"') ? '"' : "'";
  const body = v
    .replace(/\\/g, '\\\\')
    .replace(/\n/g, '\\n')
    .replace(/\r/g, '\\r')
    .replace(/\t/g, '\\t')
    .replace(q === "'" ? /'/g : /"/g, `\\${q}`);
  return `${q}${body}${q}`;
}

function str(v: unknown, what: string): string {
  if (typeof v === 'string') return v;
  if (typeof v === 'number' || typeof v === 'boolean' || v === null) return pyStr(v);
  throw new HelperError(`${what} expects a string, found ${kindOf(v)}`);
}

function seq(v: unknown, what: string): unknown[] {
  if (Array.isArray(v)) return v;
  if (typeof v === 'string') return [...v];
  if (isPlainObject(v)) return Object.keys(v);
  throw new HelperError(`${what} expects a list, found ${kindOf(v)}`);
}

function num(v: unknown, what: string): number {
  if (typeof v === 'number') return v;
  if (typeof v === 'boolean') return Number(v);
  throw new HelperError(`${what} expects a number, found ${kindOf(v)}`);
}

/** A field path (`a.b`, `a.0`) of an item, as Jinja's attribute= arguments read it. */
function attr(item: unknown, field: unknown, what: string): unknown {
  let cur = item;
  for (const part of String(field).split('.')) {
    const r = getField(cur, /^\d+$/.test(part) ? Number(part) : part);
    if (!r.found) throw new HelperError(`${what}: ${kindOf(cur)} has no field '${part}'`);
    cur = r.value;
  }
  return cur;
}

function attrOrUndefined(item: unknown, field: unknown): { found: boolean; value?: unknown } {
  let cur = item;
  for (const part of String(field).split('.')) {
    const r = getField(cur, /^\d+$/.test(part) ? Number(part) : part);
    if (!r.found) return { found: false };
    cur = r.value;
  }
  return { found: true, value: cur };
}

function sortKey(v: unknown, caseSensitive: boolean): unknown {
  return typeof v === 'string' && !caseSensitive ? v.toLowerCase() : v;
}

function cmp(a: unknown, b: unknown): number {
  if (Array.isArray(a) && Array.isArray(b)) {
    for (let i = 0; i < Math.min(a.length, b.length); i++) {
      const c = cmp(a[i], b[i]);
      if (c !== 0) return c;
    }
    return a.length - b.length;
  }
  return compare(a, b);
}

function pyRegex(pattern: unknown, flags: string, what: string): RegExp {
  let src = str(pattern, what);
  // Python's named groups (?P<name>…) and backreferences (?P=name).
  src = src.replace(/\(\?P</g, '(?<').replace(/\(\?P=(\w+)\)/g, '\\k<$1>');
  try {
    return new RegExp(src, flags);
  } catch (e) {
    throw new HelperError(`${what}: invalid regular expression: ${(e as Error).message}`);
  }
}

/** Python's re.sub replacement: \1, \g<1>, \g<name>. */
function pyReplacement(repl: string): string {
  return repl
    .replace(/\$/g, '$$$$')
    .replace(/\\g<(\d+)>/g, '$$$1')
    .replace(/\\g<(\w+)>/g, '$$<$1>')
    .replace(/\\(\d)/g, '$$$1')
    .replace(/\\n/g, '\n')
    .replace(/\\\\/g, '\\');
}

function reFlags(kw: Record<string, unknown>, base = ''): string {
  return base + (kw.ignorecase === true ? 'i' : '') + (kw.multiline === true ? 'm' : '');
}

function combine(a: unknown, b: unknown, recursive: boolean): Record<string, unknown> {
  if (!isPlainObject(a) || !isPlainObject(b)) throw new HelperError(`combine expects maps, found ${kindOf(isPlainObject(a) ? b : a)}`);
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(a)) define(out, k, v);
  for (const [k, v] of Object.entries(b)) {
    const prev = Object.hasOwn(out, k) ? out[k] : undefined;
    define(out, k, recursive && isPlainObject(prev) && isPlainObject(v) ? combine(prev, v, true) : v);
  }
  return out;
}

function define(o: Record<string, unknown>, k: string, v: unknown): void {
  Object.defineProperty(o, k, { value: v, enumerable: true, writable: true, configurable: true });
}

/** Loose version comparison, as Ansible's `version` test does by default. */
export function versionCompare(a: string, b: string): number {
  const parts = (s: string) => s.match(/\d+|[a-z]+/gi)?.map((p) => (/^\d+$/.test(p) ? Number(p) : p)) ?? [];
  const x = parts(a);
  const y = parts(b);
  for (let i = 0; i < Math.max(x.length, y.length); i++) {
    if (i >= x.length) return -1;
    if (i >= y.length) return 1;
    const p = x[i];
    const q = y[i];
    if (p === q) continue;
    if (typeof p === 'number' && typeof q === 'number') return p - q;
    if (typeof p === 'number') return 1;
    if (typeof q === 'number') return -1;
    return p < q ? -1 : 1;
  }
  return 0;
}

const VERSION_OPS: Record<string, (c: number) => boolean> = {
  '==': (c) => c === 0, eq: (c) => c === 0, '=': (c) => c === 0,
  '!=': (c) => c !== 0, '<>': (c) => c !== 0, ne: (c) => c !== 0,
  '<': (c) => c < 0, lt: (c) => c < 0,
  '<=': (c) => c <= 0, le: (c) => c <= 0,
  '>': (c) => c > 0, gt: (c) => c > 0,
  '>=': (c) => c >= 0, ge: (c) => c >= 0,
};

function versionTest(v: unknown, args: unknown[]): boolean {
  const [other, op = 'eq'] = args;
  const f = VERSION_OPS[String(op)];
  if (!f) throw new HelperError(`version: unknown operator '${String(op)}' (use ==, !=, <, <=, >, >= or eq, ne, lt, le, gt, ge)`);
  return f(versionCompare(str(v, 'version'), str(other, 'version')));
}

function contains(container: unknown, item: unknown): boolean {
  if (typeof container === 'string') return typeof item === 'string' && container.includes(item);
  if (Array.isArray(container)) return container.some((x) => deepEqual(x, item));
  if (isPlainObject(container)) return (typeof item === 'string' || typeof item === 'number') && Object.hasOwn(container, String(item));
  throw new HelperError(`'in' needs a list, map or string, found ${kindOf(container)}`);
}

/** Tests that take arguments or are not about registered results (the rest live in expr.ts). */
export const JTESTS: Readonly<Record<string, TestFn>> = {
  version: versionTest,
  version_compare: versionTest,
  sameas: (v, [o]) => v === o,
  in: (v, [c]) => contains(c, v),
  contains: (v, [x]) => contains(v, x),
  divisibleby: (v, [n]) => num(v, 'divisibleby') % num(n, 'divisibleby') === 0,
  even: (v) => num(v, 'even') % 2 === 0,
  odd: (v) => Math.abs(num(v, 'odd') % 2) === 1,
  eq: (v, [o]) => deepEqual(v, o),
  equalto: (v, [o]) => deepEqual(v, o),
  '==': (v, [o]) => deepEqual(v, o),
  ne: (v, [o]) => !deepEqual(v, o),
  '!=': (v, [o]) => !deepEqual(v, o),
  lt: (v, [o]) => compare(v, o) < 0,
  lessthan: (v, [o]) => compare(v, o) < 0,
  le: (v, [o]) => compare(v, o) <= 0,
  gt: (v, [o]) => compare(v, o) > 0,
  greaterthan: (v, [o]) => compare(v, o) > 0,
  ge: (v, [o]) => compare(v, o) >= 0,
  lower: (v) => typeof v === 'string' && v === v.toLowerCase(),
  upper: (v) => typeof v === 'string' && v === v.toUpperCase(),
  match: (v, [p], ) => pyRegex(`^(?:${str(p, 'match')})`, '', 'match').test(str(v, 'match')),
  search: (v, [p]) => pyRegex(p, '', 'search').test(str(v, 'search')),
  regex: (v, [p]) => pyRegex(p, '', 'regex').test(str(v, 'regex')),
  subset: (v, [o]) => seq(v, 'subset').every((x) => contains(seq(o, 'subset'), x)),
  superset: (v, [o]) => seq(o, 'superset').every((x) => contains(seq(v, 'superset'), x)),
};

function toYaml(v: unknown, indent: number, flow: boolean): string {
  toJson(v); // refuses values decided at run time
  return pyYamlDump(v, { indent, flowLeaves: flow });
}

function selectLike(keep: boolean, byAttr: boolean): FilterFn {
  return (v, args, _kw, env) => {
    const items = seq(v, byAttr ? (keep ? 'selectattr' : 'rejectattr') : keep ? 'select' : 'reject');
    const [first, test, ...rest] = args;
    return items.filter((item) => {
      let subject = item;
      let name = first;
      let targs = [test, ...rest];
      if (byAttr) {
        const a = attrOrUndefined(item, first);
        if (test === undefined) return a.found && truthy(a.value) === keep;
        if (!a.found) return (test === 'undefined') === keep;
        subject = a.value;
        name = test;
        targs = rest;
      } else {
        targs = [test, ...rest].filter((_, i) => i < args.length - 1);
      }
      if (name === undefined) return truthy(subject) === keep;
      return env.test(String(name), subject, targs) === keep;
    });
  };
}

/** Filters beyond the helpers (FILTERS in helpers.ts), or replacing them with Python's semantics. */
export const JFILTERS: Readonly<Record<string, FilterFn>> = {
  string: (v) => pyStr(v),
  join: (v, [sep = ''], kw) => seq(v, 'join').map((x) => pyStr(kw.attribute !== undefined ? attr(x, kw.attribute, 'join') : x)).join(str(sep, 'join')),
  capitalize: (v) => {
    const s = str(v, 'capitalize');
    return s.charAt(0).toUpperCase() + s.slice(1).toLowerCase();
  },
  // Jinja's: words start after whitespace, -, (, {, [ or <.
  title: (v) => str(v, 'title').split(/([-\s({[<]+)/).map((w) => (w ? w.charAt(0).toUpperCase() + w.slice(1).toLowerCase() : w)).join(''),
  list: (v) => (Array.isArray(v) ? [...v] : seq(v, 'list')),
  sort: (v, [reverse = false, caseSensitive = false, attribute], kw) => {
    const rev = kw.reverse ?? reverse;
    const cs = (kw.case_sensitive ?? caseSensitive) === true;
    const at = kw.attribute ?? attribute;
    const key = (x: unknown) => sortKey(at !== undefined && at !== null ? attr(x, at, 'sort') : x, cs);
    const out = [...seq(v, 'sort')].sort((a, b) => cmp(key(a), key(b)));
    return rev === true ? out.reverse() : out;
  },
  unique: (v, _a, kw) => {
    const out: unknown[] = [];
    const at = kw.attribute;
    const key = (x: unknown) => (at !== undefined ? attr(x, at, 'unique') : x);
    for (const x of seq(v, 'unique')) if (!out.some((y) => deepEqual(key(y), key(x)))) out.push(x);
    return out;
  },
  reverse: (v) => (typeof v === 'string' ? [...v].reverse().join('') : [...seq(v, 'reverse')].reverse()),
  min: (v, _a, kw) => {
    const items = seq(v, 'min');
    if (items.length === 0) throw new HelperError('min of an empty list');
    const key = (x: unknown) => (kw.attribute !== undefined ? attr(x, kw.attribute, 'min') : x);
    return items.reduce((a, b) => (cmp(key(b), key(a)) < 0 ? b : a));
  },
  max: (v, _a, kw) => {
    const items = seq(v, 'max');
    if (items.length === 0) throw new HelperError('max of an empty list');
    const key = (x: unknown) => (kw.attribute !== undefined ? attr(x, kw.attribute, 'max') : x);
    return items.reduce((a, b) => (cmp(key(b), key(a)) > 0 ? b : a));
  },
  sum: (v, [attribute, start = 0], kw) => {
    const at = kw.attribute ?? attribute;
    return seq(v, 'sum').reduce<number>((acc, x) => acc + num(at !== undefined ? attr(x, at, 'sum') : x, 'sum'), num(kw.start ?? start, 'sum'));
  },
  abs: (v) => Math.abs(num(v, 'abs')),
  round: (v, [precision = 0, method = 'common']) => {
    const f = 10 ** num(precision, 'round');
    const x = num(v, 'round') * f;
    // 'common' is Python's round(): a tie goes to the even neighbour (round(2.5) is 2).
    const down = Math.floor(x);
    const half = x - down === 0.5 ? (down % 2 === 0 ? down : down + 1) : Math.round(x);
    const r = method === 'ceil' ? Math.ceil(x) : method === 'floor' ? Math.floor(x) : half;
    return r / f;
  },
  map: (v, args, kw, env) => {
    const items = seq(v, 'map');
    if (kw.attribute !== undefined) {
      return items.map((x) => {
        const a = attrOrUndefined(x, kw.attribute);
        if (a.found) return a.value;
        if (Object.hasOwn(kw, 'default')) return kw.default;
        throw new HelperError(`map: ${kindOf(x)} has no field '${String(kw.attribute)}'`);
      });
    }
    const [name, ...rest] = args;
    if (typeof name !== 'string') throw new HelperError("map expects a filter name or attribute='field'");
    const fkw = { ...kw };
    return items.map((x) => env.filter(name, x, rest, fkw));
  },
  select: selectLike(true, false),
  reject: selectLike(false, false),
  selectattr: selectLike(true, true),
  rejectattr: selectLike(false, true),
  items2dict: (v, _a, kw) => {
    const kn = String(kw.key_name ?? 'key');
    const vn = String(kw.value_name ?? 'value');
    const out: Record<string, unknown> = {};
    for (const item of seq(v, 'items2dict')) define(out, pyStr(attr(item, kn, 'items2dict')), attr(item, vn, 'items2dict'));
    return out;
  },
  dict2items: (v, _a, kw) => {
    if (!isPlainObject(v)) throw new HelperError(`dict2items expects a map, found ${kindOf(v)}`);
    const kn = String(kw.key_name ?? 'key');
    const vn = String(kw.value_name ?? 'value');
    return Object.keys(v).map((k) => {
      const o: Record<string, unknown> = {};
      define(o, kn, k);
      define(o, vn, v[k]);
      return o;
    });
  },
  items: (v) => {
    if (!isPlainObject(v)) throw new HelperError(`items expects a map, found ${kindOf(v)}`);
    return Object.keys(v).map((k) => [k, v[k]]);
  },
  combine: (v, args, kw) => {
    const maps = [v, ...args].flatMap((a) => (Array.isArray(a) ? a : [a]));
    if (maps.length === 0) return {};
    return maps.reduce((a, b) => combine(a, b, kw.recursive === true));
  },
  regex_replace: (v, [pattern, repl = '', count = 0], kw) => {
    const re = pyRegex(pattern, reFlags(kw, 'g'), 'regex_replace');
    let n = Number(kw.count ?? count) || Infinity;
    return str(v, 'regex_replace').replace(re, (...m) => {
      if (n-- <= 0) return m[0] as string;
      return (m[0] as string).replace(new RegExp(re.source, re.flags.replace('g', '')), pyReplacement(str(repl, 'regex_replace')));
    });
  },
  regex_search: (v, [pattern, ...groups], kw) => {
    const m = pyRegex(pattern, reFlags(kw), 'regex_search').exec(str(v, 'regex_search'));
    if (!m) return null;
    if (groups.length === 0) return m[0];
    return groups.map((g) => {
      const s = String(g);
      const gm = /^\\(\d+)$/.exec(s) ?? /^\\g<(\w+)>$/.exec(s);
      if (!gm) throw new HelperError(`regex_search: a group is written '\\\\1' or '\\\\g<name>', found '${s}'`);
      return /^\d+$/.test(gm[1]) ? m[Number(gm[1])] : m.groups?.[gm[1]];
    });
  },
  regex_findall: (v, [pattern], kw) => {
    const re = pyRegex(pattern, reFlags(kw, 'g'), 'regex_findall');
    return [...str(v, 'regex_findall').matchAll(re)].map((m) => (m.length > 2 ? m.slice(1) : m.length === 2 ? m[1] : m[0]));
  },
  regex_escape: (v) => str(v, 'regex_escape').replace(/[.*+?^${}()|[\]\\/-]/g, '\\$&'),
  split: (v, [sep, max]) => {
    const s = str(v, 'split');
    if (sep === undefined || sep === null) return s.trim().split(/\s+/).filter(Boolean);
    const parts = s.split(str(sep, 'split'));
    if (typeof max === 'number' && max >= 0 && parts.length > max + 1) return [...parts.slice(0, max), parts.slice(max).join(String(sep))];
    return parts;
  },
  to_yaml: (v, _a, kw) => toYaml(v, typeof kw.indent === 'number' ? kw.indent : 2, kw.default_flow_style !== false),
  to_nice_yaml: (v, _a, kw) => toYaml(v, typeof kw.indent === 'number' ? kw.indent : 4, false),
  to_json: (v, _a, kw) => pyJson(kw.sort_keys === true ? sortKeys(v) : v, typeof kw.indent === 'number' ? kw.indent : undefined),
  to_nice_json: (v, _a, kw) => pyJson(kw.sort_keys === false ? v : sortKeys(v), typeof kw.indent === 'number' ? kw.indent : 4),
  indent: (v, [width = 4, first = false, blank = false], kw) => {
    const pad = typeof (kw.width ?? width) === 'string' ? String(kw.width ?? width) : ' '.repeat(num(kw.width ?? width, 'indent'));
    const lines = str(v, 'indent').split('\n');
    const f = (kw.first ?? first) === true;
    const b = (kw.blank ?? blank) === true;
    return lines.map((l, i) => ((i > 0 || f) && (b || l.trim() !== '') ? pad + l : l)).join('\n');
  },
  from_json: (v) => {
    try {
      return JSON.parse(str(v, 'from_json'));
    } catch (e) {
      throw new HelperError(`from_json: ${(e as Error).message}`);
    }
  },
  from_yaml: (v) => {
    try {
      return YAML.parse(str(v, 'from_yaml'));
    } catch (e) {
      throw new HelperError(`from_yaml: ${(e as Error).message}`);
    }
  },
  // Ansible's: a prefix line, each line decorated, a postfix line; cblock and xml add a beginning and an end.
  comment: (v, [style = 'plain'], kw) => {
    const styles: Record<string, { beginning?: string; decoration: string; end?: string }> = {
      plain: { decoration: '# ' }, erlang: { decoration: '% ' }, c: { decoration: '// ' },
      cblock: { beginning: '/*', decoration: ' * ', end: ' */' }, xml: { beginning: '<!--', decoration: ' - ', end: '-->' },
    };
    const st = styles[String(style)];
    if (!st) throw new HelperError(`comment: unknown style '${String(style)}' (plain, erlang, c, cblock, xml)`);
    const nl = '\n';
    const prepost = String(kw.decoration ?? st.decoration);
    const p = {
      beginning: String(kw.beginning ?? st.beginning ?? ''), end: String(kw.end ?? st.end ?? ''),
      decoration: String(kw.decoration ?? st.decoration),
      prefix: String(kw.prefix ?? prepost.trimEnd()), postfix: String(kw.postfix ?? prepost.trimEnd()),
    };
    const head = p.beginning ? p.beginning + nl : '';
    const prefix = p.prefix ? (p.prefix === nl ? nl : p.prefix + nl) : '';
    const text = str(v, 'comment').split(nl).map((l) => p.decoration + l).join(nl);
    const postfix = p.postfix ? (p.postfix === nl ? nl : nl + p.postfix) : '';
    const tail = p.end ? nl + p.end : '';
    return head + prefix + text + postfix + tail;
  },
  quote: (v) => shellQuote(str(v, 'quote')),
  basename: (v) => path.basename(str(v, 'basename')),
  dirname: (v) => path.dirname(str(v, 'dirname')),
  splitext: (v) => {
    const s = str(v, 'splitext');
    const ext = path.extname(s);
    return [s.slice(0, s.length - ext.length), ext];
  },
  ternary: (v, [yes, no, none]) => (v === null && none !== undefined ? none : truthy(v) ? yes : no),
  bool: (v) => toBool(v),
  flatten: (v, [levels], kw) => {
    const depth = Number(kw.levels ?? levels ?? Infinity);
    const flat = (l: unknown[], d: number): unknown[] => l.flatMap((x) => (Array.isArray(x) && d > 0 ? flat(x, d - 1) : x === null && kw.skip_nulls !== false ? [] : [x]));
    return flat(seq(v, 'flatten'), depth);
  },
  dictsort: (v, [caseSensitive = false, by = 'key', reverse = false]) => {
    if (!isPlainObject(v)) throw new HelperError(`dictsort expects a map, found ${kindOf(v)}`);
    const i = by === 'value' ? 1 : 0;
    const out = Object.keys(v).map((k) => [k, v[k]]).sort((a, b) => cmp(sortKey(a[i], caseSensitive === true), sortKey(b[i], caseSensitive === true)));
    return reverse === true ? out.reverse() : out;
  },
  wordcount: (v) => (str(v, 'wordcount').match(/\w+/g) ?? []).length,
  center: (v, [width = 80]) => {
    const s = str(v, 'center');
    const w = num(width, 'center');
    if (s.length >= w) return s;
    const total = w - s.length;
    const left = Math.floor(total / 2) + (total % 2 && w % 2 ? 1 : 0);
    return ' '.repeat(left) + s + ' '.repeat(total - left);
  },
  type_debug: (v) => {
    if (v === null) return 'NoneType';
    if (typeof v === 'string') return 'str';
    if (typeof v === 'boolean') return 'bool';
    if (typeof v === 'number') return Number.isInteger(v) ? 'int' : 'float';
    if (Array.isArray(v)) return 'list';
    return 'dict';
  },
  zip: (v, args) => {
    const lists = [seq(v, 'zip'), ...args.map((a) => seq(a, 'zip'))];
    const n = Math.min(...lists.map((l) => l.length));
    return Array.from({ length: n }, (_, i) => lists.map((l) => l[i]));
  },
  product: (v, args) => {
    const lists = [seq(v, 'product'), ...args.map((a) => seq(a, 'product'))];
    return lists.reduce<unknown[][]>((acc, l) => acc.flatMap((p) => l.map((x) => [...p, x])), [[]]);
  },
};

/** Python's json.dumps: `, ` and `: ` separators (`,` with an indent), non-ASCII escaped. */
export function pyJson(v: unknown, indent?: number): string {
  toJson(v); // refuses values decided at run time, and what JSON cannot hold
  const ascii = (s: string) => JSON.stringify(s).replace(/[\u007f-\uffff]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
  const walk = (x: unknown, depth: number): string => {
    const nl = indent === undefined ? '' : `\n${' '.repeat(indent * (depth + 1))}`;
    const close = indent === undefined ? '' : `\n${' '.repeat(indent * depth)}`;
    const sep = indent === undefined ? ', ' : ',';
    if (x === null || x === undefined) return 'null';
    if (typeof x === 'string') return ascii(x);
    if (typeof x === 'number') return Number.isFinite(x) ? String(x) : Number.isNaN(x) ? 'NaN' : x > 0 ? 'Infinity' : '-Infinity';
    if (typeof x === 'boolean') return String(x);
    if (Array.isArray(x)) return x.length === 0 ? '[]' : `[${nl}${x.map((y) => walk(y, depth + 1)).join(sep + nl)}${close}]`;
    if (isPlainObject(x)) {
      const keys = Object.keys(x);
      if (keys.length === 0) return '{}';
      return `{${nl}${keys.map((k) => `${ascii(k)}: ${walk(x[k], depth + 1)}`).join(sep + nl)}${close}}`;
    }
    return ascii(String(x));
  };
  return walk(v, 0);
}

function sortKeys(v: unknown): unknown {
  if (Array.isArray(v)) return v.map(sortKeys);
  if (isPlainObject(v)) {
    const out: Record<string, unknown> = {};
    for (const k of Object.keys(v).sort()) define(out, k, sortKeys(v[k]));
    return out;
  }
  return v;
}

/** Filters that take keyword arguments, and which ones. */
export const FILTER_KWARGS: Readonly<Record<string, readonly string[]>> = {
  join: ['attribute'],
  sort: ['reverse', 'case_sensitive', 'attribute'],
  unique: ['attribute', 'case_sensitive'],
  min: ['attribute', 'case_sensitive'],
  max: ['attribute', 'case_sensitive'],
  sum: ['attribute', 'start'],
  map: ['attribute', 'default'],
  items2dict: ['key_name', 'value_name'],
  dict2items: ['key_name', 'value_name'],
  combine: ['recursive', 'list_merge'],
  regex_replace: ['ignorecase', 'multiline', 'count'],
  regex_search: ['ignorecase', 'multiline'],
  regex_findall: ['ignorecase', 'multiline'],
  to_yaml: ['indent', 'width', 'default_flow_style', 'sort_keys'],
  to_nice_yaml: ['indent', 'width', 'sort_keys'],
  to_json: ['indent', 'sort_keys'],
  to_nice_json: ['indent', 'sort_keys'],
  comment: ['prefix', 'beginning', 'end', 'decoration', 'postfix'],
  ternary: [],
  flatten: ['levels', 'skip_nulls'],
  indent: ['width', 'first', 'blank'],
  default: [],
};
