import { PY_DECIMAL, PY_FALSE, PY_FLOAT, PY_FLOAT_EXP, PY_TRUE } from '../core/yaml-tags.js';
import { HelperError } from './helpers.js';
import { isPlainObject } from './runtime.js';

/**
 * YAML text laid out as PyYAML's `yaml.dump` writes it, which is what Ansible's `to_yaml`
 * (`default_flow_style=None`: collections of scalars inline) and `to_nice_yaml` (block style,
 * indent 4) print: keys sorted; a list under a key not indented; a list item that is a
 * collection starts after `-` padded to the indent; a string quoted only when PyYAML would
 * read it back as something else or it holds YAML syntax; lines folded at a space once they
 * pass 80 columns. Strings holding line breaks or control characters are written
 * double-quoted with escapes (PyYAML would fold some of them into single quotes).
 */

const WIDTH = 80;

/**
 * Plain text that PyYAML reads back as another type: the implicit types of core/yaml-tags.ts,
 * and those the reader leaves to the yaml library (null, octal/hex/binary and base-60 numbers,
 * infinities, timestamps, merge and value keys).
 */
const NOT_A_STRING = [
  PY_TRUE,
  PY_FALSE,
  PY_DECIMAL,
  PY_FLOAT,
  PY_FLOAT_EXP,
  /^(?:~|null|Null|NULL)$/,
  /^[-+]?(?:0b[0-1_]+|0[0-7_]+|0x[0-9a-fA-F_]+|[1-9][0-9_]*(?::[0-5]?[0-9])+)$/,
  /^(?:[-+]?[0-9][0-9_]*(?::[0-5]?[0-9])+\.[0-9_]*|[-+]?\.(?:inf|Inf|INF)|\.(?:nan|NaN|NAN))$/,
  /^[0-9][0-9][0-9][0-9]-[0-9][0-9]?-[0-9][0-9]?(?:(?:[Tt]|[ \t]+)[0-9][0-9]?:[0-9][0-9]:[0-9][0-9](?:\.[0-9]*)?(?:[ \t]*(?:Z|[-+][0-9][0-9]?(?::[0-9][0-9])?))?)?$/,
  /^(?:<<|=)$/,
];

const SPACE = /[\0 \t\r\n\u0085\u2028\u2029]/;

/** Whether a string may be written plain, in a block or inside a flow collection. */
function plainAllowed(s: string, flow: boolean): boolean {
  if (s === '' || s.startsWith('---') || s.startsWith('...')) return false;
  if (/^[ \n]|[ \n]$/.test(s) || /[\n\u0085\u2028\u2029]/.test(s)) return false;
  if (/[^\n\x20-\x7e\u00a0-\ud7ff\ue000-\ufffd\u{10000}-\u{10ffff}]|\ufeff/u.test(s)) return false;
  const after = (i: number): boolean => i + 1 >= s.length || SPACE.test(s[i + 1]);
  for (let i = 0; i < s.length; i++) {
    const c = s[i];
    if (i === 0) {
      if ('#,[]{}&*!|>\'"%@`'.includes(c)) return false;
      if ((c === '?' || c === ':') && (flow || after(i))) return false;
      if (c === '-' && after(i)) return false;
    } else {
      if (flow && ',?[]{}'.includes(c)) return false;
      if (c === ':' && (flow || after(i))) return false;
      if (c === '#' && SPACE.test(s[i - 1])) return false;
    }
  }
  return !NOT_A_STRING.some((re) => re.test(s));
}

class Writer {
  out = '';
  column = 0;
  /** The last scalar was written plain (a document of one plain scalar ends with `...`). */
  plainLast = false;

  write(text: string): void {
    this.out += text;
    const nl = text.lastIndexOf('\n');
    this.column = nl < 0 ? this.column + text.length : text.length - nl - 1;
  }

  newline(indent: number): void {
    this.write(`\n${' '.repeat(indent)}`);
  }

  /** Words separated by single spaces, broken at a space once the line passes the width. */
  folded(text: string, indent: number): void {
    const words = text.split(' ');
    words.forEach((w, i) => {
      if (i > 0) {
        // A run of spaces is never broken (the empty words between them).
        if (this.column > WIDTH && w !== '' && words[i - 1] !== '') this.newline(indent);
        else this.write(' ');
      }
      this.write(w);
    });
  }

