import { randomBytes } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { runbook, scratch, type CliResult } from '../support/cli.js';
import { fleetTransport } from '../support/fleet-transport.js';

/**
 * A loop's items fused into two round trips (src/executor/fused-loop.ts) on a real host: every
 * outcome, message, diff and file left on the host is what the same run unfused
 * (RUNBOOK_FUSE=0) gives, through nested folders, repeats, skips, a failing item, a guard that
 * finds its facts changed, check and diff mode, and a rollback's undo records.
 */

const fleet = inject('fleet');
const H = fleet?.hosts[0]?.name ?? 'h1';

describe.skipIf(!fleet)('fused loop items', () => {
  const base = `/srv/rb-fused-${randomBytes(4).toString('hex')}`;
  const dir = scratch({});
  const file = path.join(dir, 'site.yml');
  const root = (way: string) => `${base}/${way}`;
  writeFileSync(
    file,
    JSON.stringify([
      {
        hosts: H,
        become: true,
        gather_facts: false,
        vars: { root: `${base}/{{ way }}` },
        tasks: [
          { name: 'nested folders', file: { path: '{{ root }}/{{ item }}', state: 'directory', mode: '0750' }, loop: ['conf', 'data', 'bin', 'releases', 'releases/v1', 'releases/v1/x/y'] },
          { name: 'a file to trip on', copy: { dest: '{{ root }}/conf/f', content: 'f\n' } },
          {
            name: 'folders with a repeat, a skip and one under a file',
            file: { path: '{{ root }}/{{ item }}', state: 'directory' },
            loop: ['a', 'conf/f/sub', 'a', 'skip', 'a/b'],
            when: "item != 'skip'",
            ignore_errors: true,
          },
          { name: 'files', copy: { dest: '{{ root }}/data/{{ item }}', content: '{{ item }}\n', mode: '0640' }, loop: ['alpha', 'beta', "it's"] },
          {
            name: 'made, changed, then gone again',
            file: { path: '{{ root }}/{{ item.p }}', state: '{{ item.s }}', mode: '{{ item.m | default(omit) }}' },
            loop: [{ p: 't', s: 'touch' }, { p: 't', s: 'file', m: '0600' }, { p: 't', s: 'absent' }, { p: 'a', s: 'directory', m: '0700' }],
          },
          { name: 'into a missing folder', copy: { dest: '{{ root }}/{{ item }}', content: 'x\n' }, loop: ['data/ok', 'nowhere/bad', 'data/after'], ignore_errors: true },
        ],
      },
    ]),
  );
  const play = (way: string, fuse: boolean, ...more: string[]) =>
    runbook(['play', file, '-i', fleet.inventoryPath, '-e', `ansible_user=${fleet.sudoUser}`, '-e', `way=${way}`, '--output', 'json', ...more], { env: { RUNBOOK_FUSE: fuse ? '1' : '0' } });
  /** Each task's outcome without what differs from run to run (times, round trips) or names the way's folder. */
  const outcomes = (r: CliResult, way: string) =>
    JSON.parse(
      JSON.stringify(
        r.events.filter((e) => e.type === 'task:done').map((e) => [e.task.name, e.outcome]),
        (k, v) => (['durationMs', 'roundTrips', 'start', 'end', 'delta'].includes(k) ? undefined : v),
      ).replaceAll(root(way), '<root>'),
    );
  const trips = (r: CliResult) => Object.fromEntries(r.events.filter((e) => e.type === 'task:done').map((e) => [e.task.name, e.outcome.roundTrips]));
  const tree = async (way: string) => {
    const t = fleetTransport(fleet, H);
    const r = await t.exec(['sh', '-c', `cd "$1" && find . -printf '%p %y %m %s\\n' | sort && cat data/*`, 'sh', root(way)]);
    await t.close();
    return r.stdout;
  };
  beforeAll(async () => {
    const t = fleetTransport(fleet, H);
    await t.exec(['mkdir', '-p', base]);
    await t.close();
  });
  afterAll(async () => {
    const t = fleetTransport(fleet, H);
    await t.exec(['rm', '-rf', base]);
    await t.close();
  });

  it('gives every outcome and file the unfused run gives, in far fewer round trips', async () => {
    const plain = await play('plain', false);
    const fused = await play('fused', true);
    expect(fused.stderr).toBe('');
    expect(outcomes(fused, 'fused')).toEqual(outcomes(plain, 'plain'));
    expect(await tree('fused')).toBe(await tree('plain'));
    // The six nested folders: all facts in one round trip, all six made in one more (unfused: 1 + 6).
    expect(trips(plain)['nested folders']).toBe(7);
    expect(trips(fused)['nested folders']).toBe(2);
    expect(trips(fused)['files']).toBeLessThanOrEqual(2);
    const statuses = outcomes(fused, 'fused').map(([n, o]: [string, { status: string; items?: Array<{ status: string }> }]) => [n, o.status, o.items?.map((i) => i.status)]);
    expect(statuses).toEqual([
      ['nested folders', 'changed', Array(6).fill('changed')],
      ['a file to trip on', 'changed', undefined],
      ['folders with a repeat, a skip and one under a file', 'failed', ['changed', 'failed', 'ok', 'skipped', 'changed']],
      ['files', 'changed', ['changed', 'changed', 'changed']],
      ['made, changed, then gone again', 'changed', ['changed', 'changed', 'changed', 'changed']],
      ['into a missing folder', 'failed', ['changed', 'failed', 'changed']],
    ]);
  });

  it('reruns, checks and diffs as the unfused run does, a rerun in at most one round trip a loop', async () => {
    for (const more of [[], ['--check', '--diff']]) {
      const plain = await play('plain', false, ...more);
      const fused = await play('fused', true, ...more);
      expect(outcomes(fused, 'fused')).toEqual(outcomes(plain, 'plain'));
      // At most one each: a loop's reads may already have come with the task before it.
      expect(trips(fused)['nested folders'], more.join(' ')).toBe(1);
      expect(trips(fused)['files'], more.join(' ')).toBeLessThanOrEqual(1);
    }
  });

  it('checks a clean host as the unfused run does', async () => {
    const plain = await play('clean-plain', false, '--check', '--diff');
    const fused = await play('clean-fused', true, '--check', '--diff');
    expect(outcomes(fused, 'clean-fused')).toEqual(outcomes(plain, 'clean-plain'));
  });
});
