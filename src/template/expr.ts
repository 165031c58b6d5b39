import { type SourcePos, RunbookError, TemplateError } from '../core/errors.js';
import { applyDefault, compare, deepEqual, FILTERS, HELPER_FNS, HelperError, truthy } from './helpers.js';
import { inWhere, posAt, type TemplateWhere } from './pos.js';
import { DecidedAtRunTime, fieldNames, getField, isPlainObject, isRuntimeUnknown, kindOf } from './runtime.js';
import { didYouMean } from './suggest.js';
import { FILTER_KWARGS, type FilterEnv, JFILTERS, JTESTS, pyStr } from './jfilters.js';

export { truthy } from './helpers.js';

/**
 * The safe expression language of `when`, `changed_when`, `failed_when` and `until`: a
 * hand-written tokenizer and recursive-descent parser producing an AST that is walked by an
 * evaluator. Nothing is ever handed to `eval` or `new Function`; field access reads own
 * properties of plain data only (maps, lists, strings), never prototypes.
 *
 * Grammar, loosest binding first (Jinja's):
 *
 *   cond    := or ['if' or ['else' cond]]
 *   or      := and ('or' and)*
 *   and     := not ('and' not)*
 *   not     := 'not' not | compare
 *   compare := math1 (('=='|'!='|'<'|'<='|'>'|'>='|'in'|'not' 'in') math1)*   (chains: a < b < c)
 *   math1   := concat (('+'|'-') concat)*
 *   concat  := math2 ('~' math2)*
 *   math2   := pow (('*'|'/'|'//'|'%') pow)*
 *   pow     := unary ('**' unary)*
 *   unary   := ('-'|'+') unary | postfix (('|' filter) | ('is' ['not'] test))*
 *   postfix := primary ('.' name | '.' int | '.' method '(' args ')' | '[' cond ']')*
 *   primary := number | 'string' | "string" | true | false | True | False | none | None | null
 *            | name | name '(' args ')' (range; lookup, query, q; a template's macros) | '(' cond [',' …] ')'
 *            | '[' [cond (',' cond)*] ']' | '{' [cond ':' cond (',' …)*] '}'
 *   filter  := name ['(' [arg (',' arg)*] ')']      (arg: cond | name '=' cond)
 *   test    := name ['(' [cond (',' cond)*] ')' | primary]
 *
 * Methods (on plain data, implemented here, never looked up on objects): items, keys,
 * values, get on maps; upper, lower, strip, lstrip, rstrip, split, startswith, endswith,
 * replace, join, title, capitalize on strings.
 *
 * Tests: defined, undefined, none, true, false, string, number, integer, float, boolean,
 * mapping, sequence, iterable, truthy, falsy, and for registered results failed / failure,
 * changed / change, succeeded / success / successful, skipped / skip.
 * Filters: default / d (never fails on undefined), and every name in FILTERS
 * (length, count, int, float, bool, string, lower, upper, trim, join, replace, split, first,
 * last, basename, dirname, quote, to_json, to_yaml, dict2items, map(attribute=…), …).
 */

export type Expr =
  | { k: 'lit'; value: unknown; s: number; e: number }
  | { k: 'list'; items: Expr[]; s: number; e: number }
  | { k: 'dict'; entries: [Expr, Expr][]; s: number; e: number }
  | { k: 'name'; name: string; s: number; e: number }
  | { k: 'attr'; obj: Expr; name: string; s: number; e: number }
  | { k: 'index'; obj: Expr; index: Expr; s: number; e: number }
  | { k: 'not'; arg: Expr; s: number; e: number }
  | { k: 'neg'; arg: Expr; s: number; e: number }
  | { k: 'and' | 'or'; left: Expr; right: Expr; s: number; e: number }
  | { k: 'cmp'; ops: string[]; operands: Expr[]; s: number; e: number }
  | { k: 'test'; arg: Expr; name: string; negate: boolean; args: Expr[]; s: number; e: number }
  | { k: 'filter'; arg: Expr; name: string; args: Expr[]; kwargs: Record<string, Expr>; s: number; e: number }
  | { k: 'bin'; op: string; left: Expr; right: Expr; s: number; e: number }
  | { k: 'cond'; test: Expr; yes: Expr; no?: Expr; s: number; e: number }
  | { k: 'call'; name: string; args: Expr[]; kwargs: Record<string, Expr>; s: number; e: number }
  | { k: 'method'; obj: Expr; name: string; args: Expr[]; s: number; e: number };

/**
 * A function a template defines (a macro) or the language offers (range): called by name,
 * `m(1, b=2)`. Only names listed in {@link ExprWhere.calls} parse as calls.
 */
export class Callable {
  constructor(
    readonly name: string,
    readonly invoke: (args: unknown[], kwargs: Record<string, unknown>) => unknown,
  ) {}
}

/** Where an expression was written. */
export interface ExprWhere extends TemplateWhere {
  /** Names that may be called as functions (a template's macros); `range` always may. */
  calls?: ReadonlySet<string>;
  /** A guess whose errors are dropped: an undefined name gets no "did you mean" (costly). */
  guess?: boolean;
}

/** A syntax error at a character offset of the expression. */
export class ExprSyntaxError extends Error {
  constructor(
    message: string,
    readonly offset: number,
  ) {
    super(message);
  }
}

// ---------------------------------------------------------------------------------------
// Tokens