  scalar(v: unknown, indent: number, flow: boolean): void {
    // Everything but a quoted string is written plain.
    this.plainLast = typeof v !== 'string' || plainAllowed(v, flow);
    if (v === null || v === undefined) return this.write('null');
    if (typeof v === 'boolean') return this.write(v ? 'true' : 'false');
    if (typeof v === 'number') {
      if (Number.isNaN(v)) return this.write('.nan');
      if (!Number.isFinite(v)) return this.write(v > 0 ? '.inf' : '-.inf');
      return this.write(String(v));
    }
    if (typeof v !== 'string') throw new HelperError(`cannot write ${typeof v} as YAML`);
    if (this.plainLast) return this.folded(v, indent);
    // Control characters, or a space next to a line break: double quotes with escapes.
    if (/ \n|\n /.test(v) || /[^\n\x20-\x7e\u00a0-\ud7ff\ue000-\ufffd\u{10000}-\u{10ffff}]|\ufeff/u.test(v)) {
      return this.write(JSON.stringify(v));
    }
    // Single quotes; a line break inside is written as an empty line (a lone one reads as a space).
    this.write("'");
    v.replace(/'/g, "''").split(/(\n+)/).forEach((part) => {
      if (part.startsWith('\n')) this.write(`${'\n'.repeat(part.length + 1)}${' '.repeat(indent)}`);
      else this.folded(part, indent);
    });
    this.write("'");
  }
}

function isCollection(v: unknown): v is unknown[] | Record<string, unknown> {
  return Array.isArray(v) || isPlainObject(v);
}

function isEmpty(v: unknown[] | Record<string, unknown>): boolean {
  return Array.isArray(v) ? v.length === 0 : Object.keys(v).length === 0;
}

function sortedEntries(m: Record<string, unknown>): [string, unknown][] {
  return Object.keys(m)
    .sort()
    .map((k) => [k, m[k]]);
}

/**
 * A collection inline, `[a, b]` / `{k: v}`, or a scalar. Lines break between items at
 * `indent`; text inside the collection continues one step further in.
 */
function flowNode(w: Writer, v: unknown, indent: number, step: number, inFlow = false): void {
  if (!isCollection(v)) return w.scalar(v, indent, inFlow);
  const seq = Array.isArray(v);
  const items: unknown[] = seq ? v : sortedEntries(v);
  const inner = indent + step;
  w.write(seq ? '[' : '{');
  items.forEach((item, i) => {
    if (i > 0) {
      w.write(',');
      if (w.column > WIDTH) w.newline(indent);
      else w.write(' ');
    }
    if (seq) flowNode(w, item, inner, step, true);
    else {
      const [k, val] = item as [string, unknown];
      w.scalar(k, inner, true);
      w.write(': ');
      flowNode(w, val, inner, step, true);
    }
  });
  w.write(seq ? ']' : '}');
}

interface Layout {
  indent: number;
  /** Collections that hold no collection are written inline. */
  flowLeaves: boolean;
}

function inline(v: unknown, l: Layout): boolean {
  if (!isCollection(v)) return true;
  if (isEmpty(v)) return true;
  if (!l.flowLeaves) return false;
  return (Array.isArray(v) ? v : Object.values(v)).every((x) => !isCollection(x));
}

/** A value after `key:` or `-`, which has been written; `at` is the collection's indent. */
function value(w: Writer, v: unknown, at: number, l: Layout, inSeq: boolean): void {
  if (inline(v, l)) {
    w.write(' ');
    flowNode(w, v, at + l.indent, l.indent);
    return;
  }
  if (Array.isArray(v)) {
    // A list under a key is not indented; under `-` it starts on the same line.
    if (inSeq) {
      w.write(' '.repeat(l.indent - 1));
      seqBody(w, v, at + l.indent, l, true);
    } else {
      w.newline(at);
      seqBody(w, v, at, l, true);
    }
    return;
  }
  if (inSeq) {
    w.write(' '.repeat(l.indent - 1));
    mapBody(w, v as Record<string, unknown>, at + l.indent, l, true);
  } else {
    w.newline(at + l.indent);
    mapBody(w, v as Record<string, unknown>, at + l.indent, l, true);
  }
}

function mapBody(w: Writer, m: Record<string, unknown>, at: number, l: Layout, started: boolean): void {
  sortedEntries(m).forEach(([k, v], i) => {
    if (i > 0 || !started) w.newline(at);
    w.scalar(k, at + l.indent, false);
    w.write(':');
    value(w, v, at, l, false);
  });
}

function seqBody(w: Writer, s: unknown[], at: number, l: Layout, started: boolean): void {
  s.forEach((v, i) => {
    if (i > 0 || !started) w.newline(at);
    w.write('-');
    value(w, v, at, l, true);
  });
}

/** `yaml.dump(v, default_flow_style=None or False, indent=N)`, as PyYAML writes it. */
export function pyYamlDump(v: unknown, opts: { indent: number; flowLeaves: boolean }): string {
  const l: Layout = { indent: Math.max(2, Math.min(9, opts.indent)), flowLeaves: opts.flowLeaves };
  const w = new Writer();
  if (!isCollection(v)) {
    w.scalar(v, l.indent, false);
    return w.plainLast ? `${w.out}\n...\n` : `${w.out}\n`;
  }
  if (inline(v, l)) flowNode(w, v, l.indent, l.indent);
  else if (Array.isArray(v)) seqBody(w, v, 0, l, true);
  else mapBody(w, v, 0, l, true);
  return `${w.out}\n`;
}
