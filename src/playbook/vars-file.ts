import path from 'node:path';
import { ConfigError, ConfigErrors } from '../core/errors.js';
import { isPlainObject } from '../template/runtime.js';
import { isAnyVault, literalValues, openVault } from '../vault/keyring.js';
import { registerSecret } from '../vault/secrets.js';
import { found } from './explain.js';
import { splitArgs } from './args.js';
import { displayPath, readSourceText, SourceFile } from './yaml.js';

export interface VarsFileOptions {
  /**
   * Decrypt a vault file. Without it the run's vault password (src/vault/keyring.ts) is
   * used; with none, such a file is an error that asks for one.
   */
  decrypt?: (text: string, file: string) => Promise<string>;
}

const NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;

/**
 * Load a variables file (YAML 1.1, or JSON): a map of variables, or nothing. Errors name
 * file:line:col.
 */
export async function loadVarsFile(file: string, opts: VarsFileOptions = {}): Promise<Record<string, unknown>> {
  const abs = path.resolve(file);
  let text = await readSourceText(file, 'variables file');
  if (!isAnyVault(text)) return parseVars(text, abs);
  try {
    text = opts.decrypt ? await opts.decrypt(text, abs) : await openVault(text, displayPath(abs));
  } catch (e) {
    throw e instanceof ConfigError ? new ConfigErrors([e]) : e;
  }
  // Every value of a vaulted file is a secret: masked in all output.
  const vars = parseVars(text, abs);
  registerSecret(vars);
  return literalValues(vars) as Record<string, unknown>;
}

/** Parse variables text; `abs` names it in errors. */
export function parseVars(text: string, abs: string): Record<string, unknown> {
  const sf = new SourceFile(displayPath(abs), text);
  const errors = sf.errors();
  if (errors.length) throw new ConfigErrors(errors);
  const data = sf.toJS();
  if (data === null || data === undefined) return {};
  if (!isPlainObject(data)) {
    throw new ConfigErrors([
      new ConfigError(`expected a map of variables (name: value), found ${found(data)}`, sf.pos(sf.contents)),
    ]);
  }
  const bad = Object.keys(data).filter((k) => !NAME.test(k));
  if (bad.length) {
    throw new ConfigErrors(
      bad.map((k) => new ConfigError(`'${k}' is not a valid variable name (letters, digits and _, not starting with a digit)`, sf.posAtPath(sf.contents, [k], true))),
    );
  }
  return data;
}

/**
 * One `-e` argument: `@file.yml` / `@file.json` (relative to cwd), a JSON or YAML flow map
 * (`{"a": 1}`), or `key=value key2="two words"` pairs whose values stay strings, as in
 * Ansible.
 */
export async function parseExtraVars(arg: string, cwd: string, opts: VarsFileOptions = {}): Promise<Record<string, unknown>> {
  const text = arg.trim();
  if (text.startsWith('@')) {
    const file = text.slice(1);
    if (!file) throw new ConfigErrors([new ConfigError('-e @: expected a file name after @')]);
    return loadVarsFile(path.resolve(cwd, file), opts);
  }
  if (text.startsWith('{')) {
    let data: unknown;
    try {
      data = JSON.parse(text);
    } catch {
      try {
        data = parseVars(text, path.join(cwd, '(-e)'));
      } catch (e) {
        const first = e instanceof ConfigErrors ? e.errors[0].message : (e as Error).message;
        throw new ConfigErrors([new ConfigError(`-e ${text}: not valid JSON or YAML (${first.replace(/^.*?\(-e\):\d+:\d+: /, '')})`)]);
      }
    }
    if (!isPlainObject(data)) throw new ConfigErrors([new ConfigError(`-e ${text}: expected a map, found ${found(data)}`)]);
    return data;
  }
  const out: Record<string, unknown> = {};
  const errors: ConfigError[] = [];
  for (const t of splitArgs(text)) {
    const m = /^([^=]+)=(.*)$/s.exec(t.text);
    if (!m) {
      errors.push(new ConfigError(`-e: expected key=value, found '${t.text}'`));
      continue;
    }
    const key = m[1];
    if (!NAME.test(key)) {
      errors.push(new ConfigError(`-e: '${key}' is not a valid variable name`));
      continue;
    }
    out[key] = unquoteValue(m[2]);
  }
  if (errors.length) throw new ConfigErrors(errors);
  return out;
}

function unquoteValue(v: string): string {
  if (v.length >= 2 && v[0] === "'" && v.at(-1) === "'") return v.slice(1, -1);
  if (v.length >= 2 && v[0] === '"' && v.at(-1) === '"') return v.slice(1, -1).replace(/\\(["\\])/g, '$1');
  return v;
}
