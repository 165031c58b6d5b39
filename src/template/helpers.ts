import path from 'node:path/posix';
import YAML from 'yaml';
import { DecidedAtRunTime, getField, isPlainObject, isRuntimeUnknown, kindOf } from './runtime.js';

/** A helper was given something it cannot work with; the caller adds where. */
export class HelperError extends Error {}

export interface HelperDoc {
  name: string;
  usage: string;
  description: string;
}

/**
 * Every helper templates can call (`{{ upper name }}`) and that expressions and Jinja-style
 * filters (`{{ name | upper }}`, `when: x | int > 2`) map onto. Block helpers `#if`, `#unless`
 * (truthiness as in `when`: empty lists, maps and strings are false), `#each` and `#with`
 * come on top.
 */
export const HELPERS: readonly HelperDoc[] = [
  { name: 'default', usage: '{{default x "fallback"}}  ·  x | default("fallback")', description: 'x, or the fallback when x is undefined (a third argument `true` also replaces empty/false values). Never fails on an undefined x.' },
  { name: 'defined', usage: '{{#if (defined x.y)}}…{{/if}}', description: 'true when the variable (path) is defined. Never fails on an undefined x.' },
  { name: 'join', usage: '{{join list ", "}}  ·  list | join(",")', description: 'Join a list into a string (default separator: none).' },
  { name: 'upper', usage: '{{upper s}}', description: 'Upper-case a string.' },
  { name: 'lower', usage: '{{lower s}}', description: 'Lower-case a string.' },
  { name: 'trim', usage: '{{trim s}}', description: 'Strip leading and trailing whitespace.' },
  { name: 'replace', usage: '{{replace s "old" "new"}}', description: 'Replace every occurrence of a substring (optional 4th argument: at most N times).' },
  { name: 'split', usage: '{{split s ","}}', description: 'Split a string into a list (default: on whitespace).' },
  { name: 'len', usage: '{{len x}}  ·  x | length', description: 'Length of a string or list, number of keys of a map.' },
  { name: 'first', usage: '{{first list}}', description: 'First item of a list (or character of a string).' },
  { name: 'last', usage: '{{last list}}', description: 'Last item of a list (or character of a string).' },
  { name: 'int', usage: '{{int x}}  ·  x | int', description: 'Convert to an integer (fallback, default 0, when it is not a number).' },
  { name: 'float', usage: '{{float x}}  ·  x | float', description: 'Convert to a number (fallback, default 0, when it is not a number).' },
  { name: 'bool', usage: '{{bool x}}  ·  x | bool', description: "Ansible's bool: true for true, 1, 'yes', 'on', 'true', '1' (any case); false otherwise." },
  { name: 'string', usage: '{{string x}}', description: 'Convert to a string (lists and maps as JSON).' },
  { name: 'json', usage: '{{json x}}  ·  x | to_json', description: 'JSON text of a value (optional indent: {{json x 2}}; to_nice_json indents by 4).' },
  { name: 'to_yaml', usage: '{{to_yaml x}}  ·  x | to_yaml', description: 'YAML text of a value, without a trailing newline.' },
  { name: 'eq', usage: '{{#if (eq a b)}}', description: 'Deep equality.' },
  { name: 'ne', usage: '{{#if (ne a b)}}', description: 'Deep inequality.' },
  { name: 'lt', usage: '{{#if (lt a b)}}', description: 'a < b (numbers or strings).' },
  { name: 'le', usage: '{{#if (le a b)}}', description: 'a <= b.' },
  { name: 'gt', usage: '{{#if (gt a b)}}', description: 'a > b.' },
  { name: 'ge', usage: '{{#if (ge a b)}}', description: 'a >= b.' },
  { name: 'and', usage: '{{#if (and a b c)}}', description: 'true when every argument is true (truthiness as in `when`).' },
  { name: 'or', usage: '{{#if (or a b)}}', description: 'true when any argument is true.' },
  { name: 'not', usage: '{{#if (not a)}}', description: 'Negation.' },
  { name: 'basename', usage: '{{basename path}}', description: 'Last component of a path.' },
  { name: 'dirname', usage: '{{dirname path}}', description: 'Path without its last component.' },
  { name: 'quote', usage: '{{quote s}}', description: "Quote for a POSIX shell ('…')." },
  { name: 'indent', usage: '{{indent text 4}}', description: 'Indent every line but the first by N spaces (third argument true: the first too).' },
  { name: 'b64encode', usage: '{{b64encode s}}', description: 'Base64-encode a string (UTF-8).' },
  { name: 'b64decode', usage: '{{b64decode s}}', description: 'Decode base64 into a UTF-8 string.' },
  { name: 'dict2items', usage: '{{dict2items map}}  ·  loop: "{{ m | dict2items }}"', description: 'A map as a list of {key, value}.' },
  { name: 'pluck', usage: "{{pluck list \"name\"}}  ·  list | map(attribute='name')", description: 'The given field of every item of a list.' },
  { name: 'lookup', usage: '{{lookup map key}}', description: 'The field of a map (or index of a list) named by a value; fails if absent.' },
];

