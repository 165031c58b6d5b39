import { FILTERS } from './helpers.js';

/**
 * Jinja-style placeholders, as found in playbooks migrated from Ansible, translated into
 * Handlebars before compiling. Supported inside one `{{ … }}` (not in blocks):
 *
 *  - filters: `x | default('y')`, `x | d('y')`, `x | upper`, `list | join(',')`, `x | int`,
 *    `x | length`, `x | bool` and every name in {@link FILTERS}, chained left to right;
 *    `list | map(attribute='name')`;
 *  - subscripts: `a[0]`, `a['key']`, `a[-1]`, `a[var]`;
 *  - literals: 'single' or "double" quoted strings (with \n, \t, \\ escapes), numbers,
 *    true/false/True/False, none/None/null; parentheses around a filtered value.
 *
 * Anything else Jinja can do (`if … else`, `~`, arithmetic, `{% %}` statements, tests) is
 * not translated: it is reported as an error with its position.
 */

/** A problem in the source text, at a character offset. */
export class SyntaxIssue extends Error {
  constructor(
    message: string,
    readonly offset: number,
  ) {
    super(message);
  }
}

/** One replaced span: source [from, to) became translated [newFrom, newTo). */
export interface Edit {
  from: number;
  to: number;
  newFrom: number;
  newTo: number;
  /** Offsets inside map to this source offset; undefined: to the same distance from `from`. */
  anchor?: number;
}

export interface Translation {
  text: string;
  /** Literal values too awkward for Handlebars' string syntax, referenced as `(__lit N)`. */
  literals: unknown[];
  edits: Edit[];
}

/** Map an offset in translated text back to the source. */
export function sourceOffset(t: Translation, offset: number): number {
  let delta = 0;
  for (const e of t.edits) {
    if (offset < e.newFrom) break;
    if (offset < e.newTo) return e.anchor ?? Math.min(e.from + (offset - e.newFrom), e.to);
    delta = e.to - e.newTo;
  }
  return offset + delta;
}

const BLOCKISH = /^(?:[#/^>&*!]|else\b)/;

/** Translate every Jinja-looking placeholder; text without one comes back unchanged. */
export function translateJinja(src: string): Translation {
  const out: string[] = [];
  const literals: unknown[] = [];
  const edits: Edit[] = [];
  let last = 0;
  let newLen = 0;
  let i = 0;
  for (;;) {
    i = src.indexOf('{{', i);
    if (i < 0) break;
    if (i > 0 && src[i - 1] === '\\') {
      i += 2;
      continue;
    }
    if (src.startsWith('{{{{', i)) break; // raw blocks: leave the rest alone
    const bang = src.startsWith('{{!', i) ? i + 2 : src.startsWith('{{~!', i) ? i + 3 : -1;
    if (bang >= 0) {
      // Comments: {{! … }} and {{!-- … --}} (which may contain }}).
      const end = src.startsWith('!--', bang) ? src.indexOf('--', bang + 3) : bang;
      const closeAt = end < 0 ? -1 : src.indexOf('}}', end);
      if (closeAt < 0) break;
      i = closeAt + 2;
      continue;
    }
    const triple = src[i + 2] === '{';
    const open = i + (triple ? 3 : 2);
    const close = findClose(src, open, triple ? '}}}' : '}}');
    if (close < 0) break;
    let bodyStart = open;
    let bodyEnd = close;
    if (src[bodyStart] === '~') bodyStart++;
    if (src[bodyEnd - 1] === '~' && bodyEnd - 1 >= bodyStart) bodyEnd--;
    const body = src.slice(bodyStart, bodyEnd);
    const inner = body.trim();
    let replacement: string | undefined;
    let anchor: number | undefined;
    if (!BLOCKISH.test(inner) && isJinjaish(inner)) {
      anchor = bodyStart + body.length - body.trimStart().length;
      replacement = ` ${new Parser(inner, anchor, literals).translate()} `;
    } else if (!inner.startsWith('!')) {
      const fixed = numericSegments(body);
      if (fixed !== body) replacement = fixed;
    }
    if (replacement !== undefined) {
      out.push(src.slice(last, bodyStart));
      newLen += bodyStart - last;
      edits.push({ from: bodyStart, to: bodyEnd, newFrom: newLen, newTo: newLen + replacement.length, anchor });
      out.push(replacement);
      newLen += replacement.length;
      last = bodyEnd;
    }
    i = close + (triple ? 3 : 2);
  }
  if (edits.length === 0) return { text: src, literals, edits };
  out.push(src.slice(last));
  return { text: out.join(''), literals, edits };
}

function findClose(src: string, from: number, close: string): number {
  let quote: string | undefined;
  for (let j = from; j < src.length; j++) {
    const c = src[j];
    if (quote) {
      if (c === '\\') j++;
      else if (c === quote) quote = undefined;
      continue;
    }
    if (c === '"' || c === "'") quote = c;
    else if (src.startsWith(close, j)) return j;
    else if (src.startsWith('{{', j)) return -1;
  }
  return -1;
}

/**
 * Handlebars reads `a.0` at the end of a path as the number 0: write such segments as
 * `a.[0]`, which it reads as a field.
 */
export function numericSegments(body: string): string {
  let out = '';
  let quote: string | undefined;
  for (let j = 0; j < body.length; j++) {
    const c = body[j];
    out += c;
    if (quote) {
      if (c === '\\' && j + 1 < body.length) out += body[++j];
      else if (c === quote) quote = undefined;
      continue;
    }
    if (c === '"' || c === "'") quote = c;
    else if (c === '.' && /\d/.test(body[j + 1] ?? '')) {
      const before = /[\w\-\]@]+$/.exec(body.slice(0, j))?.[0] ?? '';
      if (!/[A-Za-z_\]@]/.test(before)) continue;
      const digits = /^\d+/.exec(body.slice(j + 1))![0];
      if (/[\w-]/.test(body[j + 1 + digits.length] ?? '')) continue;
      out += `[${digits}]`;
      j += digits.length;
    }
  }
  return out;
}

