import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runbook, scratch } from '../support/cli.js';

/**
 * `runbook cron` against the real crontab of this user (restored afterwards), and `--notify`
 * against a local HTTP server on 127.0.0.1. Both on the built-in `local` inventory.
 */

function crontabL(): { code: number; text: string } {
  const r = spawnSync('crontab', ['-l'], { encoding: 'utf8' });
  return { code: r.status ?? 1, text: r.stdout };
}

function setCrontab(text: string): void {
  execFileSync('crontab', ['-'], { input: text });
}

describe('runbook cron on the real crontab', () => {
  let saved: { code: number; text: string };
  let dir: string;
  let home: string;
  const FOREIGN = '17 3 * * * /usr/bin/true # someone else\'s job';

  beforeAll(() => {
    saved = crontabL();
    dir = scratch({ 'site.yml': '- hosts: localhost\n  tasks:\n    - name: Marker\n      copy: { dest: "{{ marker }}", content: "x\\n" }\n' });
    home = mkdtempSync(path.join(os.tmpdir(), 'rb-cron-home-'));
    setCrontab(`${saved.code === 0 ? saved.text : ''}${FOREIGN}\n`);
  });

  afterAll(() => {
    if (saved.code === 0) setCrontab(saved.text);
    else spawnSync('crontab', ['-r']);
  });

  const cron = (...args: string[]) => runbook(['cron', ...args], { cwd: dir, env: { RUNBOOK_HOME: home } });
  const ours = () => crontabL().text.split('\n').filter((l) => l.endsWith('# runbook:rb-test-drift'));

  it('installs one marked line, replaces it on reinstall, lists and removes it, never touching others', async () => {
    const marker = path.join(dir, 'marker');
    const args = ['--', 'drift', 'site.yml', '-i', 'local', '--fix', '-e', `marker=${marker}`];
    const first = await cron('install', 'rb-test-drift', '--schedule', '*/30 * * * *', ...args);
    expect(first.stderr).toBe('');
    expect(first.code).toBe(0);
    expect(first.stdout).toContain("installed 'rb-test-drift'");
    const again = await cron('install', 'rb-test-drift', '--schedule', '*/15 * * * *', '--splay', '5', ...args);
    expect(again.code).toBe(0);
    expect(again.stdout).toContain("replaced 'rb-test-drift'");
    const lines = ours();
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(/^\*\/15 \* \* \* \* cd /);
    expect(lines[0]).toContain('--splay 5');
    expect(crontabL().text).toContain(FOREIGN);

    const list = await cron('list', '--json');
    const entries = JSON.parse(list.stdout) as Array<{ name: string; schedule: string }>;
    expect(entries.filter((e) => e.name === 'rb-test-drift')).toEqual([expect.objectContaining({ name: 'rb-test-drift', schedule: '*/15 * * * *' })]);
    expect((await cron('list')).stdout).toContain('rb-test-drift\t*/15 * * * *');

    // What cron would run: the line's command through sh (splay 0 to keep it quick), logged.
    const line = lines[0]!.replace(' --splay 5', '');
    const command = line.split(' ').slice(5).join(' ');
    const r = spawnSync('/bin/sh', ['-c', command], { encoding: 'utf8' });
    expect(r.status).toBe(2); // drift found (the marker was missing) and fixed
    expect(readFileSync(marker, 'utf8')).toBe('x\n');
    const log = readFileSync(path.join(home, 'cron', 'rb-test-drift.log'), 'utf8');
    expect(log).toMatch(/== \S+ cron rb-test-drift start \(pid \d+\): runbook drift site.yml -i local --fix/);
    expect(log).toContain('drift on 1 host(s), 1 task(s):');
    expect(log).toMatch(/== \S+ cron rb-test-drift end: exit 2\n$/);

    const removed = await cron('remove', 'rb-test-drift');
    expect(removed.code).toBe(0);
    expect(ours()).toHaveLength(0);
    expect(crontabL().text).toContain(FOREIGN);
    const missing = await cron('remove', 'rb-test-drift');
    expect(missing.code).toBe(1);
    expect(missing.stderr).toContain("no runbook entry named 'rb-test-drift'");
  });

  it('refuses a bad schedule before touching the crontab', async () => {
    const before = crontabL().text;
    const bad = await cron('install', 'rb-test-bad', '--schedule', '61 * * * *', '--', 'drift', 'site.yml', '-i', 'local');
    expect(bad.code).toBe(1);
    expect(bad.stderr).toContain("--schedule: '61 * * * *' is not a valid cron schedule");
    const short = await cron('install', 'rb-test-bad', '--schedule', '* * *', '--', 'drift', 'site.yml', '-i', 'local');
    expect(short.code).toBe(1);
    expect(short.stderr).toContain('expected five cron fields');
    expect(crontabL().text).toBe(before);
  });
});

