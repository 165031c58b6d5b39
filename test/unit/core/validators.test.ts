import { existsSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { builtinModules } from '../../../modules/index.js';
import { CHECK_MODES, type CheckMode, newAjv, validatorKey } from '../../../src/core/validators.js';
import type { JsonSchema } from '../../../src/core/module.js';
import { playbookSchema, taskFileSchema } from '../../../src/playbook/schema.js';

// The build's standalone validators (npm test builds first) against ajv compiling the same
// schema at run time: the same verdict, the same errors, the same defaults filled in.
const DIST = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../../dist/validators');

type Validate = ((d: unknown) => boolean) & { errors?: unknown[] | null };
const load = (schema: JsonSchema, mode: CheckMode): Validate => {
  const file = path.join(DIST, `${validatorKey(schema, mode)}.cjs`);
  expect(existsSync(file), `${file} (run npm run build)`).toBe(true);
  return require(file) as Validate;
};

function samples(schema: JsonSchema): unknown[] {
  const props = Object.keys((schema.properties as Record<string, unknown> | undefined) ?? {});
  const out: unknown[] = [{}, { no_such_parameter: 1 }, 'text', null];
  for (const p of props) for (const v of [12345, 'x', true, ['a'], { a: 1 }, '(']) out.push({ [p]: v });
  return out;
}

function verdicts(v: Validate, inputs: unknown[]) {
  return inputs.map((input) => {
    const copy = structuredClone(input);
    return { ok: v(copy), errors: v.errors ?? null, after: copy };
  });
}

describe('precompiled schema validators', () => {
  const compiled = new Map(CHECK_MODES.map((m) => [m, newAjv(m)]));
  for (const mode of CHECK_MODES) {
    it(`every module's parameters in ${mode} mode agree with ajv`, () => {
      for (const mod of builtinModules) {
        const inputs = samples(mod.schema);
        expect(verdicts(load(mod.schema, mode), inputs), mod.name).toEqual(verdicts(compiled.get(mode)!.compile(mod.schema) as Validate, inputs));
      }
    });
  }

  it('the playbook and task-file structure agree with ajv', () => {
    const inputs = [
      [{ hosts: 'all', tasks: [{ command: 'true' }] }],
      [{ hosts: 'all', serial: 'half', tasks: 'x' }],
      [{ name: 1, hosts: ['a', 2], vars: [], roles: [{}], handlers: {} }],
      { hosts: 'all' },
    ];
    const ajv = compiled.get('explain')!;
    for (const schema of [playbookSchema, taskFileSchema]) {
      expect(verdicts(load(schema, 'explain'), inputs)).toEqual(verdicts(ajv.compile(schema) as Validate, inputs));
    }
  });

  it('the js-regex format is checked by the standalone code', () => {
    const lineinfile = builtinModules.find((m) => m.name === 'lineinfile')!;
    const v = load(lineinfile.schema, 'explain');
    expect(v({ path: '/x', regexp: '^a(' })).toBe(false);
    expect(JSON.stringify(v.errors)).toContain('js-regex');
    expect(v({ path: '/x', regexp: '^a\\d+$', line: 'a1' })).toBe(true);
  });
});
