import { describe, expect, it } from 'vitest';
import { calls, eventsOf, outcome, plannedOn, registered, runEngine, statuses } from '../../support/engine-harness.js';

const twoPlays = (firstTask: string) => `
- name: one
  hosts: all
  tasks:
${firstTask}
    - name: after
      probe: { id: after }
- name: two
  hosts: all
  tasks:
    - name: next play
      probe: { id: next }
`;

describe('a failed host', () => {
  it('stops its own tasks while the others continue; exit bit 4', async () => {
    const r = await runEngine({
      hosts: 3,
      playbook: twoPlays(`    - name: breaks
      probe: { id: breaks, fail: [h2] }`),
    });
    expect(statuses(r, 'breaks')).toEqual({ h1: 'ok', h2: 'failed', h3: 'ok' });
    expect(plannedOn(r, 'after')).toEqual(['h1', 'h3']);
    expect(plannedOn(r, 'next')).toEqual(['h1', 'h3']);
    expect(outcome(r, 'breaks', 'h2').msg).toBe('probe failed on purpose');
    expect(r.counts.h2).toMatchObject({ ok: 0, changed: 0, failed: 1, unreachable: 0, skipped: 0 });
    expect(r.counts.h1).toMatchObject({ ok: 3, changed: 0, failed: 0, unreachable: 0, skipped: 0 });
    expect(r.exit).toBe(4);
  });

  it('fails on a failed apply too (module reported failure)', async () => {
    const r = await runEngine({
      hosts: 2,
      playbook: twoPlays(`    - name: breaks
      probe: { id: breaks, change: true, apply_fail: [h1] }`),
    });
    expect(statuses(r, 'breaks')).toEqual({ h1: 'failed', h2: 'changed' });
    expect(plannedOn(r, 'after')).toEqual(['h2']);
    expect(r.exit).toBe(4);
  });

  it('keeps going with ignore_errors, counts the task ok and leaves bit 4 clear', async () => {
    const r = await runEngine({
      hosts: 2,
      playbook: twoPlays(`    - name: breaks
      probe: { id: breaks, fail: [h2] }
      ignore_errors: true
      register: res`),
    });
    const o = outcome(r, 'breaks', 'h2');
    expect(o.status).toBe('failed');
    expect(o.ignored).toBe(true);
    expect(plannedOn(r, 'after')).toEqual(['h1', 'h2']);
    expect(plannedOn(r, 'next')).toEqual(['h1', 'h2']);
    expect(r.counts.h2).toMatchObject({ ok: 3, changed: 0, failed: 0, unreachable: 0, skipped: 0 });
    expect(registered(r, 'h2', 'res')).toMatchObject({ failed: true, changed: false, skipped: false, msg: 'probe failed on purpose' });
    expect(r.exit).toBe(0);
  });
});

describe('an unreachable host', () => {
  it('is reported unreachable and runs nothing more, in this play or later ones; exit bit 8', async () => {
    const r = await runEngine({
      hosts: 3,
      playbook: twoPlays(`    - name: connect
      probe: { id: connect, unreachable: [h3] }`),
    });
    expect(statuses(r, 'connect')).toEqual({ h1: 'ok', h2: 'ok', h3: 'unreachable' });
    const u = eventsOf(r, 'host:unreachable');
    expect(u).toHaveLength(1);
    expect(u[0]).toMatchObject({ host: 'h3', play: 'one', task: { name: 'connect' } });
    expect(u[0].msg).toContain('h3: host unreachable (simulated)');
    expect(plannedOn(r, 'after')).toEqual(['h1', 'h2']);
    expect(plannedOn(r, 'next')).toEqual(['h1', 'h2']);
    expect(r.counts.h3).toMatchObject({ ok: 0, changed: 0, failed: 0, unreachable: 1, skipped: 0 });
    expect(r.exit).toBe(8);
  });

  it('is unreachable when its transport refuses to connect (ConnectionError), also for builtin modules', async () => {
    const r = await runEngine({
      hosts: 2,
      unreachable: ['h1'],
      playbook: twoPlays(`    - name: connect
      command: uname -r`),
    });
    expect(statuses(r, 'connect')).toEqual({ h1: 'unreachable', h2: 'changed' });
    expect(outcome(r, 'connect', 'h1').msg).toBe('h1: connect ECONNREFUSED (simulated)');
    expect(plannedOn(r, 'after')).toEqual(['h2']);
    expect(plannedOn(r, 'next')).toEqual(['h2']);
    expect(r.transports.get('h2')!.calls.map((c) => c.argv)).toEqual([['uname', '-r']]);
    expect(r.exit).toBe(8);
  });

  it('is not saved by ignore_errors', async () => {
    const r = await runEngine({
      hosts: 2,
      playbook: twoPlays(`    - name: connect
      probe: { id: connect, unreachable: [h1] }
      ignore_errors: true`),
    });
    expect(statuses(r, 'connect')).toEqual({ h1: 'unreachable', h2: 'ok' });
    expect(plannedOn(r, 'after')).toEqual(['h2']);
    expect(r.exit).toBe(8);
  });

  it('stops a loop at the unreachable item', async () => {
    const r = await runEngine({
      hosts: 1,
      playbook: `
- hosts: all
  tasks:
    - name: looped
      probe: { id: "loop-{{ item.n }}", unreachable: "{{ item.u }}" }
      loop:
        - { n: a, u: [] }
        - { n: b, u: [h1] }
        - { n: c, u: [] }
`,
    });
    expect(r.log.map((c) => c.id)).toEqual(['loop-a', 'loop-b']);
    const o = outcome(r, 'looped', 'h1');
    expect(o.status).toBe('unreachable');
    expect(o.items!.map((i) => i.status)).toEqual(['ok', 'unreachable']);
    expect(r.counts.h1).toMatchObject({ ok: 0, unreachable: 1 });
    expect(r.exit).toBe(8);
  });
});

describe('exit code bits', () => {
  it('combine failed (4) and unreachable (8) into 12', async () => {
    const r = await runEngine({
      hosts: 3,
      playbook: twoPlays(`    - name: mixed
      probe: { id: mixed, fail: [h1], unreachable: [h2] }`),
    });
    expect(statuses(r, 'mixed')).toEqual({ h1: 'failed', h2: 'unreachable', h3: 'ok' });
    expect(plannedOn(r, 'after')).toEqual(['h3']);
    expect(r.exit).toBe(12);
    const end = eventsOf(r, 'run:end')[0];
    expect(end.exit).toBe(12);
    expect(calls(r, 'mixed')).toHaveLength(3);
  });
});
