import { readFileSync } from 'node:fs';
import { Callable, LOOKUP_PLUGINS } from '../template/expr.js';
import { HelperError } from '../template/helpers.js';
import { getField } from '../template/runtime.js';
import { localFileCandidates } from './context.js';
import type { Vars } from './vars.js';

/**
 * Ansible's `lookup()`, `query()` and `q()` for the plugins runbook has (LOOKUP_PLUGINS), run
 * on the controller when a template or condition calls them: `env` (a controller environment
 * variable), `file` (a controller file's text, found as `copy` finds `src`: the role's files/,
 * the role, the playbook's folder, its files/) and `vars` (a variable by a computed name).
 * Other plugin names are refused where they are written, at load time (expr.ts).
 */

/** Where a task's relative file names are found. */
export interface LookupPlace {
  baseDir: string;
  roleDir?: string;
}

type Plugin = (terms: unknown[], kwargs: Record<string, unknown>, place: LookupPlace, vars: Vars) => unknown[];

const PLUGINS: Record<string, Plugin> = {
  env: (terms, kw) => terms.map((t) => process.env[String(t)] ?? (kw.default !== undefined ? kw.default : '')),
  file: (terms, kw, place) =>
    terms.map((t) => {
      let text = readLookupFile(String(t), place);
      if (kw.rstrip !== false) text = text.trimEnd();
      if (kw.lstrip === true) text = text.trimStart();
      return text;
    }),
  vars: (terms, kw, _place, vars) =>
    terms.map((t) => {
      const r = getField(vars, String(t));
      if (r.found) return r.value;
      if (Object.hasOwn(kw, 'default')) return kw.default;
      throw new HelperError(`no variable named '${String(t)}'`);
    }),
};

function readLookupFile(file: string, place: LookupPlace): string {
  const candidates = localFileCandidates(place.baseDir, file, 'files', place.roleDir);
  for (const p of candidates) {
    try {
      return readFileSync(p, 'utf8');
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'ENOENT' && (e as NodeJS.ErrnoException).code !== 'EISDIR') throw new HelperError(`file ${p}: ${(e as Error).message}`);
    }
  }
  throw new HelperError(`file not found: '${file}' (looked in ${candidates.join(', ')})`);
}

function run(args: unknown[], kwargs: Record<string, unknown>, place: LookupPlace, vars: Vars): unknown[] {
  const [name, ...terms] = args;
  const plugin = typeof name === 'string' ? PLUGINS[name] : undefined;
  if (!plugin) throw new HelperError(`lookup plugin ${JSON.stringify(name)} is not supported (runbook has: ${LOOKUP_PLUGINS.join(', ')})`);
  const { wantlist: _w, ...rest } = kwargs;
  return plugin(terms.flatMap((t) => (Array.isArray(t) ? t : [t])), rest, place, vars);
}

/**
 * Define `lookup`, `query` and `q` on a task's variables (not enumerable: no dump shows them;
 * a variable of the same name that someone defined stays as it is).
 */
export function defineLookups(vars: Vars, place: LookupPlace): Vars {
  const lookup = new Callable('lookup', (args, kwargs) => {
    const results = run(args, kwargs, place, vars);
    if (kwargs.wantlist === true) return results;
    // As Ansible: strings are joined with commas; one value of another kind is itself.
    if (results.every((r) => typeof r === 'string')) return results.join(',');
    return results.length === 1 ? results[0] : results;
  });
  const query = new Callable('query', (args, kwargs) => run(args, kwargs, place, vars));
  for (const [name, fn] of [['lookup', lookup], ['query', query], ['q', query]] as const) {
    if (!Object.hasOwn(vars, name)) Object.defineProperty(vars, name, { value: fn, enumerable: false, configurable: true, writable: true });
  }
  return vars;
}
