import { existsSync } from 'node:fs';
import path from 'node:path';
import { ConfigError } from '../core/errors.js';

/** SPEC §1: PLAYBOOK is a path, else looked up under playbooks/ (with .yml/.yaml added if missing). */
export function resolvePlaybookPath(arg: string, cwd: string): string {
  const named = /\.ya?ml$/.test(arg) ? [arg] : [arg, `${arg}.yml`, `${arg}.yaml`];
  // An absolute path names one file; playbooks/ is only looked in for relative names.
  const candidates = path.isAbsolute(arg) ? [arg] : [path.resolve(cwd, arg), ...named.map((n) => path.resolve(cwd, 'playbooks', n))];
  for (const c of candidates) if (existsSync(c)) return c;
  const shown = candidates.map((c) => (path.isAbsolute(arg) ? c : path.relative(cwd, c) || c));
  throw new ConfigError(`playbook not found: '${arg}' (looked for ${shown.join(', ')})`);
}
