import type { ErrorObject } from 'ajv';
import { kindOf } from '../template/runtime.js';
import { closest, didYouMean } from '../template/suggest.js';

/** One schema violation, said for humans: where (path below the validated value) and what. */
export interface Explained {
  segments: string[];
  message: string;
  /** Point at the key rather than the value (unknown keys). */
  keyOf?: boolean;
}

type Err = ErrorObject & { parentSchema?: Record<string, unknown>; data?: unknown };

const TYPE_NAMES: Record<string, string> = {
  string: 'a string',
  integer: 'an integer',
  number: 'a number',
  boolean: 'a boolean',
  array: 'a list',
  object: 'a map',
  null: 'null',
};

function typeNames(t: unknown): string {
  const list = Array.isArray(t) ? t : [t];
  const names = list.map((x) => TYPE_NAMES[String(x)] ?? String(x));
  return names.length > 1 ? `${names.slice(0, -1).join(', ')} or ${names.at(-1)}` : names[0];
}

/** "a number", "'abc'", "a list" — what was found. */
export function found(v: unknown): string {
  if (typeof v === 'string') return `'${v.length > 40 ? `${v.slice(0, 40)}…` : v}'`;
  if (typeof v === 'number') return 'a number';
  if (v === null || v === undefined) return 'nothing';
  return kindOf(v);
}

function jsonType(v: unknown): string {
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'array';
  if (typeof v === 'number') return Number.isInteger(v) ? 'integer' : 'number';
  return typeof v;
}

function branchAccepts(branch: unknown, data: unknown): boolean {
  if (!branch || typeof branch !== 'object') return true;
  const t = (branch as { type?: unknown }).type;
  if (t === undefined) return true;
  const types = Array.isArray(t) ? t : [t];
  const jt = jsonType(data);
  return types.includes(jt) || (jt === 'integer' && types.includes('number'));
}

function within(p: string, parent: string): boolean {
  return p === parent || p.startsWith(`${parent}/`);
}

export function pointer(instancePath: string): string[] {
  if (!instancePath) return [];
  return instancePath
    .split('/')
    .slice(1)
    .map((s) => s.replace(/~1/g, '/').replace(/~0/g, '~'));
}

/**
 * Turn ajv errors (compiled with `allErrors` and `verbose`) into one message per problem:
 * of an `anyOf`/`oneOf`, the branch whose type fits the value explains the problem, else
 * the schema's `title` names what was expected.
 */
