import { type SourcePos, TemplateError } from '../core/errors.js';
import { Callable, evalExpr, ExprSyntaxError, parseExpr, truthy } from './expr.js';
import { type J2LexOptions, J2SyntaxError, type J2Token, lexJ2 } from './j2lex.js';
import { pyStr } from './jfilters.js';
import { exprNameSites } from './names.js';
import { inWhere, posAt, type TemplateWhere } from './pos.js';
import { isPlainObject } from './runtime.js';

/**
 * Renders `.j2` templates with Jinja's statement semantics on top of the one expression
 * language (expr.ts): `{% if/elif/else %}`, `{% for %}` (loop.index/index0/first/last/length/
 * revindex/previtem/nextitem, `else`, `k, v` unpacking, `for k, v in d.items()`),
 * `{% set x = … %}` and `{% set x %}…{% endset %}`, `{% macro %}` (defaults, keyword
 * arguments, `{% call %}` with `caller()`), `{% filter f %}…{% endfilter %}`. Tokens come from
 * the lexer (j2lex.ts), which applies trim_blocks, lstrip_blocks and the `-`/`+` markers; a
 * first line `#jinja2: trim_blocks: False, lstrip_blocks: True` changes them, as in Ansible.
 * Undefined variables are errors naming file:line:col and the variable.
 */

interface Param {
  name: string;
  dflt?: string;
  s: number;
}

type Node =
  | { k: 'text'; text: string }
  | { k: 'var'; src: string; s: number }
  | { k: 'if'; branches: { cond: string | undefined; s: number; body: Node[] }[] }
  | { k: 'for'; names: string[]; iter: string; s: number; body: Node[]; orelse: Node[] }
  | { k: 'set'; name: string; src: string; s: number }
  | { k: 'setblock'; name: string; body: Node[] }
  | { k: 'macro'; name: string; params: Param[]; body: Node[] }
  | { k: 'callblock'; src: string; s: number; params: Param[]; body: Node[] }
  | { k: 'filter'; src: string; s: number; body: Node[] };

export interface J2Options {
  /** File name used in error positions. */
  file?: string;
}

/** Variables every template can read (Ansible's template module sets them). */
export const TEMPLATE_VARS = ['ansible_managed', 'template_path', 'template_fullpath', 'template_host'] as const;

/** Internal names: the body of a filter block, the body of a call block. */
const BODY = '__j2_body';
const CALLER = '__j2_caller';

/** The trimmed text of `src` after `from`, and its offset. */
function rest(src: string, from: number, s: number): { text: string; s: number } {
  const tail = src.slice(from);
  return { text: tail.trim(), s: s + from + (tail.length - tail.trimStart().length) };
}

function firstWord(src: string): string {
  return /^[A-Za-z_]+/.exec(src)?.[0] ?? '';
}

/** Split at top-level commas (not inside brackets or strings), with each part's offset. */
function splitTop(src: string, s: number): { text: string; s: number }[] {
  const out: { text: string; s: number }[] = [];
  let depth = 0;
  let start = 0;
  for (let i = 0; i <= src.length; i++) {
    const c = src[i];
    if (c === "'" || c === '"') {
      const end = src.indexOf(c, i + 1);
      i = end < 0 ? src.length : end;
      continue;
    }
    if (c === '(' || c === '[' || c === '{') depth++;
    else if (c === ')' || c === ']' || c === '}') depth--;
    else if ((c === ',' && depth === 0) || i === src.length) {
      const part = rest(src.slice(start, i), 0, s + start);
      if (part.text !== '' || i < src.length) out.push(part);
      start = i + 1;
    }
  }
  return out;
}

class Parser {
  private i = 0;
  /** Names of the macros defined so far (they parse as calls). */
  readonly macros = new Set<string>();
  private readonly open: number[] = [];
  constructor(
    private readonly toks: J2Token[],
    private readonly fail: (msg: string, off: number) => never,
  ) {}

