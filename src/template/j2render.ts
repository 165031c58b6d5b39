import { TemplateError } from '../core/errors.js';
import { evalExpr, ExprSyntaxError, parseExpr, truthy } from './expr.js';
import { exprNames } from './names.js';
import { type J2LexOptions, J2SyntaxError, type J2Token, lexJ2 } from './j2lex.js';
import { posAt } from './pos.js';

/**
 * Renders `.j2` templates with Jinja's statement semantics on top of the one expression
 * language (expr.ts): `{% if/elif/else %}`, `{% for %}` (loop.index/index0/first/last/length,
 * `else`, `k, v` unpacking), `{% set x = … %}`. Tokens come from the lexer (j2lex.ts), which
 * applies trim_blocks and the `-` markers. Undefined variables are errors naming file:line:col.
 */

type Node =
  | { k: 'text'; text: string }
  | { k: 'var'; src: string; s: number }
  | { k: 'if'; branches: { cond: string | undefined; s: number; body: Node[] }[] }
  | { k: 'for'; names: string[]; iter: string; s: number; body: Node[]; orelse: Node[] }
  | { k: 'set'; name: string; src: string; s: number };

export interface J2Options {
  /** File name used in error positions. */
  file?: string;
}

/** The trimmed text of `src` after `from`, and its offset. */
function rest(src: string, from: number, s: number): { text: string; s: number } {
  const tail = src.slice(from);
  return { text: tail.trim(), s: s + from + (tail.length - tail.trimStart().length) };
}

function firstWord(src: string): string {
  return /^[A-Za-z_]+/.exec(src)?.[0] ?? '';
}

class Parser {
  private i = 0;
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
      if (w === 'if') body.push(this.ifNode(t));
      else if (w === 'for') body.push(this.forNode(t));
      else if (w === 'set') {
        const m = /^set\s+([A-Za-z_]\w*)\s*=(.*)$/s.exec(t.src);
        if (!m) this.fail(`bad set statement: ${t.src}`, t.s);
        const r = rest(t.src, t.src.indexOf('=') + 1, t.s);
        body.push({ k: 'set', name: m[1], src: r.text, s: r.s });
      } else this.fail(`unknown or unexpected tag '${w || t.src}'`, t.s);
    }
    if (stop.length) this.fail(`missing {% ${stop[stop.length - 1]} %}`, this.toks[this.toks.length - 1]?.s ?? 0);
    return { body };
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
    const m = /^for\s+([A-Za-z_]\w*(?:\s*,\s*[A-Za-z_]\w*)*)\s+in\s+(.+)$/s.exec(t.src);
    if (!m) this.fail(`bad for statement: ${t.src}`, t.s);
    const names = m[1].split(',').map((n) => n.trim());
    const iter = m[2].trim();
    const first = this.nodes(['else', 'endfor']);
    this.i++;
    let orelse: Node[] = [];
    if (firstWord(first.end!.src) === 'else') {
      orelse = this.nodes(['endfor']).body;
      this.i++;
    }
    return { k: 'for', names, iter, s: t.s + t.src.indexOf(m[2]), body: first.body, orelse };
  }
}

