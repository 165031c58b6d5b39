import { LENIENT_HELPERS } from './helpers.js';
import { type Expr, parseExpr, unwrapTemplate } from './expr.js';
import { parseHbs } from './hbs.js';

interface Node {
  type: string;
  [k: string]: unknown;
}
interface PathNode extends Node {
  data: boolean;
  depth: number;
  parts: string[];
  original: string;
}
interface CallNode extends Node {
  path: Node;
  params: Node[];
  hash?: { pairs: { value: Node }[] };
  program?: { body: Node[]; blockParams?: string[] };
  inverse?: { body: Node[]; blockParams?: string[] };
}

const CONTEXT_CHANGING = new Set(['each', 'with']);

/**
 * Root variable names a template reads (`{{ a.b }}` → `a`), in order of first use.
 * Not counted: helper names, `this`, `@index` and other data variables (`@root.x` counts
 * as `x`), block params, names read inside `#each`/`#with` (relative to the item), and the
 * first argument of `default`/`defined` (which may be undefined). Unparsable text → [].
 */
export function hbsNames(text: string): string[] {
  if (typeof text !== 'string' || !text.includes('{{')) return [];
  let ast: { body: Node[] };
  try {
    ast = parseHbs(text) as unknown as { body: Node[] };
  } catch {
    return [];
  }
  const names = new Set<string>();
  const blockParams: string[][] = [];
  // `depth` = how many context-changing blocks enclose us; `../` climbs back out of them.
  const visitValue = (e: Node, depth: number, skip = false): void => {
    if (e.type === 'PathExpression') {
      if (skip) return;
      const p = e as PathNode;
      if (p.data) {
        if (p.parts[0] === 'root' && p.parts[1]) names.add(p.parts[1]);
        return;
      }
      if (p.parts.length === 0) return;
      if (p.depth === 0 && !/^(\.|this\b)/.test(p.original) && blockParams.some((b) => b.includes(p.parts[0]))) return;
      if (p.depth === depth) names.add(p.parts[0]);
      return;
    }
    if (e.type === 'SubExpression') visitCall(e as CallNode, depth);
  };
  const visitCall = (c: CallNode, depth: number): void => {
    const name = c.path.type === 'PathExpression' ? (c.path as PathNode).original : '';
    const lenient = LENIENT_HELPERS.has(name);
    c.params.forEach((p, i) => visitValue(p, depth, lenient && i === 0));
    for (const pair of c.hash?.pairs ?? []) visitValue(pair.value, depth);
  };
  const visitProgram = (p: { body: Node[]; blockParams?: string[] } | undefined, depth: number): void => {
    if (!p) return;
    if (p.blockParams?.length) blockParams.push(p.blockParams);
    for (const s of p.body) {
      if (s.type === 'MustacheStatement') {
        const m = s as CallNode;
        if (m.params.length === 0 && !m.hash) visitValue(m.path, depth);
        else visitCall(m, depth);
      } else if (s.type === 'BlockStatement') {
        const b = s as CallNode;
        visitCall(b, depth);
        const name = (b.path as PathNode).original;
        visitProgram(b.program, CONTEXT_CHANGING.has(name) ? depth + 1 : depth);
        visitProgram(b.inverse, depth);
      }
    }
    if (p.blockParams?.length) blockParams.pop();
  };
  visitProgram(ast, 0);
  return [...names];
}

/**
 * Root variable names an expression reads (`a.b == c` → `a`, `c`), except under
 * `is defined` / `is undefined` / `| default(…)`, which tolerate undefined names.
 * Unparsable text → [].
 */
export function exprNames(text: string, calls?: ReadonlySet<string>): string[] {
  return [...new Set(exprNameSites(text, calls).map((x) => x.name))];
}

/** Like {@link exprNames}, each read with the offset where it is written (every read, in order). */
export function exprNameSites(text: string, calls?: ReadonlySet<string>): { name: string; offset: number }[] {
  let ast: Expr;
  const { expr, offset } = unwrapTemplate(String(text));
  try {
    ast = parseExpr(expr, calls);
  } catch {
    return [];
  }
  const sites: { name: string; offset: number }[] = [];
  const names = { add: (name: string, s: number) => sites.push({ name, offset: offset + s }) };
  const walk = (n: Expr, lenient: boolean): void => {
    switch (n.k) {
      case 'lit':
        return;
      case 'name':
        if (!lenient) names.add(n.name, n.s);
        return;
      case 'list':
        n.items.forEach((x) => walk(x, false));
        return;
      case 'dict':
        n.entries.forEach(([k, v]) => {
          walk(k, false);
          walk(v, false);
        });
        return;
      case 'attr':
        walk(n.obj, lenient);
        return;
      case 'index':
        walk(n.obj, lenient);
        walk(n.index, false);
        return;
      case 'not':
      case 'neg':
        walk(n.arg, false);
        return;
      case 'and':
      case 'or':
        walk(n.left, false);
        walk(n.right, false);
        return;
      case 'cmp':
        n.operands.forEach((x) => walk(x, false));
        return;
      case 'test':
        walk(n.arg, n.name === 'defined' || n.name === 'undefined');
        n.args.forEach((x) => walk(x, false));
        return;
      case 'bin':
        walk(n.left, false);
        walk(n.right, false);
        return;
      case 'cond':
        walk(n.test, false);
        walk(n.yes, false);
        if (n.no) walk(n.no, false);
        return;
      case 'call':
        n.args.forEach((x) => walk(x, false));
        Object.values(n.kwargs).forEach((x) => walk(x, false));
        return;
      case 'method':
        walk(n.obj, false);
        n.args.forEach((x) => walk(x, false));
        return;
      case 'filter':
        walk(n.arg, n.name === 'default' || n.name === 'd' || n.name === 'mandatory');
        n.args.forEach((x) => walk(x, false));
        Object.values(n.kwargs).forEach((x) => walk(x, false));
        return;
    }
  };
  walk(ast, false);
  return sites;
}