  /** Nodes until one of the `stop` tags (which is left unconsumed); at top level `stop` is empty. */
  nodes(stop: string[]): { body: Node[]; end?: J2Token & { k: 'stmt' } } {
    const body: Node[] = [];
    while (this.i < this.toks.length) {
      const t = this.toks[this.i];
      if (t.k === 'text') { body.push({ k: 'text', text: t.text }); this.i++; continue; }
      if (t.k === 'var') { body.push({ k: 'var', src: t.src, s: t.s }); this.i++; continue; }
      const w = firstWord(t.src);
      if (stop.includes(w)) return { body, end: t };
      this.i++;
      // The innermost open block, for "missing {% endif %}" at the tag that opened it.
      this.open.push(t.s);
      if (w === 'if') body.push(this.ifNode(t));
      else if (w === 'for') body.push(this.forNode(t));
      else if (w === 'set') body.push(this.setNode(t));
      else if (w === 'macro') body.push(this.macroNode(t));
      else if (w === 'call') body.push(this.callNode(t));
      else if (w === 'filter') {
        const r = rest(t.src, 6, t.s);
        if (!r.text) this.fail('filter needs a filter name: {% filter upper %}', t.s);
        body.push({ k: 'filter', src: r.text, s: r.s, body: this.block('endfilter') });
      } else {
        const known = ['if', 'for', 'set', 'macro', 'call', 'filter', 'raw'];
        const hint = ['elif', 'else', 'endif', 'endfor', 'endset', 'endmacro', 'endcall', 'endfilter'].includes(w) ? ' (no open block it closes)' : ` (tags: ${known.join(', ')})`;
        this.fail(`unknown or unexpected tag '${w || t.src}'${hint}`, t.s);
      }
      this.open.pop();
    }
    if (stop.length) this.fail(`missing {% ${stop[stop.length - 1]} %} for this block`, this.open[this.open.length - 1] ?? 0);
    return { body };
  }

  /** A body up to its end tag, which is consumed. */
  private block(endTag: string): Node[] {
    const { body, end } = this.nodes([endTag]);
    if (end && end.src.trim() !== endTag && !new RegExp(`^${endTag}\\s+\\w+$`).test(end.src)) this.fail(`bad ${endTag}: ${end.src}`, end.s);
    this.i++;
    return body;
  }

  private setNode(t: J2Token & { k: 'stmt' }): Node {
    const m = /^set\s+([A-Za-z_]\w*)\s*(=?)(.*)$/s.exec(t.src);
    if (!m || (!m[2] && m[3].trim() !== '')) this.fail(`bad set statement: ${t.src} (set name = value, or set name %}…{% endset)`, t.s);
    if (!m[2]) return { k: 'setblock', name: m[1], body: this.block('endset') };
    const r = rest(t.src, t.src.indexOf('=') + 1, t.s);
    if (!r.text) this.fail('set without a value', r.s);
    return { k: 'set', name: m[1], src: r.text, s: r.s };
  }

  private params(src: string, s: number): Param[] {
    return splitTop(src, s).map((p) => {
      const m = /^([A-Za-z_]\w*)\s*(?:=([\s\S]*))?$/.exec(p.text);
      if (!m) this.fail(`bad parameter '${p.text}' (name or name=default)`, p.s);
      if (m[2] === undefined) return { name: m[1], s: p.s };
      const d = rest(p.text, p.text.indexOf('=') + 1, p.s);
      return { name: m[1], dflt: d.text, s: d.s };
    });
  }

  private macroNode(t: J2Token & { k: 'stmt' }): Node {
    const m = /^macro\s+([A-Za-z_]\w*)\s*\(([\s\S]*)\)\s*$/.exec(t.src);
    if (!m) this.fail(`bad macro statement: ${t.src} (macro name(arg, other=default))`, t.s);
    const params = this.params(m[2], t.s + t.src.indexOf('(') + 1);
    this.macros.add(m[1]);
    return { k: 'macro', name: m[1], params, body: this.block('endmacro') };
  }

