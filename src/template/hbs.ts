import Handlebars from 'handlebars';
import { type SourcePos, RunbookError, TemplateError } from '../core/errors.js';
import {
  applyDefault,
  HELPER_FNS,
  HELPER_NAMES,
  HelperError,
  LENIENT_HELPERS,
  toText,
  truthy,
} from './helpers.js';
import { inWhere, offsetOf, posAt, type TemplateWhere } from './pos.js';
import { DecidedAtRunTime, fieldNames, getField, isPlainObject, isRuntimeUnknown, kindOf } from './runtime.js';
import { didYouMean } from './suggest.js';

/**
 * Handlebars templates: `.hbs` files, and playbook strings written in Handlebars (see
 * render.ts). Strict (an undefined variable is an error naming it and its position), never
 * HTML-escaped; every variable read becomes a checked lookup, and helpers are the project's
 * own (helpers.ts), with `#if`/`#unless` deciding by `when`'s truthiness.
 */

/** Where a template was written, for error messages. */
export interface RenderWhere extends TemplateWhere {
  /**
   * For {@link renderDeep}: positions of templated strings inside the value, keyed by their
   * path (`dest`, `env/HOME`, `ports/0`); see `Task.templatePos`.
   */
  valuePos?: Record<string, SourcePos>;
}

// ---------------------------------------------------------------------------------------
// Handlebars AST, as much of it as we touch.

interface Loc {
  start: { line: number; column: number };
  end: { line: number; column: number };
}
interface Node {
  type: string;
  loc?: Loc;
  [k: string]: unknown;
}
interface PathNode extends Node {
  type: 'PathExpression';
  data: boolean;
  depth: number;
  parts: string[];
  original: string;
}
interface HashNode extends Node {
  pairs: { type: 'HashPair'; key: string; value: Node; loc?: Loc }[];
}
interface CallNode extends Node {
  path: Node;
  params: Node[];
  hash?: HashNode;
}
interface BlockNode extends CallNode {
  program?: ProgramNode;
  inverse?: ProgramNode;
}
interface ProgramNode extends Node {
  body: Node[];
  blockParams?: string[];
}

/** One variable read in a template: its text and where it is in the template. */
interface Site {
  display: string;
  /** Prefix of the displayed path before the first looked-up part. */
  prefix: string;
  offset: number;
  /**
   * strict: a miss is an error. lenient (`default`/`defined`): a miss is reported to the
   * helper. cond (`#if`/`#unless`): a missing field counts as false, but an undefined
   * top-level variable is still an error.
   */
  mode: 'strict' | 'lenient' | 'cond';
  /** The lookup starts at the top-level variables (not an #each item or block param). */
  atTop: boolean;
}

interface Compiled {
  fn: HandlebarsTemplateDelegate;
  source: string;
  sites: Site[];
  /** Exactly one `{{ expr }}` (and whitespace): rendering yields the value. */
  single: boolean;
}

interface RenderState {
  c: Compiled;
  where: RenderWhere;
  captured?: { value: unknown };
}

interface HelperOptions {
  data: { rb: RenderState; root?: unknown };
  loc?: Loc;
  fn?: (ctx: unknown, opts?: unknown) => string;
  inverse?: (ctx: unknown, opts?: unknown) => string;
  hash?: Record<string, unknown>;
}

/** Result of a lenient lookup (first argument of `default` / `defined`). */
class LenientRef {
  constructor(
    readonly found: boolean,
    readonly value: unknown,
    readonly path: string,
  ) {}
}

/** A problem in the template text, at a character offset. */
class SyntaxIssue extends Error {
  constructor(
    message: string,
    readonly offset: number,
  ) {
    super(message);
  }
}

const BLOCK_HELPERS = new Set(['if', 'unless', 'each', 'with']);
const JINJA_WORDS = new Set(['if', 'else', 'and', 'or', 'not', 'is', 'in', '==', '!=']);

const hb = Handlebars.create();

// ---------------------------------------------------------------------------------------
// Messages and positions.

/** Source position of an offset in the template text. */
function posOf(c: Compiled, where: RenderWhere, offset: number): SourcePos | undefined {
  return posAt(where.pos, c.source, offset);
}