describe('drift --notify', () => {
  let server: http.Server;
  let url: string;
  const received: Array<{ method: string; type: string; body: any }> = [];
  let failNext = 0;
  let dir: string;

  beforeAll(async () => {
    dir = scratch({ 'site.yml': '- hosts: localhost\n  tasks:\n    - name: Marker\n      copy: { dest: "{{ marker }}", content: "x\\n" }\n' });
    server = http.createServer((req, res) => {
      let s = '';
      req.on('data', (d) => (s += d));
      req.on('end', () => {
        if (failNext > 0) {
          failNext--;
          res.writeHead(503).end();
          return;
        }
        received.push({ method: req.method!, type: String(req.headers['content-type']), body: JSON.parse(s) });
        res.writeHead(204).end();
      });
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
    url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/hook`;
  });

  afterAll(() => new Promise<void>((r) => server.close(() => r())));

  const drift = (marker: string, ...a: string[]) =>
    runbook(['drift', path.join(dir, 'site.yml'), '-i', 'local', '-e', `marker=${marker}`, ...a], { env: { RUNBOOK_HOME: path.join(dir, 'home') } });

  it('POSTs the JSON report when drift is found (after a retry), and stays quiet without drift', async () => {
    const marker = path.join(dir, 'm1');
    failNext = 1; // the first attempt gets a 503
    const r = await drift(marker, '--notify', url);
    expect(r.code).toBe(2);
    expect(received).toHaveLength(1);
    expect(received[0]!.method).toBe('POST');
    expect(received[0]!.type).toBe('application/json');
    expect(received[0]!.body.kind).toBe('drift');
    expect(received[0]!.body.drift).toEqual({ localhost: [expect.objectContaining({ task: 'Marker', module: 'copy' })] });
    expect(r.stderr).toContain(`notify: POST ${url}: 204`);

    writeFileSync(marker, 'x\n');
    const clean = await drift(marker, '--notify', url, '--output', 'json');
    expect(clean.code).toBe(0);
    expect(received).toHaveLength(1);
    // JSON lines: every event carries the run id; the last line is the drift verdict.
    const last = clean.events.at(-1)!;
    expect(last).toEqual({ type: 'drift', run_id: expect.stringMatching(/^\d{8}-\d{6}-[0-9a-f]{4}$/), drift: {}, exit: 0 });
    expect(clean.events.every((e) => e.run_id === last.run_id)).toBe(true);
  });

  it('reports a notification that cannot be delivered without changing the exit code', async () => {
    const dead = http.createServer();
    await new Promise<void>((r) => dead.listen(0, '127.0.0.1', () => r()));
    const port = (dead.address() as AddressInfo).port;
    await new Promise<void>((r) => dead.close(() => r())); // nothing listens there now
    const r = await drift(path.join(dir, 'm2'), '--notify', `http://127.0.0.1:${port}/hook`);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain(`warning: notify: POST http://127.0.0.1:${port}/hook failed after 3 attempt(s): ECONNREFUSED (the exit code is unchanged)`);
  });
});
