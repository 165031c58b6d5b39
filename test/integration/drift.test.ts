import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { beforeAll, describe, expect, inject, it } from 'vitest';
import { ssh } from '../fleet/fleet.mjs';
import { lockPath } from '../../src/lock/lock.js';
import { REPO, runbook, scratch } from '../support/cli.js';

/**
 * Drift end to end on the fleet, through the CLI: converge, tamper by hand on two hosts, drift
 * names exactly those host/task pairs, --fix repairs them, the next drift is clean, and the
 * journal shows it all. The tampering: an edited file and a removed container on h1, a changed
 * mode and a deleted file on h2.
 */

const fleet = inject('fleet');
const sh = async (host: string, cmd: string) => (await ssh(fleet, host, cmd)).stdout.trim();

const SITE = `
- name: Managed files
  hosts: web
  tasks:
    - name: Drift folder
      file: { path: /srv/drift, state: directory, mode: "0755" }
    - name: App config
      copy: { dest: /srv/drift/app.conf, content: "port=8080\\nhost={{ inventory_hostname }}\\n", mode: "0644" }
    - name: Run script
      copy: { dest: /srv/drift/run.sh, content: "#!/bin/sh\\necho run\\n", mode: "0755" }
    - name: Marker
      copy: { dest: /srv/drift/marker, content: "managed\\n", mode: "0644" }
    - name: App container
      docker_container: { name: rb-drift-app, image: "runbook-app:v1", state: started, pull: never, stop_timeout: 1 }
    - name: Secret
      copy: { dest: /srv/drift/secret, content: "{{ secret_value }}\\n", mode: "0600" }
      no_log: true
  vars:
    secret_value: s3cr3t-drift-value
`;

// Two tasks that fight over one file: a real idempotency bug that --fix can never settle.
const FIGHT = `
- hosts: h3
  tasks:
    - name: Fight A
      copy: { dest: /srv/drift-fight, content: "a\\n" }
    - name: Fight B
      copy: { dest: /srv/drift-fight, content: "b\\n" }
`;

const SLOW = `
- hosts: h1
  tasks:
    - name: Hold the lock a while
      command: sleep 8
`;

function pairsOf(drift: Record<string, Array<{ task: string }>>): string[] {
  return Object.entries(drift)
    .flatMap(([h, ts]) => ts.map((t) => `${h}/${t.task}`))
    .sort();
}

