import { TemplateError } from '../core/errors.js';
import { HELPER_NAMES, toText } from './helpers.js';
import { checkHbs, renderHbs, type RenderWhere } from './hbs.js';
import { checkJ2String, j2StringNameSites, renderJ2String } from './j2render.js';
import { hbsNames } from './names.js';
import { inWhere, posAt } from './pos.js';
import { didYouMean } from './suggest.js';
import { isPlainObject } from './runtime.js';

export { DecidedAtRunTime, RuntimeUnknown, isRuntimeUnknown, runtimeUnknown } from './runtime.js';
export { HELPERS } from './helpers.js';
export type { RenderWhere } from './hbs.js';

/**
 * Templated strings in playbooks and inventories. Each string is read in one language:
 * Jinja, as in Ansible (`{{ x | default('y') }}`, `{% if %}`, parsed by the one expression
 * parser), unless it is written in Handlebars (a block `{{#each}}…{{/each}}`, `{{else}}`, a
 * comment `{{! }}`, `{{~`, `{{{`, `@index`, `../`, `a.[0]`, or a helper call by name,
 * `{{join xs ","}}`), which Handlebars renders. A string may not mix `{% %}` statements with
 * Handlebars blocks.
 */

/** A Handlebars-only construct at the start of a `{{`; Jinja has none of these. */
const HBS_MARK = /\{\{~|~\}\}|\{\{\{|\{\{\s*[#/^!>&*@]|\{\{\s*else\b[^}]*\}\}|\{\{(?:\s*|[^}'"]*?[\s(])\.\.\/|\{\{[^}'"]*?(?:\w\.\[|@(?:index|key|first|last|root)\b)/;

/** `{{ name arg`: a Handlebars helper called by name (in Jinja two values side by side are an error). */
const HELPER_CALL = /\{\{\s*([A-Za-z_]\w*)\s+(?!(?:is|in|if|else|and|or|not)\b)["'(\w@]/g;

/** Whether a templated string is written in Handlebars rather than Jinja. */
export function isHandlebars(text: string): boolean {
  if (HBS_MARK.test(text)) return true;
  HELPER_CALL.lastIndex = 0;
  for (let m = HELPER_CALL.exec(text); m; m = HELPER_CALL.exec(text)) {
    if (HELPER_NAMES.has(m[1]) && m[1] !== 'not') return true;
  }
  return false;
}

/** Whether a string is a template at all: it holds `{{` or `{%`. */
export function isTemplated(text: string): boolean {
  return text.includes('{{') || text.includes('{%');
}

function language(text: string, where: RenderWhere): 'hbs' | 'jinja' {
  if (!isHandlebars(text)) return 'jinja';
  const stmt = text.indexOf('{%');
  if (stmt >= 0) {
    throw new TemplateError(
      `a template mixes Jinja statements ({% %}) with Handlebars ({{#…}}, helpers by name): write it in one of them${inWhere(where)}`,
      posAt(where.pos, text, stmt),
    );
  }
  return 'hbs';
}

/**
 * Run the Jinja reading of a string; a syntax error where the string calls a name like a
 * Handlebars helper (`{{ uper s }}`) is reported as the unknown helper it most likely is.
 */
function jinja<T>(text: string, where: RenderWhere, read: () => T): T {
  try {
    return read();
  } catch (e) {
    if (!(e instanceof TemplateError) || e.variable !== undefined || !/unexpected/.test(e.message)) throw e;
    HELPER_CALL.lastIndex = 0;
    const m = HELPER_CALL.exec(text);
    if (!m) throw e;
    const name = m[1];
    const at = m.index + m[0].indexOf(name, 2);
    const hint = didYouMean(name, HELPER_NAMES) || ` (a Jinja filter is written {{ x | filter }}; Handlebars helpers: ${[...HELPER_NAMES].join(', ')})`;
    throw new TemplateError(
      `unknown helper '${name}'${hint}${inWhere(where)}`,
      posAt(where.pos, text, at),
    );
  }
}

/**
 * Root variable names a templated string reads (`{{ a.b }}` → `a`), in order of first use;
 * not those it binds itself, nor those it tolerates undefined (`default`, `is defined`).
 * Unparsable text → [].
 */
export function referencedNames(text: string): string[] {
  if (typeof text !== 'string' || !isTemplated(text)) return [];
  if (isHandlebars(text)) return hbsNames(text);
  return [...new Set(j2StringNameSites(text).map((x) => x.name))];
}

/**
 * Check a template's syntax without rendering it (load time). Throws TemplateError with the
 * position of the problem.
 */
export function checkTemplate(text: string, where: RenderWhere = {}): void {
  if (typeof text !== 'string' || !isTemplated(text)) return;
  if (language(text, where) === 'hbs') checkHbs(text, where);
  else jinja(text, where, () => checkJ2String(text, where));
}

/**
 * Render one string. A string that is exactly one `{{ expr }}` (nothing around it)
 * yields the value itself (list, number, map, boolean); any other yields the rendered text.
 * Strings without `{{` or `{%` are returned as they are.
 *
 * Throws TemplateError (undefined variable, syntax, helper misuse; with position) or
 * DecidedAtRunTime (a value check mode cannot know was needed).
 */
export function renderString(text: string, vars: unknown, where: RenderWhere = {}): unknown {
  if (typeof text !== 'string' || !isTemplated(text)) return text;
  if (language(text, where) === 'hbs') return renderHbs(text, vars, where);
  return jinja(text, where, () => renderJ2String(text, vars as Record<string, unknown>, where));
}

/** Render a string as text: a single `{{ expr }}` yielding a list or map becomes JSON. */
export function renderText(text: string, vars: unknown, where: RenderWhere = {}): string {
  const v = renderString(text, vars, where);
  return typeof v === 'string' ? v : toText(v);
}

/**
 * Render every string inside a value (objects and arrays, recursively; keys are not
 * templated). Values that are not plain data are returned as they are.
 */
export function renderDeep(value: unknown, vars: unknown, where: RenderWhere = {}): unknown {
  return deep(value, vars, where, '');
}

function deep(value: unknown, vars: unknown, where: RenderWhere, at: string): unknown {
  if (typeof value === 'string') {
    if (!isTemplated(value)) return value;
    const pos = where.valuePos?.[at];
    return renderString(value, vars, pos ? { ...where, pos } : where);
  }
  if (Array.isArray(value)) return value.map((v, i) => deep(v, vars, where, at === '' ? String(i) : `${at}/${i}`));
  if (isPlainObject(value)) {
    const out: Record<string, unknown> = {};
    for (const k of Object.keys(value)) out[k] = deep(value[k], vars, where, at === '' ? k : `${at}/${k}`);
    return out;
  }
  return value;
}