type Tok = { t: 'num' | 'str' | 'id' | 'op' | 'end'; v: string; value?: unknown; s: number; e: number };

const OPS = ['**', '//', '==', '!=', '<=', '>=', '<', '>', '(', ')', '[', ']', '{', '}', ',', '.', '|', ':', '=', '-', '+', '*', '/', '%', '~'];

const HINTS: Record<string, string> = {
  '&&': "use 'and'",
  '||': "use 'or'",
  '!': "use 'not'",
  '===': "use '=='",
  '?': "use 'x if cond else y'",
};

function tokenize(src: string): Tok[] {
  const toks: Tok[] = [];
  let i = 0;
  while (i < src.length) {
    const c = src[i];
    if (/\s/.test(c)) {
      i++;
      continue;
    }
    const s = i;
    const prev = toks.at(-1);
    if (/\d/.test(c)) {
      if (prev?.t === 'op' && prev.v === '.') {
        while (i < src.length && /\d/.test(src[i])) i++;
      } else {
        while (i < src.length && /[\d_]/.test(src[i])) i++;
        if (src[i] === '.' && /\d/.test(src[i + 1] ?? '')) {
          i++;
          while (i < src.length && /\d/.test(src[i])) i++;
        }
        if (/[eE]/.test(src[i] ?? '') && /[-+\d]/.test(src[i + 1] ?? '')) {
          i += 2;
          while (i < src.length && /\d/.test(src[i])) i++;
        }
      }
      if (/[A-Za-z_]/.test(src[i] ?? '')) throw new ExprSyntaxError(`invalid number '${src.slice(s, i + 1)}'`, s);
      const text = src.slice(s, i);
      toks.push({ t: 'num', v: text, value: Number(text.replace(/_/g, '')), s, e: i });
      continue;
    }
    if (/[A-Za-z_]/.test(c)) {
      while (i < src.length && /\w/.test(src[i])) i++;
      toks.push({ t: 'id', v: src.slice(s, i), s, e: i });
      continue;
    }
    if (c === '"' || c === "'") {
      let v = '';
      i++;
      for (;;) {
        if (i >= src.length) throw new ExprSyntaxError('unterminated string', s);
        const d = src[i];
        if (d === c) break;
        if (d === '\\') {
          const esc = src[i + 1];
          // Python's escapes; an unknown one keeps its backslash ('\d' is a backslash and a d).
          const known: Record<string, string> = { n: '\n', t: '\t', r: '\r', '0': '\0', '\\': '\\', "'": "'", '"': '"' };
          v += esc === undefined ? '' : (known[esc] ?? `\\${esc}`);
          i += 2;
          continue;
        }
        v += d;
        i++;
      }
      i++;
      toks.push({ t: 'str', v: src.slice(s, i), value: v, s, e: i });
      continue;
    }
    if (src.startsWith('{{', i) || src.startsWith('{%', i)) {
      throw new ExprSyntaxError(
        'template delimiters are not allowed inside a condition: write the expression itself (when: x == 1), not {{ }}',
        s,
      );
    }
    const hint = Object.keys(HINTS)
      .sort((a, b) => b.length - a.length)
      .find((h) => src.startsWith(h, i));
    if (hint && !OPS.some((o) => o.length >= hint.length && src.startsWith(o, i))) {
      throw new ExprSyntaxError(`unexpected '${hint}': ${HINTS[hint]}`, s);
    }
    const op = OPS.find((o) => src.startsWith(o, i));
    if (!op) throw new ExprSyntaxError(`unexpected character '${c}'`, s);
    i += op.length;
    toks.push({ t: 'op', v: op, s, e: i });
  }
  toks.push({ t: 'end', v: '', s: src.length, e: src.length });
  return toks;
}

// ---------------------------------------------------------------------------------------
// Parser

const KEYWORDS = new Set(['and', 'or', 'not', 'in', 'is', 'if', 'else']);
const CMP = new Set(['==', '!=', '<', '<=', '>', '>=']);

/** Lookup plugins of Ansible that runbook has (run on the controller; src/executor/lookups.ts). */
export const LOOKUP_PLUGINS: readonly string[] = ['env', 'file', 'vars'];
const LOOKUPS = new Set(['lookup', 'query', 'q']);
const FUNCTIONS = new Set(['range', ...LOOKUPS]);

const METHOD_NAMES = ['items', 'keys', 'values', 'get', 'upper', 'lower', 'strip', 'lstrip', 'rstrip', 'split', 'startswith', 'endswith', 'replace', 'join', 'title', 'capitalize'];

class Parser {
  private k = 0;
  private readonly toks: Tok[];

  constructor(
    src: string,
    private readonly calls: ReadonlySet<string> = new Set(),
  ) {
    this.toks = tokenize(src);
  }

  parse(): Expr {
    if (this.peek().t === 'end') throw new ExprSyntaxError('empty expression', 0);
    const e = this.cond();
    const t = this.peek();
    if (t.t !== 'end') {
      if (t.t === 'op' && t.v === '(') this.fail('calling functions or methods is not supported', t);
      this.fail(`unexpected '${t.v}' (expected 'and', 'or', an operator or the end)`, t);
    }
    return e;
  }

  private peek(off = 0): Tok {
    return this.toks[Math.min(this.k + off, this.toks.length - 1)];
  }

  private next(): Tok {
    return this.toks[this.k++];
  }

  private fail(message: string, t: Tok = this.peek()): never {
    throw new ExprSyntaxError(message, t.s);
  }

