import { describe, expect, it } from 'vitest';
import { calls, eventsOf, runEngine, type HarnessResult } from '../../support/engine-harness.js';

/** Index of each event, to compare orders. */
function eventIndex(r: HarnessResult, type: 'task:start' | 'task:done', task: string): number[] {
  const out: number[] = [];
  r.events.forEach((e, i) => {
    if (e.type === type && e.task.name === task) out.push(i);
  });
  return out;
}

const threeTasks = (strategy: string, delays: string) => `
- hosts: all
  strategy: ${strategy}
  tasks:
    - name: first
      probe: { id: first, delay_ms: ${delays} }
    - name: second
      probe: { id: second }
    - name: third
      probe: { id: third }
`;

describe('linear strategy', () => {
  it('starts task N+1 on no host before task N finished on every host', async () => {
    const r = await runEngine({ hosts: 4, playbook: threeTasks('linear', '{ h1: 0, h2: 40, h3: 5, h4: 20 }') });
    for (const [a, b] of [['first', 'second'], ['second', 'third']]) {
      const lastDone = Math.max(...eventIndex(r, 'task:done', a));
      const firstStart = Math.min(...eventIndex(r, 'task:start', b));
      expect(lastDone).toBeLessThan(firstStart);
      const lastEnd = Math.max(...calls(r, a).map((c) => c.endTick));
      const firstBegin = Math.min(...calls(r, b).map((c) => c.startTick));
      expect(lastEnd).toBeLessThan(firstBegin);
    }
    for (const id of ['first', 'second', 'third']) expect(calls(r, id)).toHaveLength(4);
    expect(r.exit).toBe(0);
  });

  it('runs a task on all hosts in parallel when forks allow', async () => {
    const r = await runEngine({ hosts: 5, playbook: threeTasks('linear', '30') });
    expect(r.maxInFlight).toBe(5);
  });

  it('never has more hosts in flight than --forks', async () => {
    const r = await runEngine({ hosts: 7, forks: 2, playbook: threeTasks('linear', '15') });
    expect(r.maxInFlight).toBe(2);
    expect(Math.max(...r.log.map((c) => c.inFlight))).toBe(2);
    for (const id of ['first', 'second', 'third']) expect(calls(r, id)).toHaveLength(7);
  });

  it('with forks 1 runs hosts one at a time, in inventory order', async () => {
    const r = await runEngine({ hosts: 3, forks: 1, playbook: threeTasks('linear', '5') });
    expect(r.maxInFlight).toBe(1);
    expect(calls(r, 'first').map((c) => c.host)).toEqual(['h1', 'h2', 'h3']);
    expect(r.log.map((c) => `${c.id}@${c.host}`)).toEqual([
      'first@h1', 'first@h2', 'first@h3',
      'second@h1', 'second@h2', 'second@h3',
      'third@h1', 'third@h2', 'third@h3',
    ]);
  });
});

describe('free strategy', () => {
  it('lets a fast host run ahead of a slow one', async () => {
    const r = await runEngine({ hosts: 2, playbook: threeTasks('free', '{ h1: 0, h2: 80 }') });
    const slowFirst = calls(r, 'first').find((c) => c.host === 'h2')!;
    const fastThird = calls(r, 'third').find((c) => c.host === 'h1')!;
    // h1 finished all three tasks while h2 was still in its first one.
    expect(fastThird.endTick).toBeLessThan(slowFirst.endTick);
    const doneOrder = eventsOf(r, 'task:done').map((e) => `${e.task.name}@${e.host}`);
    expect(doneOrder).toEqual(['first@h1', 'second@h1', 'third@h1', 'first@h2', 'second@h2', 'third@h2']);
    expect(r.counts.h1).toMatchObject({ ok: 3, changed: 0, failed: 0 });
    expect(r.counts.h2).toMatchObject({ ok: 3, changed: 0, failed: 0 });
  });

  it('the same play under linear keeps the fast host waiting', async () => {
    const r = await runEngine({ hosts: 2, playbook: threeTasks('linear', '{ h1: 0, h2: 80 }') });
    const slowFirst = calls(r, 'first').find((c) => c.host === 'h2')!;
    const fastSecond = calls(r, 'second').find((c) => c.host === 'h1')!;
    expect(fastSecond.startTick).toBeGreaterThan(slowFirst.endTick);
  });

  it('still bounds the hosts working at once by --forks', async () => {
    const r = await runEngine({ hosts: 5, forks: 2, playbook: threeTasks('free', '10') });
    expect(r.maxInFlight).toBe(2);
    for (const id of ['first', 'second', 'third']) expect(calls(r, id)).toHaveLength(5);
  });

  it('stops only the failed host', async () => {
    const r = await runEngine({
      hosts: 2,
      playbook: `
- hosts: all
  strategy: free
  tasks:
    - { name: a, probe: { id: a, fail: [h1] } }
    - { name: b, probe: { id: b } }
`,
    });
    expect(calls(r, 'b').map((c) => c.host)).toEqual(['h2']);
    expect(r.exit).toBe(4);
  });
});