function locOffset(c: Compiled, loc: Loc | undefined): number {
  return loc ? offsetOf(c.source, loc.start.line, loc.start.column) : 0;
}

function helperFailure(rb: RenderState, loc: Loc | undefined, name: string, e: unknown): never {
  if (e instanceof RunbookError) {
    if (e instanceof DecidedAtRunTime && !e.pos) {
      throw new DecidedAtRunTime(e.variable, e.source, posOf(rb.c, rb.where, locOffset(rb.c, loc)), rb.where.task ?? rb.where.what);
    }
    throw e;
  }
  const msg = e instanceof Error ? e.message : String(e);
  throw new TemplateError(`${name}: ${msg}${inWhere(rb.where)}`, posOf(rb.c, rb.where, locOffset(rb.c, loc)), undefined, { cause: e });
}

function undefinedVariable(rb: RenderState, site: Site, path: string, container: unknown, missing: string, atRoot: boolean): never {
  const parentShown = path.includes('.') ? path.slice(0, path.lastIndexOf('.')) : '';
  const why = !atRoot && (container === null || typeof container !== 'object' || Array.isArray(container))
    ? ` ('${parentShown}' is ${kindOf(container)})`
    : '';
  const hint = why ? '' : didYouMean(missing, fieldNames(container));
  throw new TemplateError(
    `undefined variable '${path}'${inWhere(rb.where)}${why}${hint}`,
    posOf(rb.c, rb.where, site.offset),
    path,
  );
}

// ---------------------------------------------------------------------------------------
// Internal helpers the compiled templates call.

hb.unregisterHelper('log');
hb.unregisterHelper('lookup');

hb.registerHelper('__get', function (...args: unknown[]) {
  const options = args.pop() as HelperOptions;
  const rb = options.data.rb;
  const site = rb.c.sites[args[0] as number];
  let cur: unknown = args[1];
  let path = site.prefix;
  let atRoot = site.prefix === '';
  for (let i = 2; i < args.length; i++) {
    const part = String(args[i]);
    const next = path === '' ? part : `${path}.${part}`;
    if (isRuntimeUnknown(cur)) {
      if (!cur.knows(part)) {
        throw new DecidedAtRunTime(next, cur.source, posOf(rb.c, rb.where, site.offset), rb.where.task ?? rb.where.what);
      }
      cur = cur.known[part];
    } else {
      const r = getField(cur, part);
      if (!r.found) {
        if (site.mode === 'lenient') return new LenientRef(false, undefined, next);
        if (site.mode === 'cond' && !(i === 2 && site.atTop)) return undefined;
        undefinedVariable(rb, site, next, cur, part, atRoot);
      }
      cur = r.value;
    }
    path = next;
    atRoot = false;
  }
  if (site.mode === 'lenient') return new LenientRef(true, cur, path);
  if (isRuntimeUnknown(cur)) {
    throw new DecidedAtRunTime(path || site.display, cur.source, posOf(rb.c, rb.where, site.offset), rb.where.task ?? rb.where.what);
  }
  return cur;
});

hb.registerHelper('__out', function (value: unknown, options: HelperOptions) {
  try {
    return toText(value);
  } catch (e) {
    return helperFailure(options.data.rb, options.loc, 'output', e);
  }
});

hb.registerHelper('__capture', function (value: unknown, options: HelperOptions) {
  options.data.rb.captured = { value };
  return '';
});

hb.registerHelper('default', function (...args: unknown[]) {
  const options = args.pop() as HelperOptions;
  const [subject, fallback = '', falsyToo] = args;
  const ref = subject instanceof LenientRef ? subject : new LenientRef(subject !== undefined, subject, '(value)');
  try {
    if (isRuntimeUnknown(ref.value)) throw new DecidedAtRunTime(ref.path, ref.value.source);
    return applyDefault(ref.found, ref.value, fallback, falsyToo);
  } catch (e) {
    return helperFailure(options.data.rb, options.loc, 'default', e);
  }
});

hb.registerHelper('defined', function (...args: unknown[]) {
  args.pop();
  const subject = args[0];
  return subject instanceof LenientRef ? subject.found : subject !== undefined;
});