  private isOp(v: string, off = 0): boolean {
    const t = this.peek(off);
    return t.t === 'op' && t.v === v;
  }

  private isWord(v: string, off = 0): boolean {
    const t = this.peek(off);
    return t.t === 'id' && t.v === v;
  }

  private expectOp(v: string): Tok {
    if (!this.isOp(v)) {
      const t = this.peek();
      this.fail(`expected '${v}', found ${t.t === 'end' ? 'the end of the expression' : `'${t.v}'`}`, t);
    }
    return this.next();
  }

  private cond(): Expr {
    let e = this.or();
    while (this.isWord('if')) {
      this.k++;
      const test = this.or();
      let no: Expr | undefined;
      if (this.isWord('else')) {
        this.k++;
        no = this.cond();
      }
      e = { k: 'cond', test, yes: e, no, s: e.s, e: (no ?? test).e };
    }
    return e;
  }

  private or(): Expr {
    let left = this.and();
    while (this.isWord('or')) {
      this.k++;
      const right = this.and();
      left = { k: 'or', left, right, s: left.s, e: right.e };
    }
    return left;
  }

  private and(): Expr {
    let left = this.not();
    while (this.isWord('and')) {
      this.k++;
      const right = this.not();
      left = { k: 'and', left, right, s: left.s, e: right.e };
    }
    return left;
  }

  private not(): Expr {
    if (this.isWord('not')) {
      const t = this.next();
      const arg = this.not();
      return { k: 'not', arg, s: t.s, e: arg.e };
    }
    return this.compare();
  }

  private binary(ops: readonly string[], next: () => Expr): Expr {
    let left = next();
    for (;;) {
      const t = this.peek();
      if (t.t !== 'op' || !ops.includes(t.v)) return left;
      this.k++;
      const right = next();
      left = { k: 'bin', op: t.v, left, right, s: left.s, e: right.e };
    }
  }

  private math1(): Expr {
    return this.binary(['+', '-'], () => this.concat());
  }

  private concat(): Expr {
    return this.binary(['~'], () => this.math2());
  }

  private math2(): Expr {
    return this.binary(['*', '/', '//', '%'], () => this.pow());
  }

  private pow(): Expr {
    return this.binary(['**'], () => this.unary());
  }

  private compare(): Expr {
    const first = this.math1();
    const ops: string[] = [];
    const operands: Expr[] = [first];
    for (;;) {
      const t = this.peek();
      let op: string | undefined;
      if (t.t === 'op' && CMP.has(t.v)) {
        op = t.v;
        this.k++;
      } else if (this.isWord('in')) {
        op = 'in';
        this.k++;
      } else if (this.isWord('not') && this.isWord('in', 1)) {
        op = 'not in';
        this.k += 2;
      } else if (t.t === 'op' && t.v === '=') {
        this.fail("unexpected '=': use '==' to compare", t);
      } else break;
      ops.push(op);
      operands.push(this.math1());
    }
    if (ops.length === 0) return first;
    return { k: 'cmp', ops, operands, s: first.s, e: operands.at(-1)!.e };
  }

  private unary(withFilter = true): Expr {
    let node: Expr;
    if (this.isOp('-') || this.isOp('+')) {
      const t = this.next();
      const arg = this.unary(false);
      node = t.v === '-' ? { k: 'neg', arg, s: t.s, e: arg.e } : { k: 'bin', op: '+', left: { k: 'lit', value: 0, s: t.s, e: t.s }, right: arg, s: t.s, e: arg.e };
    } else node = this.postfix(this.primary());
    if (!withFilter) return node;
    for (;;) {
      if (this.isOp('|')) {
        this.k++;
        node = this.filter(node);
      } else if (this.isWord('is')) {
        this.k++;
        let negate = false;
        if (this.isWord('not')) {
          this.k++;
          negate = true;
        }
        const name = this.next();
        if (name.t !== 'id' && !(name.t === 'op' && (name.v === '==' || name.v === '!='))) this.fail('expected a test name after is (defined, none, failed, …)', name);
        if (!TESTS[name.v] && !JTESTS[name.v]) this.fail(`unknown test '${name.v}'${didYouMean(name.v, [...Object.keys(TESTS), ...Object.keys(JTESTS)])}`, name);
        const args: Expr[] = [];
        let e = name.e;
        if (this.isOp('(')) {
          this.k++;
          while (!this.isOp(')')) {
            args.push(this.cond());
            if (!this.isOp(',')) break;
            this.k++;
          }
          e = this.expectOp(')').e;
        } else {
          // One argument without parentheses: `x is divisibleby 3`, `x is sameas none`.
          const t = this.peek();
          if (t.t === 'num' || t.t === 'str' || (t.t === 'id' && !KEYWORDS.has(t.v)) || (t.t === 'op' && (t.v === '[' || t.v === '{'))) {
            const arg = this.postfix(this.primary());
            args.push(arg);
            e = arg.e;
          }
        }
        node = { k: 'test', arg: node, name: name.v, negate, args, s: node.s, e };
      } else {
        return node;
      }
    }
  }

