import { describe, expect, it } from 'vitest';
import { calls, done, outcome, runEngine } from '../../support/engine-harness.js';

const ran = (r: Awaited<ReturnType<typeof runEngine>>, id: string) => calls(r, id).map((c) => c.host).sort();

describe('block / rescue / always', () => {
  it('rescue runs where a block task failed; the host is not failed afterwards; always runs everywhere', async () => {
    const r = await runEngine({
      hosts: 3,
      playbook: `
- hosts: all
  tasks:
    - block:
        - { name: b1, probe: { id: b1, fail: [h1] } }
        - { name: b2, probe: { id: b2 } }
      rescue:
        - { name: r1, probe: { id: r1, echo: "{{ ansible_failed_task.name }}: {{ ansible_failed_result.msg }}" } }
      always:
        - { name: a1, probe: { id: a1 } }
    - { name: after, probe: { id: after } }
`,
    });
    expect(ran(r, 'b2')).toEqual(['h2', 'h3']);
    expect(ran(r, 'r1')).toEqual(['h1']);
    expect(ran(r, 'a1')).toEqual(['h1', 'h2', 'h3']);
    expect(ran(r, 'after')).toEqual(['h1', 'h2', 'h3']);
    expect(outcome(r, 'b1', 'h1')).toMatchObject({ status: 'failed', rescued: true });
    expect(String(outcome(r, 'r1', 'h1').result.echo)).toMatch(/^b1: /);
    expect(done(r, 'b2', 'h1')).toEqual([]);
    expect(r.counts.h1.failed).toBe(0);
    expect(r.exit).toBe(0);
  });

  it('without rescue the host fails, but its always part runs first', async () => {
    const r = await runEngine({
      hosts: 2,
      playbook: `
- hosts: all
  tasks:
    - block:
        - { name: b1, probe: { id: b1, fail: [h1] } }
        - { name: b2, probe: { id: b2 } }
      always:
        - { name: a1, probe: { id: a1 } }
        - { name: a2, probe: { id: a2 } }
    - { name: after, probe: { id: after } }
- hosts: all
  tasks:
    - { name: next, probe: { id: next } }
`,
    });
    expect(ran(r, 'b2')).toEqual(['h2']);
    expect(ran(r, 'a1')).toEqual(['h1', 'h2']);
    expect(ran(r, 'a2')).toEqual(['h1', 'h2']);
    expect(ran(r, 'after')).toEqual(['h2']);
    expect(ran(r, 'next')).toEqual(['h2']);
    expect(r.counts.h1.failed).toBe(1);
    expect(r.exit).toBe(4);
  });

  it('a failing rescue fails the host after always; an outer rescue catches an inner failure', async () => {
    const r = await runEngine({
      hosts: 2,
      playbook: `
- hosts: all
  tasks:
    - block:
        - block:
            - { name: in1, probe: { id: in1, fail: true } }
          rescue:
            - { name: inr, probe: { id: inr, fail: [h1] } }
          always:
            - { name: ina, probe: { id: ina } }
        - { name: out2, probe: { id: out2 } }
      rescue:
        - { name: outr, probe: { id: outr } }
    - { name: after, probe: { id: after } }
`,
    });
    expect(ran(r, 'inr')).toEqual(['h1', 'h2']);
    expect(ran(r, 'ina')).toEqual(['h1', 'h2']);
    // h2's inner rescue worked: it goes on in the outer block. h1's failed: the outer rescue runs.
    expect(ran(r, 'out2')).toEqual(['h2']);
    expect(ran(r, 'outr')).toEqual(['h1']);
    expect(ran(r, 'after')).toEqual(['h1', 'h2']);
    expect(r.exit).toBe(0);
  });

  it('a failure in an inner always part is caught by the outer rescue', async () => {
    const r = await runEngine({
      hosts: 1,
      playbook: `
- hosts: all
  tasks:
    - block:
        - block:
            - { name: in1, probe: { id: in1, fail: true } }
          always:
            - { name: ina, probe: { id: ina, fail: true } }
            - { name: ina2, probe: { id: ina2 } }
        - { name: out2, probe: { id: out2 } }
      rescue:
        - { name: outr, probe: { id: outr } }
    - { name: after, probe: { id: after } }
`,
    });
    expect(ran(r, 'ina')).toEqual(['h1']);
    expect(ran(r, 'ina2')).toEqual([]);
    expect(ran(r, 'out2')).toEqual([]);
    expect(ran(r, 'outr')).toEqual(['h1']);
    expect(ran(r, 'after')).toEqual(['h1']);
    expect(r.exit).toBe(0);
  });

  it('the block keywords apply to rescue and always; rescue alone is refused at load time', async () => {
    const r = await runEngine({
      hosts: 2,
      playbook: `
- hosts: all
  tasks:
    - block:
        - { name: b1, probe: { id: b1, fail: true } }
      rescue:
        - { name: r1, probe: { id: r1 } }
      always:
        - { name: a1, probe: { id: a1 } }
      when: inventory_hostname == 'h2'
`,
    });
    expect(ran(r, 'r1')).toEqual(['h2']);
    expect(ran(r, 'a1')).toEqual(['h2']);
    await expect(
      runEngine({
        hosts: 1,
        playbook: `
- hosts: all
  tasks:
    - name: x
      probe: { id: x }
      rescue:
        - { name: r1, probe: { id: r1 } }
`,
      }),
    ).rejects.toThrow(/playbook\.yml:6:7: tasks\[0\]\.rescue: rescue belongs to a block/);
  });

  it('works in the free strategy', async () => {
    const r = await runEngine({
      hosts: 2,
      playbook: `
- hosts: all
  strategy: free
  tasks:
    - block:
        - { name: b1, probe: { id: b1, fail: [h1] } }
      rescue:
        - { name: r1, probe: { id: r1 } }
      always:
        - { name: a1, probe: { id: a1 } }
    - { name: after, probe: { id: after } }
`,
    });
    expect(ran(r, 'r1')).toEqual(['h1']);
    expect(ran(r, 'a1')).toEqual(['h1', 'h2']);
    expect(ran(r, 'after')).toEqual(['h1', 'h2']);
    expect(r.exit).toBe(0);
  });
});
