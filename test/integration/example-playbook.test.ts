import { mkdtempSync, readFileSync, readlinkSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { runbook } from '../support/cli.js';

// The README's main job: playbooks/site.yml on the built-in `local` inventory.
describe('playbooks/site.yml on the local inventory', () => {
  const base = mkdtempSync(path.join(os.tmpdir(), 'runbook-site-'));
  const args = ['play', 'site.yml', '-i', 'local', '-e', `base_dir=${base}`, '--output', 'json'];

  it('previews, applies, then has nothing left to change', async () => {
    const check = await runbook([...args, '--check', '--detailed-exitcode']);
    expect(check.code).toBe(2);
    expect(check.summary!.hosts.localhost.failed).toBe(0);

    const first = await runbook(args);
    expect(first.code).toBe(0);
    expect(first.summary!.hosts.localhost).toMatchObject({ failed: 0, unreachable: 0 });
    expect(first.summary!.hosts.localhost.changed).toBeGreaterThan(5);
    const site = path.join(base, 'hello');
    expect(readFileSync(path.join(site, 'conf/site.conf'), 'utf8')).toContain(`root    ${site}/public;`);
    expect(readlinkSync(path.join(site, 'current'))).toBe(path.join(site, 'public'));
    expect(readFileSync(path.join(site, 'logs/reloaded'), 'utf8')).toMatch(/^\d{4}-\d\d-\d\dT/);

    const again = await runbook([...args, '--detailed-exitcode']);
    expect(again.code).toBe(0);
    expect(again.summary!.hosts.localhost.changed).toBe(0);
  });
});