  private filter(arg: Expr): Expr {
    const name = this.next();
    if (name.t !== 'id') this.fail('expected a filter name after |', name);
    if (!FILTERS[name.v] && !JFILTERS[name.v] && name.v !== 'mandatory') {
      const all = [...new Set([...Object.keys(FILTERS), ...Object.keys(JFILTERS), 'mandatory'])].sort();
      this.fail(`unsupported filter '${name.v}'${didYouMean(name.v, all)} (supported: ${all.join(', ')})`, name);
    }
    const args: Expr[] = [];
    const kwargs: Record<string, Expr> = {};
    let e = name.e;
    if (this.isOp('(')) {
      this.k++;
      while (!this.isOp(')')) {
        if (this.peek().t === 'id' && this.isOp('=', 1)) {
          const key = this.next();
          const allowed = FILTER_KWARGS[name.v];
          if (!allowed) this.fail(`filter '${name.v}' takes no keyword arguments`, key);
          if (!allowed.includes(key.v)) this.fail(`filter '${name.v}' has no keyword argument '${key.v}'${allowed.length ? ` (it has: ${allowed.join(', ')})` : ''}`, key);
          this.k++;
          kwargs[key.v] = this.cond();
        } else {
          args.push(this.cond());
        }
        if (!this.isOp(',')) break;
        this.k++;
      }
      e = this.expectOp(')').e;
    }
    if (name.v === 'map' && !kwargs.attribute && !(args[0]?.k === 'lit' && typeof args[0].value === 'string')) {
      this.fail("map needs attribute='field' or a filter name: map(attribute='name'), map('upper')", name);
    }
    return { k: 'filter', arg, name: name.v, args, kwargs, s: arg.s, e };
  }

  private postfix(node: Expr): Expr {
    for (;;) {
      if (this.isOp('.')) {
        this.k++;
        const t = this.next();
        if (t.t !== 'id' && t.t !== 'num') this.fail('expected a field name after .', t);
        if (this.isOp('(')) {
          if (!METHOD_NAMES.includes(t.v)) {
            this.fail(`calling methods is not supported, but for ${METHOD_NAMES.join(', ')} (use filters: x | lower, x | length)`, this.peek());
          }
          this.k++;
          const args = this.callArgs(false).args;
          const end = this.expectOp(')');
          node = { k: 'method', obj: node, name: t.v, args, s: node.s, e: end.e };
          continue;
        }
        node = { k: 'attr', obj: node, name: t.v, s: node.s, e: t.e };
      } else if (this.isOp('[')) {
        this.k++;
        const index = this.cond();
        const end = this.expectOp(']');
        node = { k: 'index', obj: node, index, s: node.s, e: end.e };
      } else if (this.isOp('(')) {
        this.fail('calling functions or methods is not supported', this.peek());
      } else {
        return node;
      }
    }
  }

  /** Arguments up to (not including) the closing parenthesis. */
  private callArgs(keywords: boolean): { args: Expr[]; kwargs: Record<string, Expr> } {
    const args: Expr[] = [];
    const kwargs: Record<string, Expr> = {};
    while (!this.isOp(')')) {
      if (keywords && this.peek().t === 'id' && this.isOp('=', 1)) {
        const key = this.next().v;
        this.k++;
        kwargs[key] = this.cond();
      } else {
        if (Object.keys(kwargs).length) this.fail('a positional argument cannot follow a keyword argument');
        args.push(this.cond());
      }
      if (!this.isOp(',')) break;
      this.k++;
    }
    return { args, kwargs };
  }

  private primary(): Expr {
    const t = this.next();
    switch (t.t) {
      case 'num':
      case 'str':
        return { k: 'lit', value: t.value, s: t.s, e: t.e };
      case 'id': {
        switch (t.v) {
          case 'true':
          case 'True':
            return { k: 'lit', value: true, s: t.s, e: t.e };
          case 'false':
          case 'False':
            return { k: 'lit', value: false, s: t.s, e: t.e };
          case 'none':
          case 'None':
          case 'null':
            return { k: 'lit', value: null, s: t.s, e: t.e };
        }
        if (KEYWORDS.has(t.v)) this.fail(`unexpected '${t.v}'`, t);
        if (this.isOp('(') && (FUNCTIONS.has(t.v) || this.calls.has(t.v))) {
          this.k++;
          const { args, kwargs } = this.callArgs(true);
          const end = this.expectOp(')');
          const plugin = LOOKUPS.has(t.v) && !this.calls.has(t.v) ? args[0] : undefined;
          if (plugin?.k === 'lit' && !LOOKUP_PLUGINS.includes(String(plugin.value))) {
            this.fail(`lookup plugin '${String(plugin.value)}' is not supported${didYouMean(String(plugin.value), LOOKUP_PLUGINS)} (runbook has: ${LOOKUP_PLUGINS.join(', ')})`, { t: 'str', v: '', s: plugin.s, e: plugin.e });
          }
          return { k: 'call', name: t.v, args, kwargs, s: t.s, e: end.e };
        }
        return { k: 'name', name: t.v, s: t.s, e: t.e };
      }
      case 'op':
        if (t.v === '(') {
          const inner = this.cond();
          if (this.isOp(',')) {
            // A tuple: (a, b) is a list here.
            const items = [inner];
            while (this.isOp(',')) {
              this.k++;
              if (this.isOp(')')) break;
              items.push(this.cond());
            }
            const end = this.expectOp(')');
            return { k: 'list', items, s: t.s, e: end.e };
          }
          const end = this.expectOp(')');
          return { ...inner, s: t.s, e: end.e };
        }
        if (t.v === '[') {
          const items: Expr[] = [];
          while (!this.isOp(']')) {
            items.push(this.cond());
            if (!this.isOp(',')) break;
            this.k++;
          }
          const end = this.expectOp(']');
          return { k: 'list', items, s: t.s, e: end.e };
        }
        if (t.v === '{') {
          const entries: [Expr, Expr][] = [];
          while (!this.isOp('}')) {
            const key = this.cond();
            this.expectOp(':');
            entries.push([key, this.cond()]);
            if (!this.isOp(',')) break;
            this.k++;
          }
          const end = this.expectOp('}');
          return { k: 'dict', entries, s: t.s, e: end.e };
        }
        return this.fail(`unexpected '${t.v}'`, t);
      default:
        return this.fail('unexpected end of expression', t);
    }
  }
}