for (const [name, fn] of Object.entries(HELPER_FNS)) {
  hb.registerHelper(name, function (...args: unknown[]) {
    const options = args.pop() as HelperOptions;
    try {
      for (const a of args) if (isRuntimeUnknown(a)) throw new DecidedAtRunTime('(value)', a.source);
      return fn(...args);
    } catch (e) {
      return helperFailure(options.data.rb, options.loc, name, e);
    }
  });
}

// #if and #unless decide by `when`'s truthiness (empty lists and maps are false).
for (const [name, negate] of [['if', false], ['unless', true]] as const) {
  hb.registerHelper(name, function (this: unknown, cond: unknown, options: HelperOptions) {
    let yes: boolean;
    try {
      yes = truthy(cond) !== negate;
    } catch (e) {
      return helperFailure(options.data.rb, options.loc, `#${name}`, e);
    }
    return yes ? options.fn!(this) : options.inverse!(this);
  });
}

const builtinEach = hb.helpers.each as (this: unknown, ctx: unknown, options: unknown) => string;
hb.registerHelper('each', function (this: unknown, ctx: unknown, options: HelperOptions) {
  if (ctx !== null && ctx !== undefined && !Array.isArray(ctx) && !isPlainObject(ctx)) {
    return helperFailure(options.data.rb, options.loc, '#each', new HelperError(`expects a list or a map, found ${kindOf(ctx)}`));
  }
  return builtinEach.call(this, ctx, options);
});

const KNOWN_HELPERS: Record<string, boolean> = Object.fromEntries(
  [...Object.keys(hb.helpers), '__get', '__out', '__capture'].map((n) => [n, true]),
);

// ---------------------------------------------------------------------------------------
// Compiling: parse, rewrite every variable read into a strict lookup, compile.

class Rewriter {
  readonly sites: Site[] = [];
  private blockParams: string[][] = [];
  /** How many #each / #with blocks enclose the current statement. */
  private contextDepth = 0;

  constructor(private readonly text: string) {}

  private offset(loc: Loc | undefined): number {
    return loc ? offsetOf(this.text, loc.start.line, loc.start.column) : 0;
  }

  private fail(message: string, loc: Loc | undefined): never {
    throw new SyntaxIssue(message, this.offset(loc));
  }

  program(p: ProgramNode | undefined): void {
    if (!p) return;
    if (p.blockParams?.length) this.blockParams.push(p.blockParams);
    for (const s of p.body) this.statement(s);
    if (p.blockParams?.length) this.blockParams.pop();
  }

  private statement(s: Node): void {
    switch (s.type) {
      case 'ContentStatement':
      case 'CommentStatement':
        return;
      case 'MustacheStatement': {
        const m = s as unknown as CallNode;
        const value = this.mustacheValue(m);
        m.path = path('__out', m.loc);
        m.params = [value];
        m.hash = undefined;
        return;
      }
      case 'BlockStatement': {
        const b = s as unknown as BlockNode;
        const name = helperName(b.path);
        if (!name || !BLOCK_HELPERS.has(name)) {
          this.fail(
            `unknown block helper '#${(b.path as PathNode).original ?? '?'}' (block helpers: #if, #unless, #each, #with)`,
            b.loc,
          );
        }
        const cond = name === 'if' || name === 'unless';
        b.params = b.params.map((p) => this.value(p, cond ? 'cond' : 'strict'));
        if (b.hash) this.hash(b.hash);
        const changes = name === 'each' || name === 'with';
        if (changes) this.contextDepth++;
        this.program(b.program);
        if (changes) this.contextDepth--;
        this.program(b.inverse);
        return;
      }
      case 'PartialStatement':
      case 'PartialBlockStatement':
        return this.fail('partials ({{> name}}) are not supported', s.loc);
      case 'DecoratorBlock':
      case 'Decorator':
        return this.fail('decorators ({{* name}}) are not supported', s.loc);
      default:
        return this.fail(`unsupported template construct (${s.type})`, s.loc);
    }
  }

  /** What a `{{ … }}` yields, as an expression node. */
  private mustacheValue(m: CallNode): Node {
    if (m.params.length === 0 && !m.hash) return this.value(m.path);
    return this.call(m, m.loc);
  }