export function explainErrors(raw: readonly ErrorObject[]): Explained[] {
  let errors = [...(raw as Err[])];
  const composites = errors
    .filter((e) => e.keyword === 'anyOf' || e.keyword === 'oneOf')
    .sort((a, b) => b.schemaPath.length - a.schemaPath.length);
  for (const c of composites) {
    if (!errors.includes(c)) continue;
    const prefix = `${c.schemaPath}/`;
    const branches = (c.schema as unknown[]) ?? [];
    // Schema paths restart at every $ref: the instance path tells whose errors these are.
    const inside = errors.filter((e) => e !== c && e.schemaPath.startsWith(prefix) && within(e.instancePath, c.instancePath));
    const title = c.parentSchema?.title as string | undefined;
    if (c.keyword === 'oneOf' && (c.params as { passingSchemas?: unknown }).passingSchemas) {
      // Several alternatives matched: say so, not why the others did not.
      errors = errors.filter((e) => !inside.includes(e));
      continue;
    }
    let keep: Err[] = [];
    let replacement: string | undefined;
    const fits = branches.map((b, i) => (branchAccepts(b, c.data) ? i : -1)).filter((i) => i >= 0);
    const ofBranch = (i: number) => inside.filter((e) => e.schemaPath.startsWith(`${prefix}${i}/`));
    if (fits.length > 1 && inside.length > 0 && inside.every((e) => e.keyword === 'required' && e.instancePath === c.instancePath)) {
      const keys = [...new Set(inside.map((e) => `'${String((e.params as { missingProperty?: unknown }).missingProperty)}'`))];
      replacement = `expected one of the keys ${keys.join(', ').replace(/, ([^,]*)$/, ' or $1')}`;
    } else if (fits.length > 0) {
      const best = fits.reduce((a, b) => (ofBranch(b).length < ofBranch(a).length ? b : a));
      keep = ofBranch(best);
      const shallow = keep.every((e) => e.instancePath === c.instancePath && ['enum', 'pattern', 'const', 'format'].includes(e.keyword));
      if (title && shallow) keep = [];
    }
    errors = errors.filter((e) => e === c || !inside.includes(e));
    if (keep.length > 0) {
      errors = errors.flatMap((e) => (e === c ? keep : [e]));
    } else {
      const expected = title ?? branches.map((b) => typeNames((b as { type?: unknown }).type ?? 'value')).join(' or ');
      const replaced: Err = { ...c, keyword: 'explained', message: replacement ?? `expected ${expected}, found ${found(c.data)}` };
      errors = errors.map((e) => (e === c ? replaced : e));
    }
  }

  const out: Explained[] = [];
  const seen = new Set<string>();
  // "missing required key 'dest'" beside "unknown key 'dst' (did you mean 'dest'?)" says the same
  // thing twice: the misspelling is the one to show.
  const misspelled = new Set<string>();
  const add = (x: Explained) => {
    const key = `${x.segments.join('/')}\0${x.message}`;
    if (seen.has(key)) return;
    seen.add(key);
    out.push(x);
  };
  for (const e of errors) {
    const segments = pointer(e.instancePath);
    const title = e.parentSchema?.title as string | undefined;
    const p = e.params as Record<string, unknown>;
    switch (e.keyword) {
      case 'explained':
        add({ segments, message: e.message! });
        break;
      case 'type':
        add({ segments, message: `expected ${title ?? typeNames(p.type)}, found ${found(e.data)}` });
        break;
      case 'required':
        add({ segments, message: `missing required key '${String(p.missingProperty)}'` });
        break;
      case 'additionalProperties': {
        const known = Object.keys((e.parentSchema?.properties as object | undefined) ?? {});
        const name = String(p.additionalProperty);
        const guess = closest(name, known);
        if (guess !== undefined) misspelled.add(`${segments.join('/')}\0missing required key '${guess}'`);
        add({ segments: [...segments, name], message: `unknown key '${name}'${didYouMean(name, known)}`, keyOf: true });
        break;
      }
      case 'enum':
        add({
          segments,
          message: `expected ${(p.allowedValues as unknown[]).map((v) => (typeof v === 'string' ? `'${v}'` : JSON.stringify(v))).join(', ').replace(/, ([^,]*)$/, ' or $1')}, found ${found(e.data)}`,
        });
        break;
      case 'const':
        add({ segments, message: `expected ${JSON.stringify(p.allowedValue)}, found ${found(e.data)}` });
        break;
      case 'pattern':
      case 'format':
        add({ segments, message: `expected ${title ?? `a string matching ${String(p.pattern ?? p.format)}`}, found ${found(e.data)}` });
        break;
      case 'minimum':
      case 'maximum':
      case 'exclusiveMinimum':
      case 'exclusiveMaximum':
        add({ segments, message: `expected ${title ?? 'a number'} ${String(p.comparison)} ${String(p.limit)}, found ${JSON.stringify(e.data)}` });
        break;
      case 'minItems':
        add({ segments, message: `expected at least ${String(p.limit)} item(s)` });
        break;
      case 'maxItems':
        add({ segments, message: `expected at most ${String(p.limit)} item(s)` });
        break;
      case 'minLength':
        add({ segments, message: p.limit === 1 ? 'expected a non-empty string' : `expected at least ${String(p.limit)} characters` });
        break;
      case 'if':
      case 'not':
      case 'oneOf':
        if (e.keyword === 'oneOf' && (p.passingSchemas as unknown[] | null)) {
          const keys = requiredKeys(e.schema);
          add({ segments, message: keys ? `give only one of ${keys.join(', ')}` : `expected only one of the alternatives (${title ?? 'see runbook doc'})` });
        } else if (e.keyword === 'not') {
          const not = e.schema as { title?: string; required?: string[] } | undefined;
          const what = not?.title ?? (not?.required ? `${not.required.join(' together with ')}` : undefined);
          add({ segments, message: what ? `not allowed: ${what}` : 'not allowed here' });
        }
        break;
      default:
        add({ segments, message: e.message ?? e.keyword });
    }
  }
  return out.filter((x) => !misspelled.has(`${x.segments.join('/')}\0${x.message}`));
}

/** The keys of alternatives that each only require keys (`oneOf: [{required: [a]}, {required: [b]}]`). */
function requiredKeys(branches: unknown): string[] | undefined {
  if (!Array.isArray(branches)) return undefined;
  const keys: string[] = [];
  for (const b of branches as { required?: unknown }[]) {
    if (!b || Object.keys(b).length !== 1 || !Array.isArray(b.required)) return undefined;
    keys.push(...(b.required as string[]));
  }
  return keys;
}
