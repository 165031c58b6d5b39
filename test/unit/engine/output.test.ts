import { describe, expect, it } from 'vitest';
import { eventsOf, runEngine } from '../../support/engine-harness.js';

const play = (change: string) => `
- hosts: all
  tasks:
    - { name: a, probe: { id: a, change: ${change} } }
    - { name: b, probe: { id: b } }
`;

describe('--detailed-exitcode', () => {
  it('is 2 when something changed', async () => {
    expect((await runEngine({ hosts: 2, detailedExitcode: true, playbook: play('[h2]') })).exit).toBe(2);
  });
  it('is 0 when nothing changed', async () => {
    expect((await runEngine({ hosts: 2, detailedExitcode: true, playbook: play('false') })).exit).toBe(0);
  });
  it('is 0 without the flag even when something changed', async () => {
    expect((await runEngine({ hosts: 2, playbook: play('true') })).exit).toBe(0);
  });
  it('counts what would change in check mode', async () => {
    expect((await runEngine({ hosts: 1, check: true, detailedExitcode: true, playbook: play('true') })).exit).toBe(2);
  });
  it('combines with the failure bit', async () => {
    const r = await runEngine({
      hosts: 2,
      detailedExitcode: true,
      playbook: `
- hosts: all
  tasks:
    - { name: a, probe: { id: a, change: [h1], fail: [h2] } }
`,
    });
    expect(r.exit).toBe(6);
  });
});

describe('events', () => {
  it('come in run / play / task order and end with run:end carrying the counts and exit', async () => {
    const r = await runEngine({
      hosts: 2,
      playbook: `
- name: first
  hosts: all
  tasks:
    - { name: a, probe: { id: a, change: [h1] } }
- name: second
  hosts: h2
  tasks:
    - { name: b, probe: { id: b }, when: false }
`,
    });
    const shape = r.events.map((e) =>
      e.type === 'task:start' || e.type === 'task:done' ? `${e.type} ${e.task.name}@${e.host}` : e.type === 'play:start' ? `play:start ${e.play} [${e.hosts}]` : e.type,
    );
    expect(shape[0]).toBe('run:start');
    expect(shape.slice(1, 2)).toEqual(['play:start first [h1,h2]']);
    expect(shape.slice(2, 4).sort()).toEqual(['task:start a@h1', 'task:start a@h2']);
    expect(shape.slice(4, 6).sort()).toEqual(['task:done a@h1', 'task:done a@h2']);
    expect(shape.slice(6)).toEqual(['play:end', 'play:start second [h2]', 'task:start b@h2', 'task:done b@h2', 'play:end', 'run:end']);
    const end = eventsOf(r, 'run:end')[0];
    expect(end.exit).toBe(0);
    expect(end.interrupted).toBe(false);
    expect(end.hosts.h1).toMatchObject({ ok: 0, changed: 1, failed: 0, unreachable: 0, skipped: 0 });
    expect(end.hosts.h2).toMatchObject({ ok: 1, changed: 0, failed: 0, unreachable: 0, skipped: 1 });
  });

  it('the JSON reporter prints one event per line and ends with the SPEC §8 summary line', async () => {
    const r = await runEngine({
      hosts: 3,
      playbook: `
- hosts: all
  tasks:
    - { name: a, probe: { id: a, change: [h1], fail: [h2], unreachable: [h3] } }
    - { name: b, probe: { id: b } }
`,
    });
    const parsed = r.json.map((l) => JSON.parse(l) as Record<string, unknown>);
    expect(parsed).toHaveLength(r.events.length);
    expect(parsed.slice(0, -1).map((e) => e.type)).toEqual(r.events.slice(0, -1).map((e) => e.type));
    expect(r.json.every((l) => !l.includes('\n'))).toBe(true);
    const summary = parsed.at(-1)!;
    expect(summary).toMatchObject({
      type: 'summary',
      hosts: {
        h1: { ok: 1, changed: 1, failed: 0, unreachable: 0, skipped: 0 },
        h2: { ok: 0, changed: 0, failed: 1, unreachable: 0, skipped: 0 },
        h3: { ok: 0, changed: 0, failed: 0, unreachable: 1, skipped: 0 },
      },
      exit: 12,
    });
    // Per host exactly the five counters of SPEC §8 (no timeMs).
    for (const h of Object.values(summary.hosts as Record<string, object>)) {
      expect(Object.keys(h).sort()).toEqual(['changed', 'failed', 'ok', 'skipped', 'unreachable']);
    }
    expect(r.json.at(-1)!.startsWith('{"type":"summary","hosts":{"h1":{"ok":1,"changed":1,"failed":0,"unreachable":0,"skipped":0}')).toBe(true);
    expect(r.exit).toBe(12);
  });
});

describe('interruption', () => {
  it('lets in-flight tasks finish, starts nothing more and exits 130', async () => {
    const ac = new AbortController();
    const r = await runEngine({
      hosts: 2,
      signal: ac.signal,
      onCall: (c) => {
        if (c.id === 'slow' && c.host === 'h2') ac.abort();
      },
      playbook: `
- hosts: all
  tasks:
    - { name: slow, probe: { id: slow, delay_ms: 60 } }
    - { name: next, probe: { id: next } }
- hosts: all
  tasks:
    - { name: later, probe: { id: later } }
`,
    });
    expect(eventsOf(r, 'task:done').map((e) => `${e.task.name}@${e.host}`).sort()).toEqual(['slow@h1', 'slow@h2']);
    expect(r.log.map((c) => c.id)).toEqual(['slow', 'slow']);
    expect(eventsOf(r, 'play:start')).toHaveLength(1);
    expect(eventsOf(r, 'run:end')[0]).toMatchObject({ interrupted: true, exit: 130 });
    expect(r.exit).toBe(130);
  });
});