  private call(c: CallNode, loc: Loc | undefined): Node {
    const jinja = c.params.find((p) => p.type === 'PathExpression' && JINJA_WORDS.has((p as PathNode).original));
    if (jinja) {
      this.fail(
        `'${(jinja as PathNode).original}' is not supported inside {{ }} (Jinja expressions are not templates): use helpers, e.g. {{#if (and a b)}}…{{/if}} or {{default x "y"}}`,
        jinja.loc,
      );
    }
    const name = helperName(c.path);
    if (!name || !HELPER_NAMES.has(name)) {
      const shown = (c.path as PathNode).original ?? String((c.path as { value?: unknown }).value);
      this.fail(
        `unknown helper '${shown}'${didYouMean(shown, HELPER_NAMES)} (to insert a variable write {{ ${shown} }}; helpers: ${[...HELPER_NAMES].join(', ')})`,
        c.path.loc ?? loc,
      );
    }
    const lenient = LENIENT_HELPERS.has(name);
    return {
      type: 'SubExpression',
      path: c.path,
      params: c.params.map((p, i) => this.value(p, lenient && i === 0 ? 'lenient' : 'strict')),
      hash: c.hash ? this.hash(c.hash) : undefined,
      loc: c.loc ?? loc,
    };
  }

  private hash(h: HashNode): HashNode {
    for (const pair of h.pairs) pair.value = this.value(pair.value);
    return h;
  }

  private value(e: Node, mode: Site['mode'] = 'strict'): Node {
    switch (e.type) {
      case 'PathExpression':
        return this.lookup(e as PathNode, mode);
      case 'SubExpression':
        return this.call(e as unknown as CallNode, e.loc);
      default:
        return e; // literals
    }
  }

  private isBlockParam(name: string): boolean {
    return this.blockParams.some((ps) => ps.includes(name));
  }

  private lookup(p: PathNode, mode: Site['mode']): Node {
    let base: PathNode;
    let rest: string[];
    let prefix: string;
    let atTop = false;
    const scoped = /^(\.|this\b)/.test(p.original);
    if (p.data) {
      base = { type: 'PathExpression', data: true, depth: p.depth, parts: p.parts.slice(0, 1), original: `@${p.parts[0]}`, loc: p.loc };
      rest = p.parts.slice(1);
      prefix = `@${p.parts[0]}`;
      atTop = p.parts[0] === 'root';
    } else if (p.depth === 0 && !scoped && p.parts.length > 0 && this.isBlockParam(p.parts[0])) {
      base = { type: 'PathExpression', data: false, depth: 0, parts: p.parts.slice(0, 1), original: p.parts[0], loc: p.loc };
      rest = p.parts.slice(1);
      prefix = p.parts[0];
    } else {
      base = { type: 'PathExpression', data: false, depth: p.depth, parts: [], original: p.depth ? '..' : 'this', loc: p.loc };
      rest = p.parts;
      prefix = p.depth ? '../'.repeat(p.depth).slice(0, -1) : '';
      atTop = p.depth >= this.contextDepth;
    }
    this.sites.push({ display: p.original, prefix, offset: this.offset(p.loc), mode, atTop });
    return {
      type: 'SubExpression',
      path: path('__get', p.loc),
      params: [
        { type: 'NumberLiteral', value: this.sites.length - 1, original: this.sites.length - 1, loc: p.loc },
        base,
        ...rest.map((part) => ({ type: 'StringLiteral', value: part, original: part, loc: p.loc })),
      ],
      hash: undefined,
      loc: p.loc,
    };
  }
}

function path(name: string, loc: Loc | undefined): PathNode {
  return { type: 'PathExpression', data: false, depth: 0, parts: [name], original: name, loc };
}

function helperName(p: Node): string | undefined {
  if (p.type !== 'PathExpression') return undefined;
  const pe = p as PathNode;
  return !pe.data && pe.depth === 0 && pe.parts.length === 1 && pe.original === pe.parts[0] ? pe.parts[0] : undefined;
}

/** Exactly one `{{ expr }}` and nothing around it: text around it (even a newline) makes a string. */
function isSingle(body: Node[]): boolean {
  return body.length === 1 && body[0].type === 'MustacheStatement';
}

/** Parse into a Handlebars AST; errors carry a source offset. */
export function parseHbs(source: string): ProgramNode {
  try {
    return Handlebars.parseWithoutProcessing(source) as unknown as ProgramNode;
  } catch (e) {
    throw parseIssue(e, source);
  }
}