/** Does a placeholder body use syntax Handlebars lacks (filters, subscripts, calls)? */
export function isJinjaish(body: string): boolean {
  let quote: string | undefined;
  for (let j = 0; j < body.length; j++) {
    const c = body[j];
    if (quote) {
      if (c === '\\') j++;
      else if (c === quote) quote = undefined;
      continue;
    }
    if (c === '"' || c === "'") quote = c;
    else if (c === '|' && body[j + 1] !== '|') return true;
    else if ((c === '[' || c === '(') && j > 0 && /[\w\])]/.test(body[j - 1])) return true;
  }
  return false;
}

type Tok =
  | { t: 'id'; v: string; at: number }
  | { t: 'num'; v: string; at: number }
  | { t: 'str'; v: string; at: number }
  | { t: 'p'; v: string; at: number }
  | { t: 'end'; v: ''; at: number };

/** Translated value: a Handlebars path (extensible with `.seg`) or any other expression. */
type Out = { path: boolean; text: string };

class Parser {
  private toks: Tok[];
  private k = 0;

  constructor(
    private readonly src: string,
    private readonly base: number,
    private readonly literals: unknown[],
  ) {
    this.toks = this.lex();
  }

  private fail(message: string, tok: Tok = this.peek()): never {
    throw new SyntaxIssue(message, this.base + tok.at);
  }

  private lex(): Tok[] {
    const s = this.src;
    const toks: Tok[] = [];
    let j = 0;
    while (j < s.length) {
      const c = s[j];
      if (/\s/.test(c)) {
        j++;
        continue;
      }
      const at = j;
      if (/[A-Za-z_]/.test(c)) {
        while (j < s.length && /\w/.test(s[j])) j++;
        toks.push({ t: 'id', v: s.slice(at, j), at });
      } else if (/\d/.test(c) || (c === '-' && /\d/.test(s[j + 1] ?? ''))) {
        j++;
        while (j < s.length && /[\d.]/.test(s[j])) j++;
        toks.push({ t: 'num', v: s.slice(at, j), at });
      } else if (c === '"' || c === "'") {
        let v = '';
        j++;
        for (;;) {
          if (j >= s.length) throw new SyntaxIssue('unterminated string', this.base + at);
          const d = s[j];
          if (d === c) break;
          if (d === '\\') {
            const e = s[j + 1];
            v += e === 'n' ? '\n' : e === 't' ? '\t' : e === 'r' ? '\r' : (e ?? '');
            j += 2;
            continue;
          }
          v += d;
          j++;
        }
        j++;
        toks.push({ t: 'str', v, at });
      } else if ('.[](),|='.includes(c)) {
        toks.push({ t: 'p', v: c, at });
        j++;
      } else {
        throw new SyntaxIssue(`'${c}' is not supported in a template placeholder (only values, subscripts and | filters)`, this.base + at);
      }
    }
    toks.push({ t: 'end', v: '', at: s.length });
    return toks;
  }

  private peek(): Tok {
    return this.toks[this.k];
  }

  private next(): Tok {
    return this.toks[this.k++];
  }

  private isP(v: string): boolean {
    const t = this.peek();
    return t.t === 'p' && t.v === v;
  }

  private expectP(v: string): void {
    if (!this.isP(v)) this.fail(`expected '${v}'${this.found()}`);
    this.k++;
  }

  private found(): string {
    const t = this.peek();
    return t.t === 'end' ? ', found the end of the placeholder' : `, found '${this.src.slice(t.at, t.at + 12).split(/\s/)[0] || t.v}'`;
  }

