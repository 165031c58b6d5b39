import { describe, expect, it } from 'vitest';
import { isRuntimeUnknown } from '../../../src/template/render.js';
import { calls, outcome, registered, runEngine, statuses } from '../../support/engine-harness.js';

describe('check mode', () => {
  it('never calls apply; a task that would change reports changed', async () => {
    const r = await runEngine({
      hosts: 2,
      check: true,
      playbook: `
- hosts: all
  tasks:
    - { name: would change, probe: { id: a, change: [h1] }, notify: h }
    - { name: steady, probe: { id: b } }
  handlers:
    - { name: h, probe: { id: H, change: true } }
`,
    });
    expect(r.log.filter((c) => c.phase === 'apply')).toEqual([]);
    expect(r.log.every((c) => c.check)).toBe(true);
    expect(statuses(r, 'would change')).toEqual({ h1: 'changed', h2: 'ok' });
    expect(outcome(r, 'would change', 'h1').changes).toEqual(['probe: old → new']);
    // The handler is notified by what would change, and is checked (not applied) too.
    expect(statuses(r, 'h')).toEqual({ h1: 'changed' });
    expect(r.counts.h1).toMatchObject({ ok: 1, changed: 2, failed: 0, skipped: 0 });
    expect(r.exit).toBe(0);
  });

  it('refuses, before any host is touched, a when that reads a name nothing defines', async () => {
    const r = await runEngine({
      hosts: 2,
      check: true,
      playbook: `
- hosts: all
  tasks:
    - name: get version
      opaque_probe: { id: ver, change: true }
      register: ver
    - name: depends
      probe: { id: depends }
      when: ver.stdout == '2'
    - name: known fields still work
      probe: { id: known }
      when: ver.skipped and not ver.changed
    - name: chained
      probe: { id: chained }
      when: depends.skipped
`,
    }).catch((e: Error) => e);
    expect(r).toBeInstanceOf(Error);
    expect((r as Error).message).toContain("undefined variable 'depends'");
  });

  it('decides at run time, per host, the tasks whose when reads an opaque result; the rest of the run goes on', async () => {
    const r = await runEngine({
      hosts: 2,
      check: true,
      playbook: `
- hosts: all
  tasks:
    - name: get version
      opaque_probe: { id: ver, change: [h1], result: { stdout: '1' } }
      register: ver
    - name: depends
      probe: { id: depends }
      when: ver.stdout == '2'
      register: dep
    - name: known fields still work
      probe: { id: known }
      when: ver.skipped and not ver.changed
    - name: chained
      probe: { id: chained }
      when: inventory_hostname == 'h1' and dep.rc == 0
`,
    });
    // h1: the opaque module would run, so it is skipped; h2: its plan says nothing to do.
    expect(outcome(r, 'get version', 'h1')).toMatchObject({ status: 'skipped', decidedAtRunTime: true, msg: 'opaque_probe ver (not run in check mode)' });
    expect(outcome(r, 'get version', 'h2')).toMatchObject({ status: 'ok' });
    expect(isRuntimeUnknown(registered(r, 'h1', 'ver'))).toBe(true);
    expect(isRuntimeUnknown(registered(r, 'h2', 'ver'))).toBe(false);

    const dep = outcome(r, 'depends', 'h1');
    expect(dep).toMatchObject({ status: 'skipped', decidedAtRunTime: true });
    expect(dep.msg).toContain("'ver.stdout' is decided at run time");
    // On h2 the value is known, and the condition simply false.
    expect(outcome(r, 'depends', 'h2')).toMatchObject({ status: 'skipped', msg: 'conditional result was false' });
    expect(outcome(r, 'depends', 'h2').decidedAtRunTime).toBeUndefined();
    expect(calls(r, 'depends')).toEqual([]);
    expect(statuses(r, 'known fields still work')).toEqual({ h1: 'ok', h2: 'skipped' });
    expect(outcome(r, 'chained', 'h1')).toMatchObject({ status: 'skipped', decidedAtRunTime: true });
    expect(outcome(r, 'chained', 'h2')).toMatchObject({ status: 'skipped', msg: 'conditional result was false' });
    expect(r.counts.h1).toMatchObject({ ok: 1, changed: 0, failed: 0, skipped: 3 });
    expect(r.counts.h2).toMatchObject({ ok: 1, changed: 0, failed: 0, skipped: 3 });
    expect(r.exit).toBe(0);
    expect(r.log.filter((c) => c.phase === 'apply')).toEqual([]);
  });

  it('runs a task that says check_mode: false for real, and forces check mode with check_mode: true', async () => {
    const r = await runEngine({
      hosts: 1,
      check: true,
      playbook: `
- hosts: all
  tasks:
    - { name: real, probe: { id: real, change: true }, check_mode: false }
    - { name: real command, command: cat /etc/os-release, check_mode: false, register: os }
    - { name: uses it, probe: { id: uses, echo: "{{ os.stdout }}" } }
`,
      script: (_h, t) => t.on('cat /etc/os-release', { stdout: 'ID=alpine\n' }),
    });
    expect(calls(r, 'real', 'apply').map((c) => c.check)).toEqual([false]);
    expect(statuses(r, 'real')).toEqual({ h1: 'changed' });
    expect(statuses(r, 'real command')).toEqual({ h1: 'changed' });
    expect(calls(r, 'uses')[0].params.echo).toBe('ID=alpine');

    const forced = await runEngine({
      hosts: 1,
      playbook: `- hosts: all\n  tasks:\n    - { name: dry, probe: { id: dry, change: true }, check_mode: true }\n`,
    });
    expect(calls(forced, 'dry', 'apply')).toEqual([]);
    expect(calls(forced, 'dry')[0].check).toBe(true);
    expect(statuses(forced, 'dry')).toEqual({ h1: 'changed' });
  });

  it('does not run command or shell on the host, unless creates/removes decide', async () => {
    const r = await runEngine({
      hosts: 1,
      check: true,
      script: (_h, t) => t.on((c) => c.script !== undefined && c.args[1] === '/done', { stdout: 'creates 1\n' }),
      playbook: `
- hosts: all
  tasks:
    - { name: plain, command: touch /x }
    - { name: guarded, command: touch /done, args: { creates: /done } }
    - { name: piped, shell: "echo a | tee /y" }
`,
    });
    expect(statuses(r, 'plain')).toEqual({ h1: 'skipped' });
    expect(statuses(r, 'guarded')).toEqual({ h1: 'ok' });
    expect(statuses(r, 'piped')).toEqual({ h1: 'skipped' });
    const argvs = r.transports.get('h1')!.calls.map((c) => c.argv);
    expect(argvs).toHaveLength(1);
    expect(argvs[0].slice(0, 2)).toEqual(['sh', '-c']);
    expect(r.exit).toBe(0);
  });
});
