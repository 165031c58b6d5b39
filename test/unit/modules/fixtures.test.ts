import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { builtinModules } from '../../../modules/index.js';
import { GUARD_SCRIPT } from '../../../modules/_lib/command.js';
import { FILE_FACTS_SCRIPT } from '../../../modules/_lib/facts.js';
import { validateParams } from '../../../src/executor/params.js';
import { FakeTransport } from '../../support/fake-transport.js';
import { makeModuleContext } from '../../support/module-context.js';
import { answerFacts, type FactsSpec } from './_support/facts.js';

/**
 * Planning from given facts: each JSON file under test/fixtures/modules/<module>/ gives params
 * and what the host looks like, and the changes (diff, facts, result, commands) expected.
 */
interface Fixture {
  description: string;
  params: Record<string, unknown>;
  diff?: boolean;
  vars?: Record<string, unknown>;
  facts?: FactsSpec;
  replies?: { script?: 'guard'; match?: string; stdout?: string; stderr?: string; exitCode?: number }[];
  apply?: boolean;
  expect: {
    error?: string;
    schemaError?: string;
    calls?: number;
    request?: string[];
    commandArgs?: string[][];
    changes?: unknown[];
    diff?: unknown[];
    summary?: string;
    facts?: Record<string, unknown>;
    result?: Record<string, unknown>;
    applyCommands?: string[][];
    applyResult?: Record<string, unknown>;
  };
}

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../fixtures/modules');

for (const modName of readdirSync(ROOT)) {
  const dir = path.join(ROOT, modName);
  const mod = builtinModules.find((m) => m.name === modName);
  describe(`${modName} fixtures`, () => {
    it('module exists', () => expect(mod).toBeDefined());
    for (const file of readdirSync(dir).filter((f) => f.endsWith('.json')).sort()) {
      const fx = JSON.parse(readFileSync(path.join(dir, file), 'utf8')) as Fixture;
      it(`${file.replace(/\.json$/, '')}: ${fx.description}`, async () => {
        const t = new FakeTransport('web1');
        t.strict = !fx.apply;
        if (fx.facts) answerFacts(t, fx.facts);
        for (const r of fx.replies ?? []) {
          t.on(
            (c) => (r.script === 'guard' ? c.script === GUARD_SCRIPT : c.argv.join(' ').includes(r.match ?? '')),
            { stdout: r.stdout ?? '', stderr: r.stderr ?? '', exitCode: r.exitCode ?? 0 },
          );
        }
        const checked = validateParams(mod!, structuredClone(fx.params));
        if (fx.expect.schemaError !== undefined) {
          expect(checked.ok).toBe(false);
          expect((checked as { message: string }).message).toContain(fx.expect.schemaError);
          return;
        }
        expect(checked.ok, checked.ok ? '' : checked.message).toBe(true);
        const params = (checked as { params: Record<string, unknown> }).params;
        const ctx = makeModuleContext({ transport: t, diff: fx.diff ?? false, vars: fx.vars ?? {}, playbookDir: dir });
        const ex = fx.expect;
        if (ex.error !== undefined) {
          await expect(mod!.plan(ctx, params)).rejects.toThrow(ex.error);
          if (ex.calls !== undefined) expect(t.calls.length).toBe(ex.calls);
          return;
        }
        const plan = await mod!.plan(ctx, params);
        if (ex.calls !== undefined) expect(t.calls.length).toBe(ex.calls);
        if (ex.request) expect(t.calls.find((c) => c.script === FILE_FACTS_SCRIPT)?.args).toEqual(ex.request);
        if (ex.commandArgs) expect(t.calls.filter((c) => c.script === GUARD_SCRIPT).map((c) => c.args)).toEqual(ex.commandArgs);
        if (ex.changes) expect(plan.changes).toEqual(ex.changes);
        if (ex.diff) expect(plan.diff).toEqual(ex.diff);
        if (ex.summary !== undefined) expect(plan.summary).toBe(ex.summary);
        if (ex.facts) expect(plan.facts).toMatchObject(ex.facts);
        if (ex.result) expect(plan.result).toMatchObject(ex.result);
        // Planning has no side effects: only reads, never a write.
        expect(t.puts).toEqual([]);
        if (fx.apply) {
          const before = t.calls.length;
          const applied = await mod!.apply(ctx, params, plan);
          if (ex.applyCommands) expect(t.calls.slice(before).map((c) => c.argv)).toEqual(ex.applyCommands);
          if (ex.applyResult) expect(applied.result).toMatchObject(ex.applyResult);
        }
      });
    }
  });
}
