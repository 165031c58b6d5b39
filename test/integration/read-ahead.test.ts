import { randomBytes } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, describe, expect, inject, it } from 'vitest';
import { runbook, scratch, type CliResult } from '../support/cli.js';
import { fleetTransport } from '../support/fleet-transport.js';

/**
 * Reads sent ahead (ReadAhead) on a real host over SSH: each task still sees what the tasks
 * before it left, however they changed it (a put, a line edit, a shell command, a folder made
 * by a loop's earlier item), and the run costs fewer round trips.
 */

const fleet = inject('fleet');
const H = fleet?.hosts[0]?.name ?? 'h1';

describe.skipIf(!fleet)('reads sent ahead of the tasks that make them', () => {
  const base = `/srv/rb-ahead-${randomBytes(4).toString('hex')}`;
  const dir = scratch({});
  const file = path.join(dir, 'site.yml');
  writeFileSync(
    file,
    JSON.stringify([
      {
        hosts: H,
        become: true,
        tasks: [
          { name: 'folders', file: { path: '{{ item }}', state: 'directory', mode: '0750' }, loop: [base, `${base}/a`, `${base}/a/b`, `${base}/c`] },
          { name: 'one', copy: { content: 'one\n', dest: `${base}/f`, force: false } },
          { name: 'two', lineinfile: { path: `${base}/f`, line: 'two' } },
          { name: 'three', shell: { cmd: `printf 'three\\n' >> ${base}/f && touch ${base}/t3`, creates: `${base}/t3` } },
          { name: 'already so', copy: { content: 'one\ntwo\nthree\n', dest: `${base}/f` } },
          { name: 'guarded', command: { cmd: `touch ${base}/never`, creates: `${base}/f` } },
          { name: 'mode', file: { path: `${base}/f`, mode: '0600' } },
          { name: 'inside', copy: { content: 'x\n', dest: `${base}/a/b/x` } },
        ],
      },
    ]),
  );
  const play = () => runbook(['play', file, '-i', fleet.inventoryPath, '-e', `ansible_user=${fleet.sudoUser}`, '--output', 'json']);
  const tasks = (r: CliResult) => r.events.filter((e) => e.type === 'task:done').map((e) => [e.task.name, e.outcome.status, e.outcome.roundTrips]);
  const total = (r: CliResult) => r.events.filter((e) => e.type === 'task:done').reduce((n, e) => n + e.outcome.roundTrips, 0);
  afterAll(async () => {
    const t = fleetTransport(fleet, H);
    await t.exec(['rm', '-rf', base]);
    await t.close();
  });

  it('each task sees what the ones before it left; the first run sends fewer round trips than it makes reads and writes', async () => {
    const first = await play();
    expect(first.stderr).toBe('');
    expect(tasks(first).map(([n, s]) => [n, s])).toEqual([
      ['folders', 'changed'],
      ['one', 'changed'],
      ['two', 'changed'],
      ['three', 'changed'],
      ['already so', 'ok'],
      ['guarded', 'ok'],
      ['mode', 'changed'],
      ['inside', 'changed'],
    ]);
    const t = fleetTransport(fleet, H);
    const r = await t.exec({ script: 'cat "$1/f"; stat -c "%a %U" "$1/f" "$1" "$1/a" "$1/a/b" "$1/c"; cat "$1/a/b/x"; [ ! -e "$1/never" ]', args: [base] });
    await t.close();
    expect(r.stdout).toBe('one\ntwo\nthree\n600 root\n750 root\n750 root\n750 root\n750 root\nx\n');
    expect(r.exitCode).toBe(0);
    // Unfused this is 2 per changed path (facts, then the write), and 1 per unchanged one, per
    // creates check and per command run: 4×2 + 2 + 2 + 2 + 1 + 1 + 2 + 2 = 20.
    expect(total(first)).toBeLessThanOrEqual(12);
  });

  it('the read of a task that uses a result not registered yet goes with the command that registers it', async () => {
    const reg = path.join(dir, 'registered.yml');
    writeFileSync(
      reg,
      JSON.stringify([
        {
          hosts: H,
          become: true,
          tasks: [
            { name: 'folder', file: { path: `${base}/r`, state: 'directory' } },
            { name: 'ask', command: 'echo answer', register: 'asked', changed_when: false },
            { name: 'record', copy: { dest: `${base}/r/fixed.txt`, content: '{{ asked.stdout }}\n' }, when: 'asked.rc == 0' },
            { name: 'ask again', command: 'echo again', register: 'again', changed_when: false },
            { name: 'record by name', copy: { dest: `${base}/r/{{ again.stdout }}.txt`, content: '{{ again.stdout }}\n' } },
          ],
        },
      ]),
    );
    const run = () => runbook(['play', reg, '-i', fleet.inventoryPath, '-e', `ansible_user=${fleet.sudoUser}`, '--output', 'json']);
    const first = await run();
    expect(first.stderr).toBe('');
    expect(tasks(first).slice(1)).toEqual([
      ['ask', 'ok', 1],
      // its read, guessed as if the condition held and with the content left out, came with the command: only the write
      ['record', 'changed', 1],
      ['ask again', 'ok', 1],
      // its path needs the result, so no read could be guessed: its own read, then its write
      ['record by name', 'changed', 2],
    ]);
    const t = fleetTransport(fleet, H);
    const r = await t.exec({ script: 'cat "$1/r/fixed.txt" "$1/r/again.txt"; ls "$1/r"', args: [base] });
    await t.close();
    expect(r.stdout).toBe('answer\nagain\nagain.txt\nfixed.txt\n');
    expect(tasks(await run()).map(([, s]) => s)).toEqual(['ok', 'ok', 'ok', 'ok', 'ok']);
  });

  it('a rerun changes nothing, and its reads go about two to a round trip', async () => {
    const again = await play();
    expect(tasks(again).map(([, s]) => s)).toEqual(Array(8).fill('ok'));
    // Unfused: one read per step (4 folders, 3 copies and a line edit's facts, 2 creates checks, the mode): 11.
    expect(total(again)).toBeLessThanOrEqual(7);
  });
});
