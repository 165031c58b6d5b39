/**
 * The two bits of Python that INI inventories lean on: `shlex.split(line, comments=True)` for
 * host lines and `ast.literal_eval` for values (`22` is an int, `True` a bool, `[1, 2]` a
 * list, `'quoted'` a string; anything else, such as `true` or `0755`, stays the text it was).
 */

/** POSIX `shlex.split` with `#` comments. Throws on an unclosed quote or a trailing backslash. */
export function shlexSplit(line: string): string[] {
  const tokens: string[] = [];
  let token = '';
  let inToken = false;
  let i = 0;
  const n = line.length;
  while (i < n) {
    const c = line[i];
    if (c === ' ' || c === '\t' || c === '\r' || c === '\n') {
      if (inToken) tokens.push(token);
      token = '';
      inToken = false;
      i++;
    } else if (c === '#') {
      break;
    } else if (c === "'") {
      const end = line.indexOf("'", i + 1);
      if (end < 0) throw new Error('no closing quotation');
      token += line.slice(i + 1, end);
      inToken = true;
      i = end + 1;
    } else if (c === '"') {
      i++;
      inToken = true;
      let closed = false;
      while (i < n) {
        const d = line[i];
        if (d === '"') {
          closed = true;
          i++;
          break;
        }
        if (d === '\\' && i + 1 < n && (line[i + 1] === '"' || line[i + 1] === '\\')) {
          token += line[i + 1];
          i += 2;
          continue;
        }
        token += d;
        i++;
      }
      if (!closed) throw new Error('no closing quotation');
    } else if (c === '\\') {
      if (i + 1 >= n) throw new Error('no escaped character');
      token += line[i + 1];
      inToken = true;
      i += 2;
    } else {
      token += c;
      inToken = true;
      i++;
    }
  }
  if (inToken) tokens.push(token);
  return tokens;
}

class Fail extends Error {}

const FLOAT = /(?:\d(?:_?\d)*\.(?:\d(?:_?\d)*)?|\.\d(?:_?\d)*)(?:[eE][+-]?\d(?:_?\d)*)?|\d(?:_?\d)*[eE][+-]?\d(?:_?\d)*/y;
const INT = /0[xX](?:_?[0-9a-fA-F])+|0[oO](?:_?[0-7])+|0[bB](?:_?[01])+|[1-9](?:_?\d)*|0(?:_?0)*/y;
const IDENT = /[A-Za-z_][A-Za-z0-9_]*/y;

class LiteralParser {
  i = 0;
  constructor(private readonly s: string) {}

  ws(): void {
    const s = this.s;
    while (this.i < s.length) {
      const c = s[this.i];
      if (c === ' ' || c === '\t' || c === '\r' || c === '\n' || c === '\f') this.i++;
      else if (c === '#') {
        const nl = s.indexOf('\n', this.i);
        this.i = nl < 0 ? s.length : nl;
      } else break;
    }
  }

  sticky(re: RegExp): string | undefined {
    re.lastIndex = this.i;
    const m = re.exec(this.s);
    if (!m) return undefined;
    this.i = re.lastIndex;
    return m[0];
  }

  peek(): string {
    return this.s[this.i] ?? '';
  }

  expect(c: string): void {
    this.ws();
    if (this.s[this.i] !== c) throw new Fail();
    this.i++;
  }

  all(): unknown {
    this.ws();
    const v = this.expr();
    this.ws();
    if (this.i !== this.s.length) throw new Fail();
    return v;
  }

  expr(): unknown {
    this.ws();
    const c = this.peek();
    if (c === '+' || c === '-') {
      this.i++;
      this.ws();
      const v = this.number();
      return c === '-' ? -v : v;
    }
    if (c === '[') return this.sequence('[', ']');
    if (c === '(') return this.tuple();
    if (c === '{') return this.braces();
    if (/[0-9.]/.test(c)) return this.number();
    if (c === '"' || c === "'") return this.strings('');
    const word = this.sticky(IDENT);
    if (word === undefined) throw new Fail();
    if (/^(?:[rRuUbB]|[rR][bB]|[bB][rR])$/.test(word) && (this.peek() === '"' || this.peek() === "'")) {
      return this.strings(word.toLowerCase());
    }
    if (word === 'True') return true;
    if (word === 'False') return false;
    if (word === 'None') return null;
    throw new Fail();
  }

  number(): number {
    let text = this.sticky(FLOAT);
    let v: number;
    if (text !== undefined) v = Number(text.replace(/_/g, ''));
    else {
      text = this.sticky(INT);
      if (text === undefined) throw new Fail();
      const t = text.replace(/_/g, '').toLowerCase();
      v = t.startsWith('0o') ? parseInt(t.slice(2), 8) : Number(t);
    }
    // `0755`, `1j`, `12abc`: not a Python literal
    if (/[A-Za-z0-9_.]/.test(this.peek())) throw new Fail();
    return v;
  }

