/**
 * Build step (src/build/index.ts): write the standalone validator of every schema runbook ships (the playbook and
 * task-file structure, and each module's parameters in both check modes) to
 * dist/validators/, so no command compiles a schema at start-up.
 */
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { _ } from 'ajv';
import standaloneCode from 'ajv/dist/standalone/index.js';
import { builtinModules } from '../../modules/index.js';
import type { JsonSchema } from '../core/module.js';
import { type CheckMode, FORMATS, newAjv, validatorKey } from '../core/validators.js';
import { playbookSchema, taskFileSchema } from '../playbook/schema.js';

const OUT = fileURLToPath(new URL('../../validators/', import.meta.url));

/** Every schema checked at start-up or run time, with the modes it is checked in. */
function shippedSchemas(): [JsonSchema, CheckMode][] {
  const out: [JsonSchema, CheckMode][] = [
    [playbookSchema, 'explain'],
    [taskFileSchema, 'explain'],
  ];
  for (const m of builtinModules) out.push([m.schema, 'explain'], [m.schema, 'defaults']);
  return out;
}

function formatsSource(): string {
  const entries = Object.entries(FORMATS).map(([name, fn]) => `  ${JSON.stringify(name)}: ${fn.toString()},`);
  return `'use strict';\n// Written by the build from src/core/validators.ts FORMATS.\nmodule.exports = {\n${entries.join('\n')}\n};\n`;
}

export function buildValidators(): number {
  rmSync(OUT, { recursive: true, force: true });
  mkdirSync(OUT, { recursive: true });
  writeFileSync(`${OUT}formats.cjs`, formatsSource());
  const toCode = standaloneCode as unknown as (ajv: unknown, fn: unknown) => string;
  const ajvs = new Map<CheckMode, ReturnType<typeof newAjv>>();
  const written = new Set<string>();
  for (const [schema, mode] of shippedSchemas()) {
    const key = validatorKey(schema, mode);
    if (written.has(key)) continue;
    let ajv = ajvs.get(mode);
    if (!ajv) ajvs.set(mode, (ajv = newAjv(mode, { code: { source: true, formats: _`require("./formats.cjs")` } })));
    writeFileSync(`${OUT}${key}.cjs`, toCode(ajv, ajv.compile(schema)));
    written.add(key);
  }
  return written.size;
}