/** Jinja/Ansible filter name → helper name (`x | length` → `len`). */
export const FILTERS: Readonly<Record<string, string>> = {
  default: 'default',
  d: 'default',
  length: 'len',
  count: 'len',
  int: 'int',
  float: 'float',
  bool: 'bool',
  string: 'string',
  lower: 'lower',
  upper: 'upper',
  trim: 'trim',
  join: 'join',
  replace: 'replace',
  split: 'split',
  first: 'first',
  last: 'last',
  basename: 'basename',
  dirname: 'dirname',
  quote: 'quote',
  indent: 'indent',
  to_json: 'json',
  to_nice_json: 'json',
  to_yaml: 'to_yaml',
  to_nice_yaml: 'to_yaml',
  b64encode: 'b64encode',
  b64decode: 'b64decode',
  dict2items: 'dict2items',
  map: 'pluck',
};

/** Python-style truthiness, as `when` sees it: empty strings, lists and maps are false. */
export function truthy(v: unknown): boolean {
  if (isRuntimeUnknown(v)) throw new DecidedAtRunTime('(value)', v.source);
  if (v === null || v === undefined || v === false) return false;
  if (typeof v === 'number') return v !== 0 && !Number.isNaN(v);
  if (typeof v === 'string' || Array.isArray(v)) return v.length > 0;
  if (isPlainObject(v)) return Object.keys(v).length > 0;
  return true;
}

/** Deep equality of plain data. */
export function deepEqual(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (isRuntimeUnknown(a)) throw new DecidedAtRunTime('(value)', a.source);
  if (isRuntimeUnknown(b)) throw new DecidedAtRunTime('(value)', b.source);
  if (Array.isArray(a) && Array.isArray(b)) {
    return a.length === b.length && a.every((x, i) => deepEqual(x, b[i]));
  }
  if (isPlainObject(a) && isPlainObject(b)) {
    const ka = Object.keys(a);
    const kb = Object.keys(b);
    return ka.length === kb.length && ka.every((k) => Object.hasOwn(b, k) && deepEqual(a[k], b[k]));
  }
  if (a instanceof Date && b instanceof Date) return a.getTime() === b.getTime();
  return false;
}

/** Order two values as Python would: numbers with numbers, strings with strings. */
export function compare(a: unknown, b: unknown): number {
  if (typeof a === 'number' && typeof b === 'number') return a - b;
  if (typeof a === 'string' && typeof b === 'string') return a < b ? -1 : a > b ? 1 : 0;
  if (typeof a === 'boolean' && typeof b === 'boolean') return Number(a) - Number(b);
  throw new HelperError(`cannot compare ${kindOf(a)} with ${kindOf(b)}`);
}

/** How a value appears inside text: strings as they are, lists and maps as JSON, null as nothing. */
export function toText(v: unknown): string {
  if (v === null || v === undefined) return '';
  if (typeof v === 'string') return v;
  if (typeof v === 'number' || typeof v === 'boolean' || typeof v === 'bigint') return String(v);
  if (v instanceof Date) return v.toISOString();
  return toJson(v);
}

/** JSON of plain data; a value decided at run time anywhere inside cannot be written. */
export function toJson(v: unknown, indent?: number): string {
  if (isRuntimeUnknown(v)) throw new DecidedAtRunTime('(value)', v.source);
  const out = JSON.stringify(
    v,
    function (this: Record<string, unknown>, key: string, value: unknown) {
      const original = this[key];
      if (isRuntimeUnknown(original)) throw new DecidedAtRunTime(key || '(value)', original.source);
      return value;
    },
    indent,
  );
  return out ?? '';
}

function str(v: unknown, what: string): string {
  if (typeof v === 'string') return v;
  if (typeof v === 'number' || typeof v === 'boolean') return String(v);
  if (v === null || v === undefined) return '';
  throw new HelperError(`${what} expects a string, found ${kindOf(v)}`);
}

function list(v: unknown, what: string): unknown[] {
  if (Array.isArray(v)) return v;
  throw new HelperError(`${what} expects a list, found ${kindOf(v)}`);
}