  /** One string literal, or several adjacent ones concatenated. */
  strings(prefix: string): string {
    let out = this.string(prefix);
    for (;;) {
      const save = this.i;
      this.ws();
      const p = this.sticky(/(?:[rRuUbB]|[rR][bB]|[bB][rR])?(?=['"])/y);
      if (p === undefined || (this.peek() !== '"' && this.peek() !== "'")) {
        this.i = save;
        return out;
      }
      out += this.string(p.toLowerCase());
    }
  }

  string(prefix: string): string {
    const s = this.s;
    const raw = prefix.includes('r');
    const q = s[this.i];
    const triple = s.startsWith(q.repeat(3), this.i);
    const close = triple ? q.repeat(3) : q;
    this.i += close.length;
    let out = '';
    for (;;) {
      if (this.i >= s.length) throw new Fail();
      if (s.startsWith(close, this.i)) {
        this.i += close.length;
        return out;
      }
      const c = s[this.i];
      if (!triple && c === '\n') throw new Fail();
      if (c !== '\\') {
        out += c;
        this.i++;
        continue;
      }
      const d = s[this.i + 1];
      if (d === undefined) throw new Fail();
      if (raw) {
        out += c + d;
        this.i += 2;
        continue;
      }
      this.i += 2;
      const simple: Record<string, string> = { '\\': '\\', "'": "'", '"': '"', n: '\n', t: '\t', r: '\r', a: '\x07', b: '\b', f: '\f', v: '\v', '\n': '' };
      if (d in simple) out += simple[d];
      else if (/[0-7]/.test(d)) {
        const m = /[0-7]{1,3}/y;
        m.lastIndex = this.i - 1;
        const oct = m.exec(s)![0];
        this.i = this.i - 1 + oct.length;
        out += String.fromCharCode(parseInt(oct, 8));
      } else if (d === 'x' || (!prefix.includes('b') && (d === 'u' || d === 'U'))) {
        const len = d === 'x' ? 2 : d === 'u' ? 4 : 8;
        const hex = s.slice(this.i, this.i + len);
        if (!new RegExp(`^[0-9a-fA-F]{${len}}$`).test(hex)) throw new Fail();
        out += String.fromCodePoint(parseInt(hex, 16));
        this.i += len;
      } else out += '\\' + d;
    }
  }

  /** Items up to `close`; `open` is consumed first unless the caller already did (''). */
  sequence(open: string, close: string): unknown[] {
    if (open) this.expect(open);
    const items: unknown[] = [];
    for (;;) {
      this.ws();
      if (this.peek() === close) {
        this.i++;
        return items;
      }
      items.push(this.expr());
      this.ws();
      if (this.peek() === ',') this.i++;
      else if (this.peek() !== close) throw new Fail();
    }
  }

  tuple(): unknown {
    this.expect('(');
    this.ws();
    if (this.peek() === ')') {
      this.i++;
      return [];
    }
    const first = this.expr();
    this.ws();
    if (this.peek() === ')') {
      this.i++;
      return first; // parenthesised expression, not a tuple
    }
    if (this.peek() !== ',') throw new Fail();
    this.i++;
    const rest = this.sequence('', ')');
    return [first, ...rest];
  }

  braces(): unknown {
    this.expect('{');
    this.ws();
    if (this.peek() === '}') {
      this.i++;
      return {};
    }
    const first = this.expr();
    this.ws();
    if (this.peek() === ':') {
      this.i++;
      const out: Record<string, unknown> = {};
      out[String(first)] = this.expr();
      for (;;) {
        this.ws();
        if (this.peek() === '}') {
          this.i++;
          return out;
        }
        if (this.peek() !== ',') throw new Fail();
        this.i++;
        this.ws();
        if (this.peek() === '}') {
          this.i++;
          return out;
        }
        const k = this.expr();
        this.expect(':');
        out[String(k)] = this.expr();
      }
    }
    // a set: Ansible turns it into a list
    const items = [first];
    this.ws();
    if (this.peek() === ',') this.i++;
    return [...items, ...this.sequence('', '}')];
  }
}

/** `ast.literal_eval(text)`, or `{ ok: false }` where Python would raise. */
export function pythonLiteral(text: string): { ok: true; value: unknown } | { ok: false } {
  try {
    return { ok: true, value: new LiteralParser(text).all() };
  } catch (e) {
    if (e instanceof Fail) return { ok: false };
    throw e;
  }
}

/** An INI value the way Ansible reads it: a Python literal if it is one, else the text. */
export function iniValue(text: string): unknown {
  const r = pythonLiteral(text);
  return r.ok ? r.value : text;
}
