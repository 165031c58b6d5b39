import { existsSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { GUARD_SCRIPT } from '../../../../modules/_lib/command.js';
import { outcome, registered, runEngine, statuses } from '../../../support/engine-harness.js';
import type { ExecCall } from '../../../support/fake-transport.js';
import { runbook, scratch } from '../../../support/cli.js';

const isGuard = (c: ExecCall) => c.script === GUARD_SCRIPT;

describe('command with creates/removes in check mode', () => {
  it('reports changed when the guard says it would run, ok when it would not, skipped without a guard', async () => {
    const r = await runEngine({
      hosts: 2,
      check: true,
      playbook: `
- hosts: all
  tasks:
    - { name: init, command: /usr/local/bin/init-db, args: { creates: /var/lib/db/ready }, register: init }
    - { name: cleanup, command: rm -f /tmp/lock, args: { removes: /tmp/lock } }
    - { name: plain, command: uptime }
`,
      // h1: nothing exists yet (init would run, cleanup would not); h2: both exist.
      script: (host, t) =>
        t.on(isGuard, (c: ExecCall) => {
          const [, creates, removes] = c.args;
          const exists = host === 'h2';
          return { stdout: `${creates ? `creates ${exists ? 1 : 0}\n` : ''}${removes ? `removes ${exists ? 1 : 0}\n` : ''}` };
        }),
    });
    expect(statuses(r, 'init')).toEqual({ h1: 'changed', h2: 'ok' });
    expect(statuses(r, 'cleanup')).toEqual({ h1: 'ok', h2: 'changed' });
    expect(statuses(r, 'plain')).toEqual({ h1: 'skipped', h2: 'skipped' });
    expect(outcome(r, 'init', 'h1').decidedAtRunTime).toBeFalsy();
    expect(registered(r, 'h1', 'init')).toMatchObject({ changed: true, skipped: false, rc: 0 });
    expect(r.log.filter((c) => c.phase === 'apply')).toEqual([]);
  });
});

describe('command with creates in check mode, through the local connection', () => {
  it('--check says changed while the path is missing, runs nothing; a real run then changes it; --check then says ok', async () => {
    const dir = scratch({ 'hosts.yml': 'all:\n  hosts:\n    localhost: { ansible_connection: local }\n' });
    const made = path.join(dir, 'made.txt');
    const pb = path.join(dir, 'pb.yml');
    writeFileSync(pb, `- hosts: all\n  tasks:\n    - name: make\n      command: touch ${made}\n      args: { creates: ${made} }\n`);
    const play = (...extra: string[]) => runbook(['play', pb, '-i', path.join(dir, 'hosts.yml'), '--output', 'json', ...extra], { cwd: dir });
    const checked = await play('--check');
    expect(checked.summary?.hosts.localhost).toMatchObject({ changed: 1, skipped: 0 });
    expect(existsSync(made)).toBe(false);
    const real = await play();
    expect(real.summary?.hosts.localhost).toMatchObject({ changed: 1 });
    expect(existsSync(made)).toBe(true);
    const again = await play('--check');
    expect(again.summary?.hosts.localhost).toMatchObject({ ok: 1, changed: 0, skipped: 0 });
  });
});