const parsed = new Map<string, Expr>();

/** Parse an expression (cached). Throws ExprSyntaxError with the offset of the bad token. */
export function parseExpr(src: string, calls?: ReadonlySet<string>): Expr {
  const key = calls?.size ? `${[...calls].sort().join(',')}\u0000${src}` : src;
  let ast = parsed.get(key);
  if (!ast) {
    ast = new Parser(src, calls).parse();
    if (parsed.size > 5000) parsed.clear();
    parsed.set(key, ast);
  }
  return ast;
}

/**
 * A condition written as a whole template (`when: "{{ x == 1 }}"`): the expression inside
 * and its offset. `wrapped` tells the caller to warn.
 */
export function unwrapTemplate(text: string): { expr: string; offset: number; wrapped: boolean } {
  const m = /^(\s*)\{\{([\s\S]*)\}\}\s*$/.exec(text);
  if (!m || m[2].includes('{{') || m[2].includes('}}')) return { expr: text, offset: 0, wrapped: false };
  return { expr: m[2], offset: m[1].length + 2, wrapped: true };
}

/**
 * Check an expression's syntax (load time). Throws TemplateError positioned at the
 * offending token.
 */
export function checkExpr(text: string, where: ExprWhere = {}): void {
  const { expr, offset } = unwrapTemplate(text);
  try {
    parseExpr(expr, where.calls);
  } catch (e) {
    if (e instanceof ExprSyntaxError) throw syntaxError(text, e, offset, where);
    throw e;
  }
}

function syntaxError(text: string, e: ExprSyntaxError, offset: number, where: ExprWhere): TemplateError {
  return new TemplateError(
    `invalid expression ${JSON.stringify(text.trim())}: ${e.message}${inWhere(where)}`,
    posAt(where.pos, text, offset + e.offset),
  );
}

// ---------------------------------------------------------------------------------------
// Evaluation

const UNDEF: unique symbol = Symbol('undefined');
type Val = unknown;

type TestFn = (v: Val, ev: Evaluator, node: Expr & { k: 'test' }) => boolean;

function resultField(field: string): TestFn {
  return (v, ev, node) => {
    const arg = node.arg;
    if (isRuntimeUnknown(v)) {
      if (!v.knows(field)) throw ev.decided(`${ev.text(arg)}.${field}`, v.source, arg);
      return truthy(v.known[field]);
    }
    if (!isPlainObject(v)) throw ev.error(`'${ev.text(arg)}' is not a task result (it is ${kindOf(v)})`, arg);
    const r = getField(v, field);
    return r.found ? truthy(r.value) : false;
  };
}

const failed = resultField('failed');
const changed = resultField('changed');
const skipped = resultField('skipped');

const TESTS: Record<string, TestFn | 'lenient'> = {
  defined: 'lenient',
  undefined: 'lenient',
  none: (v) => v === null,
  true: (v) => v === true,
  false: (v) => v === false,
  string: (v) => typeof v === 'string',
  number: (v) => typeof v === 'number',
  integer: (v) => typeof v === 'number' && Number.isInteger(v),
  float: (v) => typeof v === 'number' && !Number.isInteger(v),
  boolean: (v) => typeof v === 'boolean',
  mapping: (v) => isPlainObject(v),
  sequence: (v) => Array.isArray(v) || typeof v === 'string',
  iterable: (v) => Array.isArray(v) || typeof v === 'string' || isPlainObject(v),
  truthy: (v) => truthy(v),
  falsy: (v) => !truthy(v),
  failed,
  failure: failed,
  changed,
  change: changed,
  succeeded: (v, ev, n) => !failed(v, ev, n),
  success: (v, ev, n) => !failed(v, ev, n),
  successful: (v, ev, n) => !failed(v, ev, n),
  skipped,
  skip: skipped,
};

class Evaluator {
  constructor(
    private readonly src: string,
    private readonly offset: number,
    private readonly full: string,
    private readonly vars: unknown,
    private readonly where: ExprWhere,
  ) {}

  text(n: Expr): string {
    return this.src.slice(n.s, n.e);
  }

  pos(n: Expr): SourcePos | undefined {
    return posAt(this.where.pos, this.full, this.offset + n.s);
  }

  error(message: string, n: Expr, variable?: string, hint = ''): TemplateError {
    return new TemplateError(`${message}${inWhere(this.where)}${hint}`, this.pos(n), variable);
  }

  decided(path: string, source: string, n: Expr): DecidedAtRunTime {
    return new DecidedAtRunTime(path, source, this.pos(n), this.where.task ?? this.where.what);
  }

  /** A value usable by an operator: not undefined, not decided at run time. */
  need(v: Val, n: Expr): unknown {
    if (isRuntimeUnknown(v)) throw this.decided(this.text(n), v.source, n);
    return v;
  }