  translate(): string {
    const v = this.pipeline();
    if (this.peek().t !== 'end') this.fail(`unexpected '${this.peek().v}' (supported: a value followed by | filters)`);
    // A top-level helper call is written without its parentheses.
    return !v.path && v.text.startsWith('(') && v.text.endsWith(')') ? v.text.slice(1, -1) : v.text;
  }

  private pipeline(): Out {
    let v = this.primary();
    while (this.isP('|')) {
      this.k++;
      v = this.filter(v);
    }
    return v;
  }

  private filter(subject: Out): Out {
    const nameTok = this.next();
    if (nameTok.t !== 'id') this.fail('expected a filter name after |', nameTok);
    const helper = FILTERS[nameTok.v];
    if (!helper) {
      this.fail(`unsupported filter '${nameTok.v}' (supported: ${Object.keys(FILTERS).join(', ')})`, nameTok);
    }
    const args: string[] = [];
    const kwargs: Record<string, string> = {};
    if (this.isP('(')) {
      this.k++;
      while (!this.isP(')')) {
        const t = this.peek();
        if (t.t === 'id' && this.toks[this.k + 1]?.t === 'p' && this.toks[this.k + 1].v === '=') {
          this.k += 2;
          kwargs[t.v] = this.pipeline().text;
        } else {
          args.push(this.pipeline().text);
        }
        if (!this.isP(',')) break;
        this.k++;
      }
      this.expectP(')');
    }
    if (nameTok.v === 'map') {
      if (!kwargs.attribute || args.length) this.fail("only map(attribute='name') is supported", nameTok);
      return { path: false, text: `(pluck ${subject.text} ${kwargs.attribute})` };
    }
    if (Object.keys(kwargs).length) this.fail(`filter '${nameTok.v}' takes no keyword arguments here`, nameTok);
    if (nameTok.v === 'to_nice_json' && args.length === 0) args.push('4');
    return { path: false, text: `(${[helper, subject.text, ...args].join(' ')})` };
  }

  private primary(): Out {
    const t = this.next();
    switch (t.t) {
      case 'str':
        return { path: false, text: this.literal(t.v) };
      case 'num':
        if (!/^-?\d+(\.\d+)?$/.test(t.v)) this.fail(`invalid number '${t.v}'`, t);
        return { path: false, text: t.v };
      case 'id': {
        if (['true', 'True'].includes(t.v)) return { path: false, text: 'true' };
        if (['false', 'False'].includes(t.v)) return { path: false, text: 'false' };
        if (['none', 'None', 'null'].includes(t.v)) return { path: false, text: 'null' };
        if (['not', 'and', 'or', 'if', 'else', 'is', 'in'].includes(t.v)) {
          this.fail(`'${t.v}' is not supported inside {{ }}: use a helper (e.g. {{#if (and a b)}}) or an expression in when:`, t);
        }
        return this.postfix({ path: true, text: t.v });
      }
      case 'p':
        if (t.v === '(') {
          const v = this.pipeline();
          this.expectP(')');
          return this.postfix(v);
        }
        return this.fail(`unexpected '${t.v}'`, t);
      default:
        return this.fail('expected a value', t);
    }
  }

  private postfix(v: Out): Out {
    for (;;) {
      if (this.isP('.')) {
        this.k++;
        const t = this.next();
        if (t.t !== 'id' && !(t.t === 'num' && /^\d+$/.test(t.v))) this.fail('expected a field name after .', t);
        v = this.segment(v, t.v);
      } else if (this.isP('[')) {
        this.k++;
        const t = this.peek();
        const after = this.toks[this.k + 1];
        if ((t.t === 'str' || (t.t === 'num' && /^\d+$/.test(t.v))) && after.t === 'p' && after.v === ']') {
          this.k += 2;
          v = this.segment(v, t.v);
        } else {
          const key = this.pipeline();
          this.expectP(']');
          v = { path: false, text: `(lookup ${v.text} ${key.text})` };
        }
      } else if (this.isP('(')) {
        this.fail('calling functions or methods is not supported in templates');
      } else {
        return v;
      }
    }
  }

  private segment(v: Out, name: string): Out {
    if (v.path && /^[A-Za-z_][\w-]*$/.test(name)) return { path: true, text: `${v.text}.${name}` };
    if (v.path && !/[\]\s]/.test(name) && name !== '') return { path: true, text: `${v.text}.[${name}]` };
    return { path: false, text: `(lookup ${v.text} ${this.literal(name)})` };
  }

  private literal(s: string): string {
    if (!/["\\\n\r]/.test(s)) return `"${s}"`;
    this.literals.push(s);
    return `(__lit ${this.literals.length - 1})`;
  }
}
