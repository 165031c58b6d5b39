import { createHash } from 'node:crypto';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
import type { Ajv, ErrorObject, Options } from 'ajv';
import type { JsonSchema } from './module.js';

/**
 * Every JSON Schema check runbook makes goes through here. The build writes each known
 * schema's validator as standalone code (`dist/validators/`), so a command starts without
 * loading or running ajv's compiler; a schema the build did not see (changed since, or a
 * test's own) is compiled here on first use with the same options, so the verdict is the same.
 */

/** How a schema is checked: `explain` keeps the failing schema and data for messages (load time); `defaults` fills in schema defaults (run time). */
export type CheckMode = 'explain' | 'defaults';
export const CHECK_MODES: readonly CheckMode[] = ['explain', 'defaults'];

export type ValidateFunction = ((data: unknown) => boolean) & { errors?: ErrorObject[] | null };

/** ajv's options for each mode, shared by the build and the fallback compile. */
function ajvOptions(mode: CheckMode): Options {
  return mode === 'explain' ? { allErrors: true, verbose: true, strict: false } : { allErrors: true, useDefaults: true, strict: false };
}

/**
 * Formats the module schemas use. `js-regex`: a string that compiles as a JavaScript RegExp,
 * as the modules compile it (ajv-formats' `regex` uses the stricter unicode mode).
 * The build writes this table's source next to the standalone validators.
 */
export const FORMATS: Record<string, (s: string) => boolean> = {
  'js-regex': (s: string) => {
    try {
      new RegExp(s);
      return true;
    } catch {
      return false;
    }
  },
};

/** The file name of a schema's standalone validator: mode and a hash of the schema's JSON. */
export function validatorKey(schema: JsonSchema, mode: CheckMode): string {
  return `${mode}-${createHash('sha1').update(JSON.stringify(schema)).digest('hex').slice(0, 20)}`;
}

const require = createRequire(import.meta.url);
/** From dist/src/core/ to dist/validators/ (from src/core/ under a test runner: absent, so compiled). */
const PRECOMPILED_DIR = new URL('../../validators/', import.meta.url);

function precompiled(key: string): ValidateFunction | undefined {
  try {
    return require(fileURLToPath(new URL(`${key}.cjs`, PRECOMPILED_DIR))) as ValidateFunction;
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'MODULE_NOT_FOUND') return undefined;
    throw e;
  }
}

const ajvs = new Map<CheckMode, Ajv>();
/** One ajv per mode, made only when a schema was not precompiled. */
export function newAjv(mode: CheckMode, extra: Options = {}): Ajv {
  const { Ajv: AjvCtor } = require('ajv') as typeof import('ajv');
  const ajv = new AjvCtor({ ...ajvOptions(mode), ...extra });
  for (const [name, fn] of Object.entries(FORMATS)) ajv.addFormat(name, fn);
  return ajv;
}

const cache: Record<CheckMode, WeakMap<object, ValidateFunction>> = { explain: new WeakMap(), defaults: new WeakMap() };

/** The validator of `schema` in `mode`: precompiled when the build saw this exact schema. */
export function validatorFor(schema: JsonSchema, mode: CheckMode): ValidateFunction {
  let v = cache[mode].get(schema);
  if (!v) {
    v = precompiled(validatorKey(schema, mode));
    if (!v) {
      let ajv = ajvs.get(mode);
      if (!ajv) ajvs.set(mode, (ajv = newAjv(mode)));
      v = ajv.compile(schema) as ValidateFunction;
    }
    cache[mode].set(schema, v);
  }
  return v;
}