  value(n: Expr): unknown {
    return this.need(this.ev(n, false), n);
  }

  ev(n: Expr, lenient: boolean): Val | typeof UNDEF {
    switch (n.k) {
      case 'lit':
        return n.value;
      case 'list':
        return n.items.map((x) => this.value(x));
      case 'dict': {
        const out: Record<string, unknown> = {};
        for (const [k, v] of n.entries) {
          const key = this.value(k);
          if (typeof key !== 'string' && typeof key !== 'number') throw this.error(`map keys must be strings, found ${kindOf(key)}`, k);
          Object.defineProperty(out, String(key), { value: this.value(v), enumerable: true, writable: true, configurable: true });
        }
        return out;
      }
      case 'name': {
        const r = getField(this.vars, n.name);
        if (r.found) return r.value;
        if (lenient) return UNDEF;
        throw this.error(`undefined variable '${n.name}'`, n, n.name, this.where.guess ? '' : didYouMean(n.name, fieldNames(this.vars)));
      }
      case 'attr':
      case 'index': {
        const obj = this.ev(n.obj, lenient);
        if (obj === UNDEF) return UNDEF;
        let key: unknown;
        if (n.k === 'attr') key = n.name;
        else {
          key = this.value(n.index);
          if (typeof key !== 'string' && typeof key !== 'number') {
            throw this.error(`an index must be a string or a number, found ${kindOf(key)}`, n.index);
          }
        }
        const path = n.k === 'attr' ? this.text(n) : `${this.text(n.obj)}[${JSON.stringify(key)}]`;
        if (isRuntimeUnknown(obj)) {
          const k = String(key);
          if (!obj.knows(k)) throw this.decided(path, obj.source, n);
          return obj.known[k];
        }
        const r = getField(obj, key as string | number, true);
        if (r.found) return r.value;
        if (lenient) return UNDEF;
        const why = obj === null || typeof obj !== 'object' ? ` ('${this.text(n.obj)}' is ${kindOf(obj)})` : '';
        throw this.error(`undefined variable '${path}'`, n, path, why || (this.where.guess ? '' : didYouMean(String(key), fieldNames(obj))));
      }
      case 'not':
        return !this.truth(n.arg);
      case 'neg': {
        const v = this.value(n.arg);
        if (typeof v !== 'number') throw this.error(`cannot negate ${kindOf(v)}`, n);
        return -v;
      }
      case 'and': {
        const l = this.value(n.left);
        return truthy(l) ? this.value(n.right) : l;
      }
      case 'or': {
        const l = this.value(n.left);
        return truthy(l) ? l : this.value(n.right);
      }
      case 'cmp': {
        let left = this.value(n.operands[0]);
        for (let i = 0; i < n.ops.length; i++) {
          const rightNode = n.operands[i + 1];
          const right = this.value(rightNode);
          if (!this.compareOne(n.ops[i], left, right, n)) return false;
          left = right;
        }
        return true;
      }
      case 'test':
        return this.test(n);
      case 'filter':
        return this.filter(n);
      case 'bin':
        return this.arith(n);
      case 'cond':
        if (this.truth(n.test)) return this.value(n.yes);
        return n.no ? this.value(n.no) : '';
      case 'call':
        return this.call(n);
      case 'method':
        return this.method(n);
    }
  }

  private arith(n: Expr & { k: 'bin' }): unknown {
    const a = this.value(n.left);
    const b = this.value(n.right);
    if (n.op === '~') return pyStr(a) + pyStr(b);
    const isNum = (x: unknown): x is number | boolean => typeof x === 'number' || typeof x === 'boolean';
    const bad = (): never => {
      throw this.error(`cannot use '${n.op}' on ${kindOf(a)} and ${kindOf(b)} in '${this.text(n)}'`, n);
    };
    if (isNum(a) && isNum(b)) {
      const x = Number(a);
      const y = Number(b);
      if (y === 0 && (n.op === '/' || n.op === '//' || n.op === '%')) throw this.error(`division by zero in '${this.text(n)}'`, n);
      switch (n.op) {
        case '+': return x + y;
        case '-': return x - y;
        case '*': return x * y;
        case '/': return x / y;
        case '//': return Math.floor(x / y);
        case '%': return x - y * Math.floor(x / y);
        case '**': return x ** y;
      }
    }
    if (n.op === '+') {
      if (typeof a === 'string' && typeof b === 'string') return a + b;
      if (Array.isArray(a) && Array.isArray(b)) return [...a, ...b];
    }
    if (n.op === '*') {
      const [seqv, times] = typeof b === 'number' ? [a, b] : [b, a];
      if (typeof times === 'number' && Number.isInteger(times)) {
        if (typeof seqv === 'string') return seqv.repeat(Math.max(0, times));
        if (Array.isArray(seqv)) return Array.from({ length: Math.max(0, times) }, () => seqv).flat();
      }
    }
    if (n.op === '%' && typeof a === 'string') throw this.error(`string formatting with % is not supported in '${this.text(n)}' (use ~ or a filter)`, n);
    return bad();
  }

