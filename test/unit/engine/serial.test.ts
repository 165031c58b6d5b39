import { describe, expect, it } from 'vitest';
import { calls, eventsOf, plannedOn, runEngine, statuses } from '../../support/engine-harness.js';

describe('serial batches', () => {
  it('[1, "50%"] on 5 hosts runs batches of 1, 2, 2 in order, each batch through every task first', async () => {
    const r = await runEngine({
      hosts: 5,
      playbook: `
- name: rolling
  hosts: all
  serial: [1, "50%"]
  tasks:
    - { name: a, probe: { id: a } }
    - { name: b, probe: { id: b } }
`,
    });
    const batches = eventsOf(r, 'batch:start');
    expect(batches.map((b) => ({ batch: b.batch, hosts: b.hosts, play: b.play }))).toEqual([
      { batch: 1, hosts: ['h1'], play: 'rolling' },
      { batch: 2, hosts: ['h2', 'h3'], play: 'rolling' },
      { batch: 3, hosts: ['h4', 'h5'], play: 'rolling' },
    ]);
    // Every call of a batch ends before the next batch's first call starts.
    const batchOf = (h: string) => batches.find((b) => b.hosts.includes(h))!.batch;
    for (let k = 1; k < 3; k++) {
      const lastEnd = Math.max(...r.log.filter((c) => batchOf(c.host) === k).map((c) => c.endTick));
      const nextStart = Math.min(...r.log.filter((c) => batchOf(c.host) === k + 1).map((c) => c.startTick));
      expect(lastEnd).toBeLessThan(nextStart);
    }
    expect(r.log.map((c) => `${c.id}@${c.host}`).slice(0, 2)).toEqual(['a@h1', 'b@h1']);
    // The batch:start of batch k comes before any task of batch k.
    const idx = (pred: (e: (typeof r.events)[number]) => boolean) => r.events.findIndex(pred);
    expect(idx((e) => e.type === 'batch:start' && e.batch === 2)).toBeLessThan(idx((e) => e.type === 'task:start' && e.host === 'h2'));
    expect(r.exit).toBe(0);
  });

  it('emits no batch:start without serial', async () => {
    const r = await runEngine({ hosts: 3, playbook: `- hosts: all\n  tasks:\n    - { name: a, probe: { id: a } }\n` });
    expect(eventsOf(r, 'batch:start')).toEqual([]);
    expect(calls(r, 'a')).toHaveLength(3);
  });

  it('with max_fail_percentage 0, a failure in batch 1 means later batches never start', async () => {
    const r = await runEngine({
      hosts: 5,
      playbook: `
- hosts: all
  serial: [1, "50%"]
  max_fail_percentage: 0
  tasks:
    - { name: a, probe: { id: a, fail: [h1] } }
    - { name: b, probe: { id: b } }
- name: later play
  hosts: all
  tasks:
    - { name: c, probe: { id: c } }
`,
    });
    expect(eventsOf(r, 'batch:start').map((b) => b.batch)).toEqual([1]);
    expect(plannedOn(r, 'a')).toEqual(['h1']);
    expect(calls(r, 'b')).toEqual([]);
    expect(calls(r, 'c')).toEqual([]);
    expect(eventsOf(r, 'play:start').map((p) => p.play)).toEqual(['all']);
    expect(eventsOf(r, 'warning').map((w) => w.msg)).toEqual([
      'play "all": too many hosts failed in batch 1; no further batches or plays run',
    ]);
    expect(Object.keys(r.counts).sort()).toEqual(['h1', 'h2', 'h3', 'h4', 'h5']);
    expect(r.counts.h2).toMatchObject({ ok: 0, changed: 0, failed: 0, unreachable: 0, skipped: 0 });
    expect(r.exit).toBe(4);
  });

  it('with max_fail_percentage 50, one failure of two in a batch lets the next batch run', async () => {
    const r = await runEngine({
      hosts: 4,
      playbook: `
- hosts: all
  serial: 2
  max_fail_percentage: 50
  tasks:
    - { name: a, probe: { id: a, fail: [h1] } }
`,
    });
    expect(eventsOf(r, 'batch:start').map((b) => b.hosts)).toEqual([['h1', 'h2'], ['h3', 'h4']]);
    expect(plannedOn(r, 'a')).toEqual(['h1', 'h2', 'h3', 'h4']);
    expect(r.exit).toBe(4);
  });

  it('counts an unreachable host against max_fail_percentage', async () => {
    const r = await runEngine({
      hosts: 3,
      playbook: `
- hosts: all
  serial: 1
  max_fail_percentage: 0
  tasks:
    - { name: a, probe: { id: a, unreachable: [h1] } }
`,
    });
    expect(eventsOf(r, 'batch:start').map((b) => b.batch)).toEqual([1]);
    expect(r.exit).toBe(8);
  });
});

describe('any_errors_fatal', () => {
  it('stops every host after the task that failed, and later plays', async () => {
    const r = await runEngine({
      hosts: 3,
      playbook: `
- hosts: all
  any_errors_fatal: true
  tasks:
    - { name: a, probe: { id: a, fail: [h2], delay_ms: { h1: 20, h3: 20 } } }
    - { name: b, probe: { id: b } }
  post_tasks:
    - { name: p, probe: { id: p } }
- hosts: all
  tasks:
    - { name: c, probe: { id: c } }
`,
    });
    // The failing task finishes on the hosts it already started on; nothing after it runs.
    expect(statuses(r, 'a')).toEqual({ h1: 'ok', h2: 'failed', h3: 'ok' });
    expect(calls(r, 'b')).toEqual([]);
    expect(calls(r, 'p')).toEqual([]);
    expect(calls(r, 'c')).toEqual([]);
    expect(eventsOf(r, 'play:start')).toHaveLength(1);
    expect(r.exit).toBe(4);
  });

  it('ignores failures that ignore_errors covers', async () => {
    const r = await runEngine({
      hosts: 2,
      playbook: `
- hosts: all
  any_errors_fatal: true
  tasks:
    - { name: a, probe: { id: a, fail: [h2] }, ignore_errors: true }
    - { name: b, probe: { id: b } }
`,
    });
    expect(plannedOn(r, 'b')).toEqual(['h1', 'h2']);
    expect(r.exit).toBe(0);
  });

  it('stops later batches too', async () => {
    const r = await runEngine({
      hosts: 4,
      playbook: `
- hosts: all
  serial: 2
  any_errors_fatal: true
  tasks:
    - { name: a, probe: { id: a, fail: [h1] } }
    - { name: b, probe: { id: b } }
`,
    });
    expect(eventsOf(r, 'batch:start').map((b) => b.batch)).toEqual([1]);
    expect(plannedOn(r, 'a')).toEqual(['h1', 'h2']);
    expect(calls(r, 'b')).toEqual([]);
  });
});
