import { TemplateError } from '../core/errors.js';
import { evalExpr, truthy } from './expr.js';
import { J2SyntaxError, type J2Token, lexJ2 } from './j2lex.js';
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
        body.push({ k: 'set', name: m[1], src: m[2].trim(), s: t.s + t.src.indexOf('=') + 1 });
      } else this.fail(`unknown or unexpected tag '${w || t.src}'`, t.s);
    }
    if (stop.length) this.fail(`missing {% ${stop[stop.length - 1]} %}`, this.toks[this.toks.length - 1]?.s ?? 0);
    return { body };
  }

  private ifNode(t: J2Token & { k: 'stmt' }): Node {
    const branches: { cond: string | undefined; s: number; body: Node[] }[] = [];
    let cond: string | undefined = t.src.slice(2).trim();
    let s = t.s + 2;
    for (;;) {
      if (cond === '') this.fail('if without a condition', s);
      const { body, end } = this.nodes(['elif', 'else', 'endif']);
      branches.push({ cond, s, body });
      this.i++;
      const w = firstWord(end!.src);
      if (w === 'endif') break;
      if (cond === undefined) this.fail(`unexpected ${w} after else`, end!.s);
      if (w === 'else') { cond = undefined; s = end!.s; }
      else { cond = end!.src.slice(4).trim(); s = end!.s + 4; }
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

function parseTemplate(src: string, file: string): Node[] {
  const base = { file, line: 1, col: 1 };
  const fail = (msg: string, off: number): never => {
    throw new TemplateError(msg, posAt(base, src, off));
  };
  let toks: J2Token[];
  try {
    toks = lexJ2(src);
  } catch (e) {
    if (e instanceof J2SyntaxError) fail(e.message, e.offset);
    throw e;
  }
  return new Parser(toks, fail).nodes([]).body;
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