describe('drift on the fleet', () => {
  let dir: string;
  let home: string;
  const env = () => ({ RUNBOOK_HOME: home });
  const drift = (...args: string[]) => runbook(['drift', path.join(dir, 'site.yml'), '-i', fleet.inventoryPath, ...args], { env: env() });

  beforeAll(async () => {
    dir = scratch({ 'site.yml': SITE, 'fight.yml': FIGHT, 'slow.yml': SLOW });
    home = mkdtempSync(path.join(os.tmpdir(), 'rb-drift-home-'));
    await Promise.all(['h1', 'h2', 'h3'].map((h) => sh(h, 'rm -rf /srv/drift /srv/drift-fight; docker rm -f rb-drift-app >/dev/null 2>&1; true')));
  });

  it('converges, finds exactly the hand-made changes, fixes them, and is clean after', async () => {
    const play = await runbook(['play', path.join(dir, 'site.yml'), '-i', fleet.inventoryPath], { env: env() });
    expect(play.stderr).toBe('');
    expect(play.code).toBe(0);
    const clean = await drift();
    expect(clean.code).toBe(0);
    expect(clean.stdout).toContain('no drift');

    // By hand: edit a managed file and remove the container on h1; change a mode and delete a
    // file on h2. h3 untouched.
    await sh('h1', 'echo "debug=1" >> /srv/drift/app.conf && docker rm -f rb-drift-app');
    await sh('h2', 'chmod 0700 /srv/drift/app.conf && rm /srv/drift/marker');

    const found = await drift('--report', path.join(dir, 'drift.json'));
    expect(found.stderr).toBe('');
    expect(found.code).toBe(2);
    const report = JSON.parse(readFileSync(path.join(dir, 'drift.json'), 'utf8'));
    expect(report.kind).toBe('drift');
    expect(pairsOf(report.drift)).toEqual(['h1/App config', 'h1/App container', 'h2/App config', 'h2/Marker']);
    // The report's changed tasks are exactly the drifted ones.
    const changed = Object.entries(report.hosts as Record<string, { tasks: Array<{ name: string; status: string }> }>)
      .flatMap(([h, r]) => r.tasks.filter((t) => t.status === 'changed').map((t) => `${h}/${t.name}`))
      .sort();
    expect(changed).toEqual(['h1/App config', 'h1/App container', 'h2/App config', 'h2/Marker']);
    const h1conf = report.drift.h1[0];
    expect(h1conf.diff[0].before).toContain('debug=1');
    expect(h1conf.diff[0].after).not.toContain('debug=1');
    expect(report.drift.h2.find((t: { task: string }) => t.task === 'App config').changes.join(' ')).toContain('0700 → 0644');
    // Text output names them, with the diff.
    expect(found.stdout).toContain('drift on 2 host(s), 4 task(s):');
    expect(found.stdout).toMatch(/-debug=1/);
    // Check mode touched nothing.
    expect(await sh('h1', 'cat /srv/drift/app.conf')).toContain('debug=1');
    expect(await sh('h2', 'stat -c %a /srv/drift/app.conf; test -e /srv/drift/marker && echo present || echo absent')).toBe('700\nabsent');
    expect(await sh('h1', 'docker ps -aq --filter name=^rb-drift-app$')).toBe('');

    const fix = await drift('--fix', '--report', path.join(dir, 'fix.json'));
    expect(fix.stderr).toBe('');
    expect(fix.code).toBe(2); // drift was found (and corrected)
    const fixed = JSON.parse(readFileSync(path.join(dir, 'fix.json'), 'utf8'));
    expect(pairsOf(fixed.drift)).toEqual(['h1/App config', 'h1/App container', 'h2/App config', 'h2/Marker']);
    expect(fixed.fix.corrected.map((p: { host: string; task: string }) => `${p.host}/${p.task}`).sort()).toEqual(['h1/App config', 'h1/App container', 'h2/App config', 'h2/Marker']);
    expect(fixed.fix.not_converging).toEqual([]);
    expect(Object.keys(fixed.fix.hosts).sort()).toEqual(['h1', 'h2']); // only the drifted hosts were touched
    expect(await sh('h1', 'cat /srv/drift/app.conf')).toBe('port=8080\nhost=h1');
    expect(await sh('h2', 'stat -c %a /srv/drift/app.conf; cat /srv/drift/marker')).toBe('644\nmanaged');
    expect(await sh('h1', "docker inspect -f '{{.State.Running}} {{.Config.Image}}' rb-drift-app")).toBe('true runbook-app:v1');

    const after = await drift();
    expect(after.code).toBe(0);
    expect(after.stdout).toContain('no drift');

    // The journal: play, drift (clean), drift, drift --fix, drift — newest first.
    const hist = await runbook(['history', '--json', '--last', '5'], { env: env() });
    expect(hist.code).toBe(0);
    const runs = JSON.parse(hist.stdout);
    expect(runs.map((r: { kind: string; exit: number }) => `${r.kind}:${r.exit}`)).toEqual(['drift:0', 'drift:2', 'drift:2', 'drift:0', 'play:0']);
    expect(runs[1].command).toContain('--fix');
    expect(runs[1].summary.corrected).toHaveLength(4);
    expect(runs[2].summary.drifted).toHaveLength(4);
    expect(runs[2].summary.corrected).toHaveLength(0);
    expect(runs[4].summary.changed).toBeGreaterThan(0);
    for (const r of runs) {
      expect(r.user).toContain(os.userInfo().username);
      expect(r.ended >= r.started).toBe(true);
    }
    const detail = await runbook(['history', runs[1].id, '--json'], { env: env() });
    const tasks = JSON.parse(detail.stdout).tasks as Array<{ pass: string; host: string; task: string; change_kind: string | null }>;
    const corrective = tasks.filter((t) => t.change_kind === 'corrective').map((t) => `${t.pass}:${t.host}/${t.task}`).sort();
    expect(corrective).toEqual(['fix:h1/App config', 'fix:h1/App container', 'fix:h2/App config', 'fix:h2/Marker']);
    const playDetail = JSON.parse((await runbook(['history', runs[4].id, '--json'], { env: env() })).stdout);
    expect(playDetail.tasks.filter((t: { status: string }) => t.status === 'changed').every((t: { change_kind: string }) => t.change_kind === 'intentional')).toBe(true);
    const text = await runbook(['history', runs[1].id], { env: env() });
    expect(text.stdout).toContain('App config (copy) [corrective]');
    const list = await runbook(['history', '--last', '5'], { env: env() });
    expect(list.stdout).toContain('4 corrected (corrective)');
    expect(list.stdout).toContain('changed (intentional)');
    // no_log values are nowhere in the journal.
    for (const f of readdirSync(home)) {
      if (f.startsWith('journal.db')) expect(readFileSync(path.join(home, f)).includes('s3cr3t-drift-value')).toBe(false);
    }
  });

  it('reports a task that still changes after --fix as not converging (failure bit)', async () => {
    const fight = (...a: string[]) => runbook(['drift', path.join(dir, 'fight.yml'), '-i', fleet.inventoryPath, ...a], { env: env() });
    await runbook(['play', path.join(dir, 'fight.yml'), '-i', fleet.inventoryPath], { env: env() });
    const r = await fight('--fix', '--report', path.join(dir, 'fight.json'));
    expect(r.code).toBe(2 | 4);
    expect(r.stdout).toContain('not converging: h3  Fight A');
    const rep = JSON.parse(readFileSync(path.join(dir, 'fight.json'), 'utf8'));
    expect(rep.fix.not_converging).toEqual([{ host: 'h3', task: 'Fight A' }]);
  });

  it('lets one run hold an inventory: a second exits 1 naming it, or waits with --lock-wait', async () => {
    const first = spawn(process.execPath, [path.join(REPO, 'bin/runbook.js'), 'play', path.join(dir, 'slow.yml'), '-i', fleet.inventoryPath], {
      env: { ...process.env, NO_COLOR: '1', ...env() },
      stdio: 'ignore',
    });
    const firstDone = new Promise<number>((resolve) => first.on('exit', (c) => resolve(c ?? 1)));
    // Wait until the first run holds the lock (its file names its pid).
    const locks = path.join(home, 'locks');
    for (;;) {
      const held = existsSync(locks) && readdirSync(locks).some((f) => f.endsWith('.lock') && readFileSync(path.join(locks, f), 'utf8').includes(`"pid":${first.pid}`));
      if (held) break;
      await new Promise((r) => setTimeout(r, 50));
    }
    const second = await drift();
    expect(second.code).toBe(1);
    expect(second.stderr).toContain('is locked by another run');
    expect(second.stderr).toContain(`pid ${first.pid}`);
    expect(second.stderr).toContain(`runbook play ${path.join(dir, 'slow.yml')}`);
    expect(second.stderr).toMatch(/started \d{4}-\d\d-\d\dT/);
    expect(second.stdout).not.toContain('PLAY'); // nothing ran

    const waited = await drift('--lock-wait', '120');
    expect(await firstDone).toBe(0);
    expect(waited.code).toBe(0);
    expect(waited.stderr).toContain(`waiting up to 120 s for the lock on ${fleet.inventoryPath}, held by pid ${first.pid}`);
    const runs = JSON.parse((await runbook(['history', '--json', '--last', '2'], { env: env() })).stdout);
    // The waiting run started (took the lock) only after the first had ended.
    expect(runs[0].kind).toBe('drift');
    expect(runs[1].command).toContain('slow.yml');
    expect(runs[0].started >= runs[1].ended).toBe(true);
  });

  it('takes over the lock of a run that crashed (its pid is gone)', async () => {
    const file = lockPath(home, fleet.inventoryPath);
    mkdirSync(path.dirname(file), { recursive: true });
    const gone = Number(spawnSync(process.execPath, ['-e', 'process.stdout.write(String(process.pid))'], { encoding: 'utf8' }).stdout);
    writeFileSync(file, JSON.stringify({ pid: gone, command: 'runbook play crashed.yml', started: '2026-01-01T00:00:00.000Z', host: os.hostname(), inventory: fleet.inventoryPath }));
    const r = await drift();
    expect(r.stderr).toBe(`warning: took over a stale lock on ${fleet.inventoryPath}: pid ${gone} on ${os.hostname()}, started 2026-01-01T00:00:00.000Z: runbook play crashed.yml (that process is gone)\n`);
    expect(r.code).toBe(0);
    expect(existsSync(file)).toBe(false); // released at the end
  });
});