  private callNode(t: J2Token & { k: 'stmt' }): Node {
    // {% call m(x) %} or {% call(a, b) m(x) %}
    let params: Param[] = [];
    let at = 4;
    const head = /^call\s*\(([^)]*)\)/.exec(t.src);
    if (head) {
      params = this.params(head[1], t.s + t.src.indexOf('(') + 1);
      at = head[0].length;
    }
    const r = rest(t.src, at, t.s);
    if (!/\)\s*$/.test(r.text)) this.fail(`call needs a macro call: {% call name(…) %}`, r.s);
    return { k: 'callblock', src: r.text, s: r.s, params, body: this.block('endcall') };
  }

  private ifNode(t: J2Token & { k: 'stmt' }): Node {
    const branches: { cond: string | undefined; s: number; body: Node[] }[] = [];
    let { text: cond, s } = rest(t.src, 2, t.s) as { text: string | undefined; s: number };
    for (;;) {
      if (cond === '') this.fail('if without a condition', s);
      const { body, end } = this.nodes(['elif', 'else', 'endif']);
      branches.push({ cond, s, body });
      this.i++;
      const w = firstWord(end!.src);
      if (w === 'endif') break;
      if (cond === undefined) this.fail(`unexpected ${w} after else`, end!.s);
      if (w === 'else') { cond = undefined; s = end!.s; }
      else ({ text: cond, s } = rest(end!.src, 4, end!.s));
    }
    return { k: 'if', branches };
  }

  private forNode(t: J2Token & { k: 'stmt' }): Node {
    const m = /^for\s+\(?\s*([A-Za-z_]\w*(?:\s*,\s*[A-Za-z_]\w*)*)\s*\)?\s+in\s+(.+)$/s.exec(t.src);
    if (!m) this.fail(`bad for statement: ${t.src} (for x in list, for k, v in map.items())`, t.s);
    if (/\s+recursive\s*$/.test(m[2])) this.fail('recursive loops are not supported', t.s + t.src.lastIndexOf('recursive'));
    const names = m[1].split(',').map((n) => n.trim());
    const iter = m[2].trim();
    const first = this.nodes(['else', 'endfor']);
    this.i++;
    let orelse: Node[] = [];
    if (firstWord(first.end!.src) === 'else') {
      orelse = this.nodes(['endfor']).body;
      this.i++;
    }
    return { k: 'for', names, iter, s: t.s + t.src.lastIndexOf(m[2]), body: first.body, orelse };
  }
}

/** A value as a template prints it: Python's str(), and nothing for None (Ansible's finalize). */
export function j2str(v: unknown): string {
  return v === null || v === undefined ? '' : pyStr(v);
}

const HEADER = '#jinja2:';

/**
 * Ansible's first-line override, `#jinja2: trim_blocks: False, lstrip_blocks: True`: the
 * line is removed and sets the lexer's options for the rest of the file.
 */
function header(src: string, fail: (msg: string, off: number) => never): { opts: J2LexOptions; skip: number } {
  if (!src.startsWith(HEADER)) return { opts: {}, skip: 0 };
  const eol = src.indexOf('\n');
  const line = src.slice(0, eol < 0 ? src.length : eol);
  const opts: J2LexOptions = {};
  let at = HEADER.length;
  for (const pair of line.slice(HEADER.length).split(',')) {
    const colon = pair.indexOf(':');
    const key = (colon < 0 ? pair : pair.slice(0, colon)).trim();
    const raw = colon < 0 ? '' : pair.slice(colon + 1).trim();
    const value = raw === 'True' || raw === 'true' ? true : raw === 'False' || raw === 'false' ? false : undefined;
    if (key === 'trim_blocks' || key === 'lstrip_blocks') {
      if (value === undefined) fail(`#jinja2: ${key} must be True or False, found '${raw}'`, at + colon + 1);
      opts[key === 'trim_blocks' ? 'trimBlocks' : 'lstripBlocks'] = value;
    } else if (key !== '') {
      fail(`#jinja2: unsupported setting '${key}' (supported: trim_blocks, lstrip_blocks)`, at + pair.indexOf(key));
    }
    at += pair.length + 1;
  }
  return { opts, skip: eol < 0 ? src.length : eol + 1 };
}

interface Parsed {
  nodes: Node[];
  /** Names that parse as calls: the macros, `caller`, and the internal caller. */
  calls: ReadonlySet<string>;
  /** The one `{{ expr }}` that is the whole template, if that is what it is. */
  single?: Node & { k: 'var' };
  /** Any `{% %}` statement (which may bind names, so rendering needs its own scope). */
  statements: boolean;
}

/** The expression a call block evaluates: the macro call with `caller=` added. */
function callWithCaller(src: string): string {
  const close = src.lastIndexOf(')');
  const open = src.indexOf('(');
  const inner = src.slice(open + 1, close);
  return `${src.slice(0, close)}${inner.trim() ? ', ' : ''}caller=${CALLER}${src.slice(close)}`;
}

/** `__j2_body | <filters>`, starting this many characters before the filter text. */
const FILTER_PREFIX = `${BODY} | `;

/** A problem in a template's text, at a character offset. */
class J2Failure extends Error {
  constructor(
    message: string,
    readonly offset: number,
  ) {
    super(message);
  }
}

const failAt = (msg: string, off: number): never => {
  throw new J2Failure(msg, off);
};

