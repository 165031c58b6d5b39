import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { Ajv } from 'ajv';
import { parse } from 'yaml';
import { describe, expect, it } from 'vitest';
import { REPO, runbook } from '../../support/cli.js';

// The schemas shipped beside the examples are what `runbook schema` prints today: a module or
// keyword change without regenerating them fails here.
describe('editor schemas', () => {
  for (const [kind, file] of [
    ['playbook', 'playbooks/playbook.schema.json'],
    ['inventory', 'inventories/inventory.schema.json'],
  ] as const) {
    it(`${file} is current (regenerate: runbook schema ${kind} > ${file})`, async () => {
      const r = await runbook(['schema', kind]);
      expect(r.code, r.stderr).toBe(0);
      expect(await readFile(path.join(REPO, file), 'utf8')).toBe(`${r.stdout.trimEnd()}\n`);
    });
  }

  it('the example playbooks and inventory validate against them', async () => {
    const ajv = new Ajv({ strict: false });
    const pb = ajv.compile(JSON.parse(await readFile(path.join(REPO, 'playbooks/playbook.schema.json'), 'utf8')));
    const inv = ajv.compile(JSON.parse(await readFile(path.join(REPO, 'inventories/inventory.schema.json'), 'utf8')));
    for (const f of ['site.yml', 'example-service.yml', 'rollout-app.yml']) {
      const ok = pb(parse(await readFile(path.join(REPO, 'playbooks', f), 'utf8')));
      expect(ok, `${f}: ${JSON.stringify(pb.errors?.slice(0, 3))}`).toBe(true);
    }
    expect(inv(parse(await readFile(path.join(REPO, 'inventories/example.yml'), 'utf8')))).toBe(true);
  });

  it('rejects an unknown kind', async () => {
    const r = await runbook(['schema', 'nope']);
    expect(r.code).toBe(1);
  });
});