/** Python's str() of a value, as Jinja prints it. */
export function j2str(v: unknown): string {
  if (typeof v === 'string') return v;
  if (v === null || v === undefined) return 'None';
  if (v === true) return 'True';
  if (v === false) return 'False';
  if (typeof v === 'number') return Number.isInteger(v) ? String(v) : String(v);
  if (Array.isArray(v)) return `[${v.map(repr).join(', ')}]`;
  if (typeof v === 'object') return `{${Object.entries(v as object).map(([k, x]) => `${repr(k)}: ${repr(x)}`).join(', ')}}`;
  return String(v);
}
function repr(v: unknown): string {
  return typeof v === 'string' ? `'${v.replace(/\\/g, '\\\\').replace(/'/g, "\\'")}'` : j2str(v);
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

function parseTemplate(src: string, file: string): Node[] {
  const base = { file, line: 1, col: 1 };
  const fail = (msg: string, off: number): never => {
    throw new TemplateError(msg, posAt(base, src, off));
  };
  const { opts, skip } = header(src, fail);
  let toks: J2Token[];
  try {
    toks = lexJ2(src.slice(skip), opts).map((t) => ({ ...t, s: t.s + skip }));
  } catch (e) {
    if (e instanceof J2SyntaxError) fail(e.message, e.offset + skip);
    throw e;
  }
  const nodes = new Parser(toks, fail).nodes([]).body;
  const check = (expr: string, s: number): void => {
    try {
      parseExpr(expr);
    } catch (e) {
      if (e instanceof ExprSyntaxError) fail(`${e.message} in ${JSON.stringify(expr)}`, s + e.offset);
      throw e;
    }
  };
  walkExprs(nodes, (expr, s) => check(expr, s));
  return nodes;
}

/** Every expression of a template, in order, with the names bound around it. */
function walkExprs(list: Node[], visit: (expr: string, s: number, bound: ReadonlySet<string>) => void, bound: ReadonlySet<string> = new Set()): void {
  const local = new Set(bound);
  for (const n of list) {
    if (n.k === 'var') visit(n.src, n.s, local);
    else if (n.k === 'set') {
      visit(n.src, n.s, local);
      local.add(n.name);
    } else if (n.k === 'if') {
      for (const b of n.branches) {
        if (b.cond !== undefined) visit(b.cond, b.s, local);
        walkExprs(b.body, visit, local);
      }
    } else if (n.k === 'for') {
      visit(n.iter, n.s, local);
      walkExprs(n.body, visit, new Set([...local, ...n.names, 'loop']));
      walkExprs(n.orelse, visit, local);
    }
  }
}

/**
 * Root variable names a `.j2` template reads from its caller's variables (not those bound by
 * `set` or `for` inside it), in order of first use. Unparsable text → [].
 */
export function j2Names(src: string): string[] {
  let nodes: Node[];
  try {
    nodes = parseTemplate(src, '<template>');
  } catch {
    return [];
  }
  const out = new Set<string>();
  walkExprs(nodes, (expr, _s, bound) => {
    for (const n of exprNames(expr)) if (!bound.has(n)) out.add(n);
  });
  return [...out];
}

/** Whether a template file is Jinja (every `src` but a `.hbs` one, which is Handlebars). */
export function isJ2Template(file: string): boolean {
  return !file.toLowerCase().endsWith('.hbs');
}

/** Check a template's statement syntax without rendering (preflight). */
export function checkJ2(src: string, opts: J2Options = {}): void {
  parseTemplate(src, opts.file ?? '<template>');
}

export function renderJ2(src: string, vars: Record<string, unknown>, opts: J2Options = {}): string {
  const file = opts.file ?? '<template>';
  const base = { file, line: 1, col: 1 };
  const nodes = parseTemplate(src, file);
  const ev = (expr: string, s: number, scope: Record<string, unknown>): unknown =>
    evalExpr(expr, scope, { pos: posAt(base, src, s), what: 'template' });
  const out: string[] = [];
  const run = (list: Node[], scope: Record<string, unknown>): void => {
    for (const n of list) {
      if (n.k === 'text') out.push(n.text);
      else if (n.k === 'var') out.push(j2str(ev(n.src, n.s, scope)));
      else if (n.k === 'set') scope[n.name] = ev(n.src, n.s, scope);
      else if (n.k === 'if') {
        const b = n.branches.find((x) => x.cond === undefined || truthy(ev(x.cond, x.s, scope)));
        if (b) run(b.body, scope);
      } else {
        const it = ev(n.iter, n.s, scope);
        const items: unknown[] = Array.isArray(it)
          ? it
          : typeof it === 'string'
            ? [...it]
            : it && typeof it === 'object'
              ? Object.keys(it)
              : (() => { throw new TemplateError(`cannot loop over ${j2str(it)}`, posAt(base, src, n.s)); })();
        if (items.length === 0) { run(n.orelse, scope); continue; }
        items.forEach((item, idx) => {
          const inner: Record<string, unknown> = Object.assign(Object.create(null), scope);
          if (n.names.length === 1) inner[n.names[0]] = item;
          else {
            const parts = Array.isArray(item) ? item : [];
            if (parts.length !== n.names.length)
              throw new TemplateError(`cannot unpack ${j2str(item)} into ${n.names.join(', ')}`, posAt(base, src, n.s));
            n.names.forEach((nm, j) => { inner[nm] = parts[j]; });
          }
          inner.loop = {
            index: idx + 1, index0: idx, first: idx === 0, last: idx === items.length - 1,
            length: items.length, revindex: items.length - idx, revindex0: items.length - idx - 1,
          };
          run(n.body, inner);
        });
      }
    }
  };
  run(nodes, Object.assign(Object.create(null), vars));
  return out.join('');
}
