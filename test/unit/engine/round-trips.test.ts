import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { runbook, scratch } from '../../support/cli.js';

// Round trips per task, counted on the real local transport through the CLI: each command,
// put and get is one; a controller-side module makes none; a loop adds its items'.
describe('round trips per task', () => {
  it('are in JSON events and the report, and shown with -v', async () => {
    const dir = scratch({ 'hosts.yml': 'all:\n  hosts:\n    localhost: { ansible_connection: local }\n' });
    const out = dir;
    const pb = scratch({
      'pb.yml': `- hosts: all
  tasks:
    - { name: one command, command: "true" }
    - { name: a file, copy: { content: "hello\\n", dest: ${out}/a.txt } }
    - { name: three items, command: "echo {{ item }}", loop: [a, b, c] }
    - { name: controller only, debug: { msg: hi } }
`,
    });
    const inv = ['-i', path.join(dir, 'hosts.yml')];
    const report = path.join(dir, 'report.json');
    const first = await runbook(['play', path.join(pb, 'pb.yml'), ...inv, '--output', 'json', '--report', report], { cwd: dir });
    expect(first.code).toBe(0);
    const trips = (r: typeof first) => Object.fromEntries(r.events.filter((e) => e.type === 'task:done').map((e) => [e.task.name, e.outcome.roundTrips]));
    // The new file: its facts, then the write.
    expect(trips(first)).toEqual({ 'one command': 1, 'a file': 2, 'three items': 3, 'controller only': 0 });
    const tasks = JSON.parse(readFileSync(report, 'utf8')).hosts.localhost.tasks as Array<{ name: string; round_trips: number }>;
    expect(tasks.map((t) => [t.name, t.round_trips])).toEqual([
      ['one command', 1],
      ['a file', 2],
      ['three items', 3],
      ['controller only', 0],
    ]);
    // Nothing to change: the file costs its facts alone.
    const again = await runbook(['play', path.join(pb, 'pb.yml'), ...inv, '-v'], { cwd: dir });
    expect(again.code).toBe(0);
    expect(again.stdout).toMatch(/ok {10}localhost {2}a file \d+ms, 1 round trip\n/);
    expect(again.stdout).toMatch(/three items \d+ms, 3 round trips\n/);
    expect(again.stdout).toMatch(/controller only \d+ms, 0 round trips\n/);
    const plain = await runbook(['play', path.join(pb, 'pb.yml'), ...inv], { cwd: dir });
    expect(plain.stdout).not.toContain('round trip');
  });
});