/** Lex and parse a template; every expression is parsed too. Throws J2Failure. */
function parse(src: string, kind: 'file' | 'string'): Parsed {
  const { opts, skip } = kind === 'file' ? header(src, failAt) : { opts: { openCommentIsText: true }, skip: 0 };
  let toks: J2Token[];
  try {
    toks = lexJ2(src.slice(skip), opts).map((t) => ({ ...t, s: t.s + skip }));
  } catch (e) {
    if (e instanceof J2SyntaxError) failAt(e.message, e.offset + skip);
    throw e;
  }
  const parser = new Parser(toks, failAt);
  const nodes = parser.nodes([]).body;
  const calls = new Set([...parser.macros, 'caller']);
  walkExprs(nodes, (expr, s) => {
    try {
      parseExpr(expr, calls);
    } catch (e) {
      if (e instanceof ExprSyntaxError) failAt(`${e.message} in ${JSON.stringify(expr)}`, s + e.offset);
      throw e;
    }
  });
  const only = nodes.length === 1 && nodes[0].k === 'var' ? nodes[0] : undefined;
  return { nodes, calls, single: only, statements: nodes.some((n) => n.k !== 'text' && n.k !== 'var') };
}

/** A parsed template file, or a TemplateError at its file:line:col. */
function parseTemplate(src: string, file: string): Parsed {
  try {
    return parse(src, 'file');
  } catch (e) {
    if (e instanceof J2Failure) throw new TemplateError(e.message, posAt({ file, line: 1, col: 1 }, src, e.offset));
    throw e;
  }
}

/** Every expression of a template, in order, with the names bound around it. */
function walkExprs(list: Node[], visit: (expr: string, s: number, bound: ReadonlySet<string>) => void, bound: ReadonlySet<string> = new Set()): void {
  const local = new Set(bound);
  const paramsIn = (params: Param[], scope: Set<string>) => {
    for (const p of params) if (p.dflt !== undefined) visit(p.dflt, p.s, scope);
  };
  for (const n of list) {
    switch (n.k) {
      case 'text':
        break;
      case 'var':
        visit(n.src, n.s, local);
        break;
      case 'set':
        visit(n.src, n.s, local);
        local.add(n.name);
        break;
      case 'setblock':
        walkExprs(n.body, visit, local);
        local.add(n.name);
        break;
      case 'if':
        for (const b of n.branches) {
          if (b.cond !== undefined) visit(b.cond, b.s, local);
          walkExprs(b.body, visit, local);
        }
        break;
      case 'for':
        visit(n.iter, n.s, local);
        walkExprs(n.body, visit, new Set([...local, ...n.names, 'loop']));
        walkExprs(n.orelse, visit, local);
        break;
      case 'macro': {
        local.add(n.name);
        const inner = new Set([...local, ...n.params.map((p) => p.name), 'caller', 'varargs', 'kwargs']);
        paramsIn(n.params, local);
        walkExprs(n.body, visit, inner);
        break;
      }
      case 'callblock':
        visit(callWithCaller(n.src), n.s, new Set([...local, CALLER]));
        paramsIn(n.params, local);
        walkExprs(n.body, visit, new Set([...local, ...n.params.map((p) => p.name)]));
        break;
      case 'filter':
        visit(FILTER_PREFIX + n.src, n.s - FILTER_PREFIX.length, new Set([...local, BODY]));
        walkExprs(n.body, visit, local);
        break;
    }
  }
}

/**
 * Root variable names a `.j2` template reads from its caller's variables (not those bound by
 * `set`, `for` or macros inside it, nor the template variables such as `ansible_managed`),
 * in order of first use. Unparsable text → [].
 */
export function j2Names(src: string): string[] {
  let parsed: Parsed;
  try {
    parsed = parseTemplate(src, '<template>');
  } catch {
    return [];
  }
  return [...new Set(j2NameSites(src, parsed).map((x) => x.name))];
}

/**
 * Every read of a name from the caller's variables (see {@link j2Names}), with where it is
 * written in the template file. Unparsable text → [].
 */
export function j2NameSites(src: string, parsedOrFile?: Parsed | string): { name: string; pos: SourcePos }[] {
  const file = typeof parsedOrFile === 'string' ? parsedOrFile : '<template>';
  let parsed: Parsed;
  try {
    parsed = typeof parsedOrFile === 'object' ? parsedOrFile : parseTemplate(src, file);
  } catch {
    return [];
  }
  const base = { file, line: 1, col: 1 };
  const out: { name: string; pos: SourcePos }[] = [];
  walkExprs(parsed.nodes, (expr, s, bound) => {
    for (const x of exprNameSites(expr, parsed.calls)) if (!bound.has(x.name)) out.push({ name: x.name, pos: posAt(base, src, s + x.offset)! });
  }, new Set(TEMPLATE_VARS));
  return out;
}

