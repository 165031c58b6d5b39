import { mkdtemp, readFile, rm, writeFile, mkdir } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Ajv } from 'ajv';
import { parse } from 'yaml';
import { afterAll, describe, expect, it } from 'vitest';
import { runbook } from '../../support/cli.js';

const dirs: string[] = [];
afterAll(async () => {
  for (const d of dirs) await rm(d, { recursive: true, force: true });
});

async function scratch(): Promise<string> {
  const d = await mkdtemp(path.join(tmpdir(), 'runbook-init-'));
  dirs.push(d);
  return d;
}

describe('runbook init', () => {
  it('scaffolds a project whose example converges, then changes nothing', async () => {
    const root = await scratch();
    const init = await runbook(['init', 'shop'], { cwd: root });
    expect(init.code, init.stderr).toBe(0);
    expect(init.stdout).toContain('created shop/playbooks/site.yml');
    const project = path.join(root, 'shop');
    const first = await runbook(['play', 'site.yml', '-i', 'local', '--detailed-exitcode'], { cwd: project });
    expect(first.code, first.stdout + first.stderr).toBe(2);
    const conf = await readFile('/tmp/shop-demo/conf/app.conf', 'utf8');
    expect(conf).toContain('root /tmp/shop-demo/www;');
    const again = await runbook(['play', 'site.yml', '-i', 'local', '--detailed-exitcode'], { cwd: project });
    expect(again.code, again.stdout + again.stderr).toBe(0);
    await rm('/tmp/shop-demo', { recursive: true, force: true });
  });

  it('the scaffold validates against the schemas it ships', async () => {
    const root = await scratch();
    expect((await runbook(['init', '.'], { cwd: root })).code).toBe(0);
    const ajv = new Ajv({ strict: false });
    const pb = ajv.compile(JSON.parse(await readFile(path.join(root, 'schemas/playbook.schema.json'), 'utf8')));
    const inv = ajv.compile(JSON.parse(await readFile(path.join(root, 'schemas/inventory.schema.json'), 'utf8')));
    expect(pb(parse(await readFile(path.join(root, 'playbooks/site.yml'), 'utf8')))).toBe(true);
    for (const f of ['local.yml', 'servers.yml']) expect(inv(parse(await readFile(path.join(root, 'inventories', f), 'utf8')))).toBe(true);
    // A wrong module parameter is caught by the editor schema, as the loader would.
    expect(pb([{ hosts: 'all', tasks: [{ copy: { dest: '/x', content: 'y', mdoe: '0644' } }] }])).toBe(false);
  });

  it('overwrites nothing: an existing file is named and the exit code is 1', async () => {
    const root = await scratch();
    await mkdir(path.join(root, 'playbooks'));
    await writeFile(path.join(root, 'playbooks/site.yml'), 'mine\n');
    const r = await runbook(['init'], { cwd: root });
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('playbooks/site.yml');
    expect(await readFile(path.join(root, 'playbooks/site.yml'), 'utf8')).toBe('mine\n');
  });
});