function toInt(v: unknown, fallback: unknown = 0): unknown {
  if (typeof v === 'number') return Number.isFinite(v) ? Math.trunc(v) : fallback;
  if (typeof v === 'boolean') return v ? 1 : 0;
  if (typeof v === 'string') {
    const s = v.trim();
    if (/^[-+]?\d+$/.test(s)) return Number.parseInt(s, 10);
    if (/^[-+]?0x[0-9a-f]+$/i.test(s)) return Number.parseInt(s, 16);
    if (/^[-+]?(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?$/.test(s)) return Math.trunc(Number(s));
  }
  return fallback;
}

function toFloat(v: unknown, fallback: unknown = 0): unknown {
  if (typeof v === 'number') return v;
  if (typeof v === 'boolean') return v ? 1 : 0;
  if (typeof v === 'string' && /^[-+]?(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?$/.test(v.trim())) return Number(v.trim());
  return fallback;
}

export function toBool(v: unknown): boolean {
  if (typeof v === 'boolean') return v;
  if (typeof v === 'number') return v === 1;
  if (typeof v === 'string') return ['yes', 'on', '1', 'true', 'y'].includes(v.trim().toLowerCase());
  return false;
}

export function shellQuote(s: string): string {
  if (s !== '' && /^[A-Za-z0-9_@%+=:,./-]+$/.test(s)) return s;
  return `'${s.replace(/'/g, `'"'"'`)}'`;
}

function length(v: unknown): number {
  if (typeof v === 'string' || Array.isArray(v)) return v.length;
  if (isPlainObject(v)) return Object.keys(v).length;
  throw new HelperError(`length of ${kindOf(v)} is not defined`);
}

function lookup(obj: unknown, key: unknown): unknown {
  if (typeof key !== 'string' && typeof key !== 'number') {
    throw new HelperError(`lookup expects a string or number key, found ${kindOf(key)}`);
  }
  const r = getField(obj, key, true);
  if (!r.found) throw new HelperError(`${kindOf(obj)} has no field '${String(key)}'`);
  return r.value;
}

/**
 * The strict helpers (all but `default` and `defined`, which need to see an undefined
 * argument and are implemented by the renderer and the evaluator themselves).
 * Arguments never hold a value decided at run time: callers check first.
 */
export const HELPER_FNS: Readonly<Record<string, (...args: unknown[]) => unknown>> = {
  join: (l, sep = '') => list(l, 'join').map((x) => toText(x)).join(str(sep, 'join')),
  upper: (s) => str(s, 'upper').toUpperCase(),
  lower: (s) => str(s, 'lower').toLowerCase(),
  trim: (s) => str(s, 'trim').trim(),
  replace: (s, from, to = '', count) => {
    const text = str(s, 'replace');
    const a = str(from, 'replace');
    const b = str(to, 'replace');
    if (a === '') return text;
    let n = count === undefined || count === null ? Infinity : Number(count);
    let out = '';
    let i = 0;
    for (;;) {
      const j = n > 0 ? text.indexOf(a, i) : -1;
      if (j < 0) return out + text.slice(i);
      out += text.slice(i, j) + b;
      i = j + a.length;
      n--;
    }
  },
  split: (s, sep) => {
    const text = str(s, 'split');
    return sep === undefined || sep === null ? text.trim().split(/\s+/).filter(Boolean) : text.split(str(sep, 'split'));
  },
  len: (v) => length(v),
  first: (v) => {
    if (typeof v === 'string') return v[0] ?? '';
    return list(v, 'first')[0];
  },
  last: (v) => {
    if (typeof v === 'string') return v.at(-1) ?? '';
    return list(v, 'last').at(-1);
  },
  int: (v, fallback) => toInt(v, fallback ?? 0),
  float: (v, fallback) => toFloat(v, fallback ?? 0),
  bool: (v) => toBool(v),
  string: (v) => toText(v),
  json: (v, indent) => toJson(v, typeof indent === 'number' ? indent : undefined),
  to_yaml: (v) => {
    toJson(v); // refuses values decided at run time
    return YAML.stringify(v).replace(/\n$/, '');
  },
  eq: (a, b) => deepEqual(a, b),
  ne: (a, b) => !deepEqual(a, b),
  lt: (a, b) => compare(a, b) < 0,
  le: (a, b) => compare(a, b) <= 0,
  gt: (a, b) => compare(a, b) > 0,
  ge: (a, b) => compare(a, b) >= 0,
  and: (...args) => args.every(truthy),
  or: (...args) => args.some(truthy),
  not: (v) => !truthy(v),
  basename: (p) => path.basename(str(p, 'basename')),
  dirname: (p) => path.dirname(str(p, 'dirname')),
  quote: (s) => shellQuote(str(s, 'quote')),
  indent: (s, width = 4, first = false) => {
    const pad = ' '.repeat(Number(width) || 0);
    const lines = str(s, 'indent').split('\n');
    return lines.map((l, i) => ((i > 0 || first === true) && l !== '' ? pad + l : l)).join('\n');
  },
  b64encode: (s) => Buffer.from(str(s, 'b64encode'), 'utf8').toString('base64'),
  b64decode: (s) => Buffer.from(str(s, 'b64decode'), 'base64').toString('utf8'),
  dict2items: (m) => {
    if (!isPlainObject(m)) throw new HelperError(`dict2items expects a map, found ${kindOf(m)}`);
    return Object.keys(m).map((key) => ({ key, value: m[key] }));
  },
  pluck: (l, field) => list(l, 'map(attribute)').map((item) => lookup(item, field)),
  lookup: (obj, key) => lookup(obj, key),
};

/** Names of every helper, including the lenient ones. */
export const HELPER_NAMES: ReadonlySet<string> = new Set(HELPERS.map((h) => h.name));

/** Helpers whose first argument may be undefined. */
export const LENIENT_HELPERS: ReadonlySet<string> = new Set(['default', 'defined']);

/** `default`'s rule: the fallback when undefined (or falsy, when asked). */
export function applyDefault(found: boolean, value: unknown, fallback: unknown, falsyToo: unknown): unknown {
  if (!found) return fallback;
  if (falsyToo === true && !truthy(value)) return fallback;
  return value;
}
