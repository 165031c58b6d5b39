import { describe, expect, it } from 'vitest';
import { calls, done, plannedOn, runEngine, statuses } from '../../support/engine-harness.js';

/** "handler@host" in the order handler calls started. */
const handlerRuns = (r: Awaited<ReturnType<typeof runEngine>>) =>
  r.log.filter((c) => c.phase === 'plan' && c.id.startsWith('H-')).map((c) => `${c.id}@${c.host}`);

describe('handlers', () => {
  it('run once per host at the end of the section, only on hosts that notified, in definition order', async () => {
    const r = await runEngine({
      hosts: 3,
      playbook: `
- hosts: all
  tasks:
    - name: t1
      probe: { id: t1, change: [h1, h2] }
      notify: [second, first]
    - name: t2
      probe: { id: t2, change: [h1] }
      notify: second
    - name: t3
      probe: { id: t3 }
  handlers:
    - name: first
      probe: { id: H-first }
    - name: second
      probe: { id: H-second }
`,
    });
    // Notified twice on h1: still once. Definition order, not notify order. Never on h3.
    expect(handlerRuns(r).sort()).toEqual(['H-first@h1', 'H-first@h2', 'H-second@h1', 'H-second@h2']);
    const firstEnds = Math.max(...calls(r, 'H-first').map((c) => c.endTick));
    const secondStarts = Math.min(...calls(r, 'H-second').map((c) => c.startTick));
    expect(firstEnds).toBeLessThan(secondStarts);
    // After the section's last task, not right after the notifying task.
    const t3End = Math.max(...calls(r, 't3').map((c) => c.endTick));
    expect(Math.min(...r.log.filter((c) => c.id.startsWith('H-')).map((c) => c.startTick))).toBeGreaterThan(t3End);
    const hDone = done(r).filter((e) => e.task.handler);
    expect(hDone.map((e) => e.task.id).sort()).toEqual(['0/handlers/0', '0/handlers/0', '0/handlers/1', '0/handlers/1']);
    expect(r.counts.h1).toMatchObject({ ok: 3, changed: 2 });
    expect(r.counts.h3).toMatchObject({ ok: 3, changed: 0 });
  });

  it('do not run when the notifying task did not change', async () => {
    const r = await runEngine({
      hosts: 2,
      playbook: `
- hosts: all
  tasks:
    - { name: t1, probe: { id: t1 }, notify: h }
  handlers:
    - { name: h, probe: { id: H-h } }
`,
    });
    expect(handlerRuns(r)).toEqual([]);
    expect(done(r).filter((e) => e.task.handler)).toEqual([]);
  });

  it('run at the end of each section that notified them', async () => {
    const r = await runEngine({
      hosts: 1,
      playbook: `
- hosts: all
  pre_tasks:
    - { name: pre, probe: { id: pre, change: true }, notify: h }
  tasks:
    - { name: main, probe: { id: main, change: true }, notify: h }
    - { name: main2, probe: { id: main2 } }
  post_tasks:
    - { name: post, probe: { id: post } }
  handlers:
    - { name: h, probe: { id: H-h } }
`,
    });
    expect(r.log.filter((c) => c.phase === 'plan').map((c) => c.id)).toEqual(['pre', 'H-h', 'main', 'main2', 'H-h', 'post']);
  });

  it('answer listen topics; several handlers on one topic run in definition order', async () => {
    const r = await runEngine({
      hosts: 2,
      playbook: `
- hosts: all
  tasks:
    - { name: t, probe: { id: t, change: [h2] }, notify: restart web }
  handlers:
    - { name: unrelated, probe: { id: H-unrelated } }
    - { name: restart app, probe: { id: H-app }, listen: restart web }
    - { name: restart nginx, probe: { id: H-nginx }, listen: [other, restart web] }
`,
    });
    expect(handlerRuns(r)).toEqual(['H-app@h2', 'H-nginx@h2']);
  });

  it('a handler that changes notifies a later handler, which then runs in the same flush', async () => {
    const r = await runEngine({
      hosts: 2,
      playbook: `
- hosts: all
  tasks:
    - { name: t, probe: { id: t, change: true }, notify: one }
    - { name: t2, probe: { id: t2 } }
  handlers:
    - { name: one, probe: { id: H-one, change: [h1] }, notify: two }
    - { name: two, probe: { id: H-two } }
`,
    });
    expect(handlerRuns(r).sort()).toEqual(['H-one@h1', 'H-one@h2', 'H-two@h1']);
    expect(statuses(r, 'two')).toEqual({ h1: 'ok' });
  });

  it('do not run on a host that failed after notifying', async () => {
    const r = await runEngine({
      hosts: 2,
      playbook: `
- hosts: all
  tasks:
    - { name: t, probe: { id: t, change: true }, notify: h }
    - { name: breaks, probe: { id: breaks, fail: [h1] } }
  handlers:
    - { name: h, probe: { id: H-h } }
`,
    });
    expect(handlerRuns(r)).toEqual(['H-h@h2']);
    expect(r.exit).toBe(4);
  });

  it('run once per batch, for the hosts of that batch', async () => {
    const r = await runEngine({
      hosts: 3,
      playbook: `
- hosts: all
  serial: 1
  tasks:
    - { name: t, probe: { id: t, change: true }, notify: h }
  handlers:
    - { name: h, probe: { id: H-h } }
`,
    });
    expect(r.log.filter((c) => c.phase === 'plan').map((c) => `${c.id}@${c.host}`)).toEqual([
      't@h1', 'H-h@h1', 't@h2', 'H-h@h2', 't@h3', 'H-h@h3',
    ]);
    expect(plannedOn(r, 'H-h')).toEqual(['h1', 'h2', 'h3']);
  });
});