/** Whether a template file is Jinja (every `src` but a `.hbs` one, which is Handlebars). */
export function isJ2Template(file: string): boolean {
  return !file.toLowerCase().endsWith('.hbs');
}

/** Check a template's statement and expression syntax without rendering (preflight). */
export function checkJ2(src: string, opts: J2Options = {}): void {
  parseTemplate(src, opts.file ?? '<template>');
}

type Scope = Record<string, unknown>;

/**
 * A scope inside another: the same variables, copied as property descriptors so lazily
 * computed ones (getters) are not computed until a template reads them.
 */
function child(scope: Scope): Scope {
  return Object.defineProperties(Object.create(null) as Scope, Object.getOwnPropertyDescriptors(scope));
}

/** Bind a name in a scope (replacing a lazily computed variable of that name). */
function bind(scope: Scope, name: string, value: unknown): void {
  Object.defineProperty(scope, name, { value, enumerable: true, writable: true, configurable: true });
}

/** Render a `.j2` template file. */
export function renderJ2(src: string, vars: Record<string, unknown>, opts: J2Options = {}): string {
  const file = opts.file ?? '<template>';
  const parsed = parseTemplate(src, file);
  const top = child(vars);
  if (!Object.hasOwn(top, 'ansible_managed')) bind(top, 'ansible_managed', 'Ansible managed');
  if (!Object.hasOwn(top, 'template_path')) bind(top, 'template_path', file);
  if (!Object.hasOwn(top, 'template_fullpath')) bind(top, 'template_fullpath', file);
  if (!Object.hasOwn(top, 'template_host')) bind(top, 'template_host', 'localhost');
  return renderNodes(parsed, src, top, { pos: { file, line: 1, col: 1 }, what: 'template' }, '');
}

const strings = new Map<string, Parsed>();
const STRINGS_LIMIT = 5000;

/** A playbook string parsed (cached), or a TemplateError at its position. */
function parseString(src: string, at: TemplateWhere): Parsed {
  let parsed = strings.get(src);
  if (parsed) return parsed;
  try {
    parsed = parse(src, 'string');
  } catch (e) {
    if (e instanceof J2Failure) throw new TemplateError(`${e.message}${inWhere(at)}`, posAt(at.pos, src, e.offset));
    throw e;
  }
  if (strings.size >= STRINGS_LIMIT) strings.clear();
  strings.set(src, parsed);
  return parsed;
}

/** Check a playbook string's syntax (load time). */
export function checkJ2String(src: string, at: TemplateWhere = {}): void {
  parseString(src, at);
}

/**
 * Render a playbook string as Ansible does: one that is exactly one `{{ expr }}` yields the
 * value itself (list, number, map), any other the rendered text.
 */
export function renderJ2String(src: string, vars: Record<string, unknown>, at: TemplateWhere = {}): unknown {
  const parsed = parseString(src, at);
  const where = { task: at.task, what: at.what, calls: parsed.calls };
  if (parsed.single) return evalExpr(parsed.single.src, vars, { ...where, pos: posAt(at.pos, src, parsed.single.s) });
  // Only statements bind names; text and expressions alone read the caller's scope as it is.
  return renderNodes(parsed, src, parsed.statements ? child(vars) : vars, at, inWhere(at));
}

/**
 * Root names a playbook string reads from its variables, with their offsets in the string
 * (not those bound inside it by `set` or `for`). Unparsable text → [].
 */
export function j2StringNameSites(src: string): { name: string; offset: number }[] {
  let parsed: Parsed;
  try {
    parsed = parseString(src, {});
  } catch {
    return [];
  }
  const out: { name: string; offset: number }[] = [];
  walkExprs(parsed.nodes, (expr, s, bound) => {
    for (const x of exprNameSites(expr, parsed.calls)) if (!bound.has(x.name)) out.push({ name: x.name, offset: s + x.offset });
  });
  return out;
}