  private call(n: Expr & { k: 'call' }): unknown {
    const args = n.args.map((a) => this.value(a));
    const kwargs: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(n.kwargs)) kwargs[k] = this.value(v);
    const r = getField(this.vars, n.name);
    const fn = r.found ? r.value : undefined;
    try {
      if (fn instanceof Callable) return fn.invoke(args, kwargs);
      if (n.name === 'range' && !r.found) return range(args);
      if (LOOKUPS.has(n.name) && !r.found) throw new HelperError('lookups run in the templates and conditions of tasks only');
    } catch (e) {
      if (e instanceof HelperError) throw this.error(`${n.name}: ${e.message}`, n);
      throw e;
    }
    throw this.error(`'${n.name}' cannot be called (it is ${kindOf(fn)})`, n);
  }

  private method(n: Expr & { k: 'method' }): unknown {
    const obj = this.value(n.obj);
    const args = n.args.map((a) => this.value(a));
    try {
      return callMethod(obj, n.name, args);
    } catch (e) {
      if (e instanceof HelperError) throw this.error(`${this.text(n.obj)}.${n.name}(): ${e.message}`, n);
      throw e;
    }
  }

  private truth(n: Expr): boolean {
    return truthy(this.value(n));
  }

  private compareOne(op: string, a: unknown, b: unknown, n: Expr): boolean {
    try {
      switch (op) {
        case '==':
          return deepEqual(a, b);
        case '!=':
          return !deepEqual(a, b);
        case '<':
          return compare(a, b) < 0;
        case '<=':
          return compare(a, b) <= 0;
        case '>':
          return compare(a, b) > 0;
        case '>=':
          return compare(a, b) >= 0;
        case 'in':
          return this.contains(b, a, n);
        case 'not in':
          return !this.contains(b, a, n);
      }
    } catch (e) {
      if (e instanceof HelperError) throw this.error(`${e.message} in '${this.text(n)}'`, n);
      throw e;
    }
    throw this.error(`unknown operator '${op}'`, n);
  }

  private contains(container: unknown, item: unknown, n: Expr): boolean {
    if (typeof container === 'string') {
      if (typeof item !== 'string') throw this.error(`'in <string>' needs a string on the left, found ${kindOf(item)}`, n);
      return container.includes(item);
    }
    if (Array.isArray(container)) return container.some((x) => deepEqual(x, item));
    if (isPlainObject(container)) return (typeof item === 'string' || typeof item === 'number') && Object.hasOwn(container, String(item));
    throw this.error(`'in' needs a list, map or string on the right, found ${kindOf(container)}`, n);
  }

  private test(n: Expr & { k: 'test' }): boolean {
    const t = TESTS[n.name];
    let result: boolean;
    const jt = JTESTS[n.name];
    if (jt && !t) {
      const v = this.value(n.arg);
      const args = n.args.map((a) => this.value(a));
      try {
        result = jt(v, args);
      } catch (e) {
        if (e instanceof HelperError) throw this.error(`${n.name}: ${e.message}`, n);
        throw e;
      }
    } else if (t === 'lenient') {
      const v = this.ev(n.arg, true);
      result = n.name === 'defined' ? v !== UNDEF : v === UNDEF;
    } else {
      const v = this.ev(n.arg, false);
      if (isRuntimeUnknown(v) && t !== failed && t !== changed && t !== skipped && n.name !== 'succeeded' && n.name !== 'success' && n.name !== 'successful') {
        throw this.decided(this.text(n.arg), v.source, n.arg);
      }
      result = t(v, this, n);
    }
    return n.negate ? !result : result;
  }

  /** Filters and tests by name, for map('upper') and select('odd'). */
  private env(n: Expr & { k: 'filter' }): FilterEnv {
    return {
      filter: (name, v, args, kwargs) => {
        if (JFILTERS[name]) return JFILTERS[name](v, args, kwargs, this.env(n));
        if (name === 'default' || name === 'd') return v ?? args[0] ?? '';
        const helper = FILTERS[name];
        if (!helper || !HELPER_FNS[helper]) throw new HelperError(`unknown filter '${name}'`);
        return HELPER_FNS[helper](v, ...args);
      },
      test: (name, v, args) => {
        const jt = JTESTS[name];
        if (jt) return jt(v, args);
        const t = TESTS[name];
        if (!t) throw new HelperError(`unknown test '${name}'${didYouMean(name, [...Object.keys(TESTS), ...Object.keys(JTESTS)])}`);
        if (t === 'lenient') return name === 'defined';
        return t(v, this, { k: 'test', arg: n, name, negate: false, args: [], s: n.s, e: n.e });
      },
      hasTest: (name) => Boolean(JTESTS[name] || TESTS[name]),
    };
  }

  private filter(n: Expr & { k: 'filter' }): unknown {
    if (n.name === 'mandatory') {
      const v = this.ev(n.arg, true);
      if (v === UNDEF) {
        const msg = n.args[0] ? pyStr(this.value(n.args[0])) : `mandatory variable '${this.text(n.arg)}' is not defined`;
        throw this.error(msg, n.arg, this.text(n.arg));
      }
      return this.need(v, n.arg);
    }
    if (JFILTERS[n.name] && n.name !== 'default' && n.name !== 'd') {
      const subject = this.value(n.arg);
      const args = n.args.map((a) => this.value(a));
      const kwargs: Record<string, unknown> = {};
      for (const [k, v] of Object.entries(n.kwargs)) kwargs[k] = this.value(v);
      try {
        return JFILTERS[n.name](subject, args, kwargs, this.env(n));
      } catch (e) {
        if (e instanceof HelperError) throw this.error(`${n.name}: ${e.message}`, n);
        throw e;
      }
    }
    if (n.name === 'default' || n.name === 'd') {
      const v = this.ev(n.arg, true);
      const fallback = n.args[0] ? this.value(n.args[0]) : '';
      const falsyToo = n.args[1] ? this.value(n.args[1]) : false;
      if (v !== UNDEF && isRuntimeUnknown(v)) throw this.decided(this.text(n.arg), v.source, n.arg);
      return applyDefault(v !== UNDEF, v === UNDEF ? undefined : v, fallback, falsyToo);
    }
    const subject = this.value(n.arg);
    const fn = HELPER_FNS[FILTERS[n.name]];
    const args = n.name === 'map' ? [this.value(n.kwargs.attribute)] : n.args.map((a) => this.value(a));
    if (n.name === 'to_nice_json' && args.length === 0) args.push(4);
    try {
      return fn(subject, ...args);
    } catch (e) {
      if (e instanceof HelperError) throw this.error(`${n.name}: ${e.message}`, n);
      throw e;
    }
  }
}