function parseIssue(e: unknown, source: string): SyntaxIssue {
  const err = e as Error & { lineNumber?: number; column?: number };
  const first = String(err?.message ?? e).split('\n')[0];
  if (typeof err.lineNumber === 'number') {
    // Semantic errors from the parser, e.g. "if doesn't match each - 2:4".
    return new SyntaxIssue(first.replace(/ - \d+:\d+$/, ''), offsetOf(source, err.lineNumber, err.column ?? 0));
  }
  const loc = (Handlebars as unknown as { Parser: { lexer: { yylloc?: { first_line: number; first_column: number } } } }).Parser.lexer.yylloc;
  const off = loc ? offsetOf(source, loc.first_line, loc.first_column) : 0;
  const got = /got '([^']+)'/.exec(String(err?.message))?.[1];
  let what: string;
  if (got === 'EOF') what = 'unexpected end of template (an unclosed {{ or {{#block}}?)';
  else {
    const at = source.slice(off).split(/\s/)[0].slice(0, 12);
    what = `unexpected '${at || got}'`;
  }
  return new SyntaxIssue(`Handlebars syntax error: ${what} ({{ var }}, {{ helper arg }}, {{#if x}}…{{/if}})`, off);
}

const cache = new Map<string, Compiled>();
const CACHE_LIMIT = 2000;

function compile(source: string): Compiled {
  const hit = cache.get(source);
  if (hit) return hit;
  const ast = parseHbs(source);
  const rw = new Rewriter(source);
  const single = isSingle(ast.body);
  rw.program(ast);
  if (single) {
    const m = ast.body.find((s) => s.type === 'MustacheStatement') as unknown as CallNode;
    m.path = path('__capture', m.loc);
  }
  const fn = hb.compile(ast as unknown as string, {
    noEscape: true,
    strict: true,
    knownHelpers: KNOWN_HELPERS,
    knownHelpersOnly: true,
  });
  const c: Compiled = { fn, source, sites: rw.sites, single };
  if (cache.size >= CACHE_LIMIT) cache.delete(cache.keys().next().value as string);
  cache.set(source, c);
  return c;
}

function compileAt(text: string, where: RenderWhere): Compiled {
  try {
    return compile(text);
  } catch (e) {
    if (e instanceof SyntaxIssue) {
      throw new TemplateError(`${e.message}${inWhere(where)}`, posAt(where.pos, text, e.offset));
    }
    throw e;
  }
}

/**
 * Check a Handlebars template's syntax without rendering it (load time). Throws
 * TemplateError with the position of the problem.
 */
export function checkHbs(text: string, where: RenderWhere = {}): void {
  if (text.includes('{{')) compileAt(text, where);
}

/**
 * Render a Handlebars template. One that is exactly one `{{ expr }}` (nothing around it)
 * yields the value itself (list, number, map, boolean); any other yields the rendered text.
 *
 * Throws TemplateError (undefined variable, syntax, helper misuse; with position) or
 * DecidedAtRunTime (a value check mode cannot know was needed).
 */
export function renderHbs(text: string, vars: unknown, where: RenderWhere = {}): unknown {
  if (!text.includes('{{')) return text;
  const c = compileAt(text, where);
  const rb: RenderState = { c, where };
  let out: string;
  try {
    out = c.fn(vars, { data: { rb } } as Handlebars.RuntimeOptions);
  } catch (e) {
    if (e instanceof RunbookError) throw e;
    const err = e as Error & { lineNumber?: number; column?: number };
    const off = typeof err.lineNumber === 'number' ? offsetOf(c.source, err.lineNumber, err.column ?? 0) : 0;
    throw new TemplateError(
      `template error: ${String(err?.message ?? e).split('\n')[0].replace(/ - \d+:\d+$/, '')}${inWhere(where)}`,
      posOf(c, where, off),
      undefined,
      { cause: e },
    );
  }
  return c.single ? rb.captured?.value : out;
}

/** Render a Handlebars template file as text (a single `{{ expr }}` yielding a list or map becomes JSON). */
export function renderHbsText(text: string, vars: unknown, where: RenderWhere = {}): string {
  const v = renderHbs(text, vars, where);
  return typeof v === 'string' ? v : toText(v);
}