function renderNodes(parsed: Parsed, src: string, top: Scope, at: TemplateWhere, failSuffix: string): string {
  const { nodes, calls } = parsed;
  const fail = (msg: string, s: number): never => {
    throw new TemplateError(`${msg}${failSuffix}`, posAt(at.pos, src, s));
  };
  const ev = (expr: string, s: number, scope: Scope): unknown =>
    evalExpr(expr, scope, { pos: posAt(at.pos, src, s), task: at.task, what: at.what, calls });

  const bindParams = (what: string, params: Param[], args: unknown[], kwargs: Record<string, unknown>, scope: Scope, defaults: Scope, s: number): void => {
    if (args.length > params.length) fail(`${what} takes ${params.length} argument${params.length === 1 ? '' : 's'}, given ${args.length}`, s);
    for (const k of Object.keys(kwargs)) {
      if (k !== 'caller' && !params.some((p) => p.name === k)) fail(`${what} has no parameter '${k}'`, s);
    }
    params.forEach((p, i) => {
      if (i < args.length) bind(scope, p.name, args[i]);
      else if (Object.hasOwn(kwargs, p.name)) bind(scope, p.name, kwargs[p.name]);
      else if (p.dflt !== undefined) bind(scope, p.name, ev(p.dflt, p.s, defaults));
    });
  };

  const run = (list: Node[], scope: Scope, out: string[]): void => {
    for (const n of list) {
      switch (n.k) {
        case 'text':
          out.push(n.text);
          break;
        case 'var':
          out.push(j2str(ev(n.src, n.s, scope)));
          break;
        case 'set':
          bind(scope, n.name, ev(n.src, n.s, scope));
          break;
        case 'setblock': {
          const body: string[] = [];
          run(n.body, child(scope), body);
          bind(scope, n.name, body.join(''));
          break;
        }
        case 'if': {
          const b = n.branches.find((x) => x.cond === undefined || truthy(ev(x.cond, x.s, scope)));
          if (b) run(b.body, scope, out);
          break;
        }
        case 'macro': {
          const defined = scope;
          bind(scope, n.name, new Callable(n.name, (args, kwargs) => {
            const inner = child(defined);
            bindParams(`macro '${n.name}'`, n.params, args, kwargs, inner, defined, n.params[0]?.s ?? 0);
            if (kwargs.caller !== undefined) bind(inner, 'caller', kwargs.caller);
            const body: string[] = [];
            run(n.body, inner, body);
            return body.join('');
          }));
          break;
        }
        case 'callblock': {
          const inner = child(scope);
          bind(inner, CALLER, new Callable('caller', (args, kwargs) => {
            const cs = child(scope);
            bindParams('caller', n.params, args, kwargs, cs, scope, n.s);
            const body: string[] = [];
            run(n.body, cs, body);
            return body.join('');
          }));
          out.push(j2str(ev(callWithCaller(n.src), n.s, inner)));
          break;
        }
        case 'filter': {
          const body: string[] = [];
          run(n.body, child(scope), body);
          const inner = child(scope);
          bind(inner, BODY, body.join(''));
          out.push(j2str(ev(FILTER_PREFIX + n.src, n.s - FILTER_PREFIX.length, inner)));
          break;
        }
        case 'for': {
          const it = ev(n.iter, n.s, scope);
          const items: unknown[] = Array.isArray(it)
            ? it
            : typeof it === 'string'
              ? [...it]
              : isPlainObject(it)
                ? Object.keys(it)
                : fail(`cannot loop over ${pyStr(it)} (${n.iter})`, n.s);
          if (items.length === 0) {
            run(n.orelse, scope, out);
            break;
          }
          items.forEach((item, idx) => {
            const inner = child(scope);
            if (n.names.length === 1) bind(inner, n.names[0], item);
            else {
              const parts = Array.isArray(item) ? item : [];
              if (parts.length !== n.names.length) fail(`cannot unpack ${pyStr(item)} into ${n.names.join(', ')}`, n.s);
              n.names.forEach((nm, j) => bind(inner, nm, parts[j]));
            }
            const loop: Scope = {
              index: idx + 1, index0: idx, first: idx === 0, last: idx === items.length - 1,
              length: items.length, revindex: items.length - idx, revindex0: items.length - idx - 1,
            };
            if (idx > 0) loop.previtem = items[idx - 1];
            if (idx < items.length - 1) loop.nextitem = items[idx + 1];
            bind(inner, 'loop', loop);
            run(n.body, inner, out);
          });
          break;
        }
      }
    }
  };
  const out: string[] = [];
  run(nodes, top, out);
  return out.join('');
}