const RANGE_LIMIT = 100_000;

function range(args: unknown[]): number[] {
  if (args.length === 0 || args.length > 3 || !args.every((a) => typeof a === 'number' && Number.isInteger(a))) {
    throw new HelperError('range expects 1 to 3 integers: range(stop), range(start, stop), range(start, stop, step)');
  }
  const [start, stop, step] = (args.length === 1 ? [0, args[0], 1] : [args[0], args[1], args[2] ?? 1]) as number[];
  if (step === 0) throw new HelperError('range step must not be zero');
  const out: number[] = [];
  for (let i = start; step > 0 ? i < stop : i > stop; i += step) {
    if (out.length >= RANGE_LIMIT) throw new HelperError(`range of more than ${RANGE_LIMIT} numbers`);
    out.push(i);
  }
  return out;
}

function strArg(v: unknown, what: string): string {
  if (typeof v !== 'string') throw new HelperError(`${what} expects a string, found ${kindOf(v)}`);
  return v;
}

function stripChars(s: string, chars: unknown, left: boolean, right: boolean): string {
  if (chars === undefined || chars === null) return left && right ? s.trim() : left ? s.trimStart() : s.trimEnd();
  const set = strArg(chars, 'strip');
  let a = 0;
  let b = s.length;
  while (left && a < b && set.includes(s[a])) a++;
  while (right && b > a && set.includes(s[b - 1])) b--;
  return s.slice(a, b);
}

/** The few methods of plain data (Python's), implemented here: nothing is looked up on objects. */
function callMethod(obj: unknown, name: string, args: unknown[]): unknown {
  if (isPlainObject(obj)) {
    switch (name) {
      case 'items': return Object.keys(obj).map((k) => [k, obj[k]]);
      case 'keys': return Object.keys(obj);
      case 'values': return Object.values(obj);
      case 'get': {
        const r = getField(obj, typeof args[0] === 'number' ? args[0] : String(args[0]));
        return r.found ? r.value : (args[1] ?? null);
      }
    }
  }
  if (typeof obj === 'string') {
    const f = JFILTERS[name];
    switch (name) {
      case 'upper': return obj.toUpperCase();
      case 'lower': return obj.toLowerCase();
      case 'strip': return stripChars(obj, args[0], true, true);
      case 'lstrip': return stripChars(obj, args[0], true, false);
      case 'rstrip': return stripChars(obj, args[0], false, true);
      case 'startswith': return (Array.isArray(args[0]) ? args[0] : [args[0]]).some((p) => obj.startsWith(strArg(p, 'startswith')));
      case 'endswith': return (Array.isArray(args[0]) ? args[0] : [args[0]]).some((p) => obj.endsWith(strArg(p, 'endswith')));
      case 'replace': return HELPER_FNS.replace(obj, strArg(args[0], 'replace'), strArg(args[1], 'replace'), args[2]);
      case 'join': return JFILTERS.join(args[0], [obj], {}, undefined as never);
      case 'split':
      case 'title':
      case 'capitalize':
        return f(obj, args, {}, undefined as never);
    }
  }
  throw new HelperError(`${kindOf(obj)} has no method ${name}()`);
}

/**
 * Evaluate a condition over variables. Returns the value (use {@link truthy} for a
 * decision). Throws TemplateError (syntax: positioned at the bad token; undefined variable:
 * naming it) or DecidedAtRunTime (check mode needed a value only a run can give).
 * A condition wrapped in `{{ }}` is evaluated without them (see {@link unwrapTemplate}).
 */
export function evalExpr(text: string, vars: unknown, where: ExprWhere = {}): unknown {
  if (typeof text === 'boolean') return text;
  const { expr, offset } = unwrapTemplate(String(text));
  let ast: Expr;
  try {
    ast = parseExpr(expr, where.calls);
  } catch (e) {
    if (e instanceof ExprSyntaxError) throw syntaxError(String(text), e, offset, where);
    throw e;
  }
  const ev = new Evaluator(expr, offset, String(text), vars, where);
  try {
    return ev.value(ast);
  } catch (e) {
    if (e instanceof RunbookError) throw e;
    if (e instanceof HelperError) throw ev.error(e.message, ast);
    throw e;
  }
}

/** Evaluate and decide: Python-style truthiness of the result. */
export function evalCondition(text: string, vars: unknown, where: ExprWhere = {}): boolean {
  return truthy(evalExpr(text, vars, where));
}
