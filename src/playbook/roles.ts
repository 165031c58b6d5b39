import { existsSync, statSync } from 'node:fs';
import path from 'node:path';
import { isPlainObject } from '../template/runtime.js';

/** Keys of a `roles:` entry (or a meta dependency) that are keywords; every other key is a role parameter, as in Ansible. */
export const ROLE_ENTRY_KEYWORDS = new Set([
  'role',
  'name',
  'vars',
  'when',
  'tags',
  'become',
  'become_user',
  'ignore_errors',
  'no_log',
  'check_mode',
  'diff',
  'delegate_to',
  'run_once',
]);

/** Options of `import_role` / `include_role`. */
export const ROLE_TASK_OPTIONS = new Set([
  'name',
  'tasks_from',
  'vars_from',
  'defaults_from',
  'handlers_from',
  'allow_duplicates',
  'public',
  'rolespec_validate',
]);

export interface RoleSearch {
  /** The role's folder, when found. */
  dir?: string;
  /** Every folder looked at, in order. */
  looked: string[];
  /** Which search path variables were set (for error messages). */
  env: string;
}

function isDir(p: string): boolean {
  try {
    return statSync(p).isDirectory();
  } catch {
    return false;
  }
}

function colonList(v: string | undefined): string[] {
  return (v ?? '').split(':').map((s) => s.trim()).filter(Boolean);
}

/**
 * Find a role by name, as Ansible does: a `roles/` folder next to the playbook, then each
 * folder of RUNBOOK_ROLES_PATH and then ANSIBLE_ROLES_PATH (colon lists, `~` expanded), then
 * the playbook's folder itself, then (for a dependency) the folder holding the role that
 * depends on it. A name with a `/` is a path relative to the playbook's folder.
 */
export function findRole(name: string, playbookDir: string, env: NodeJS.ProcessEnv = process.env, siblingOf?: string): RoleSearch {
  const home = env.HOME ?? '';
  const expand = (p: string) => (p === '~' ? home : p.startsWith('~/') ? path.join(home, p.slice(2)) : p);
  const envNote = ['RUNBOOK_ROLES_PATH', 'ANSIBLE_ROLES_PATH'].map((k) => (env[k] ? `${k}=${env[k]}` : `${k} unset`)).join(', ');
  let looked: string[];
  if (name.includes('/') || path.isAbsolute(name)) {
    looked = [path.resolve(playbookDir, expand(name))];
  } else {
    const roots = [
      path.join(playbookDir, 'roles'),
      ...colonList(env.RUNBOOK_ROLES_PATH).map((p) => path.resolve(playbookDir, expand(p))),
      ...colonList(env.ANSIBLE_ROLES_PATH).map((p) => path.resolve(playbookDir, expand(p))),
      playbookDir,
      ...(siblingOf ? [path.dirname(siblingOf)] : []),
    ];
    looked = [...new Set(roots.map((r) => path.join(r, name)))];
  }
  return { dir: looked.find(isDir), looked, env: envNote };
}

/** The file of a role part (`tasks`, `handlers`, `defaults`, `vars`, `meta`): `<part>/<name>.yml`, `.yaml`, or as written. */
export function rolePartFile(roleDir: string, part: string, name = 'main'): { file?: string; looked: string[] } {
  const base = path.join(roleDir, part, name);
  const looked = /\.(ya?ml|json)$/.test(name) ? [base] : [`${base}.yml`, `${base}.yaml`, `${base}.json`, base];
  return { file: looked.find((p) => existsSync(p) && !isDir(p)), looked };
}

/** A stable text for role parameters: a role runs once per play for each distinct set. */
export function paramsKey(v: unknown): string {
  if (Array.isArray(v)) return `[${v.map(paramsKey).join(',')}]`;
  if (isPlainObject(v)) {
    return `{${Object.keys(v)
      .sort()
      .map((k) => `${JSON.stringify(k)}:${paramsKey(v[k])}`)
      .join(',')}}`;
  }
  return JSON.stringify(v) ?? 'undefined';
}
