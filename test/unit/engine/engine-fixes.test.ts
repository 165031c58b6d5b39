/**
 * Engine behaviours that once differed from SPEC / Ansible, kept as regression tests.
 */
import { describe, expect, it } from 'vitest';
import { connectionSpecFromVars } from '../../../src/transport/connection-spec.js';
import { calls, eventsOf, outcome, registered, runEngine, statuses } from '../../support/engine-harness.js';

describe('hostvars', () => {
  it("exposes other hosts' inventory variables", async () => {
    const r = await runEngine({
      inventory: 'all:\n  hosts:\n    h1: { ansible_connection: ssh, color: red }\n    h2: { ansible_connection: ssh, color: blue }\n',
      playbook: `
- hosts: all
  tasks:
    - { name: peek, probe: { id: peek, echo: "{{ hostvars.h2.color }}" } }
`,
    });
    expect(statuses(r, 'peek')).toEqual({ h1: 'ok', h2: 'ok' });
    expect(calls(r, 'peek').map((c) => c.params.echo)).toEqual(['blue', 'blue']);
  });
});

describe('loop_control.index_var', () => {
  it('defines the index variable for each item', async () => {
    const r = await runEngine({
      hosts: 1,
      playbook: `
- hosts: all
  tasks:
    - name: numbered
      probe: { id: "n-{{ idx }}", echo: "{{ item }}" }
      loop: [a, b]
      loop_control: { index_var: idx }
`,
    });
    expect(calls(r, 'n-0').map((c) => c.params.echo)).toEqual(['a']);
    expect(calls(r, 'n-1').map((c) => c.params.echo)).toEqual(['b']);
  });
});

describe('play remote_user and connection', () => {
  it('reach the transport of every host of the play', async () => {
    const r = await runEngine({
      inventory: 'all:\n  hosts:\n    h1: {}\n',
      playbook: `
- hosts: all
  remote_user: deploy
  connection: local
  tasks:
    - { name: t, probe: { id: t } }
`,
    });
    const spec = connectionSpecFromVars('h1', r.transportRequests[0].vars);
    expect(spec.user).toBe('deploy');
    expect(spec.connection).toBe('local');
  });
});

describe('failed_when / until over a failure the module threw', () => {
  it('failed_when: false keeps a task whose module failed from failing the host', async () => {
    const r = await runEngine({
      hosts: 1,
      playbook: `
- hosts: all
  tasks:
    - { name: plan fails, probe: { id: a, fail: true }, failed_when: false }
    - { name: apply fails, probe: { id: b, change: true, apply_error: true }, failed_when: false }
    - { name: after, probe: { id: after } }
`,
    });
    expect(statuses(r, 'plan fails')).toEqual({ h1: 'ok' });
    expect(outcome(r, 'apply fails', 'h1').status).not.toBe('failed');
    expect(calls(r, 'after')).toHaveLength(1);
    expect(r.exit).toBe(0);
  });

  it('until retries a task whose module failed', async () => {
    const r = await runEngine({
      hosts: 1,
      playbook: `
- hosts: all
  tasks:
    - name: flaky
      probe: { id: flaky, fail_first: 2 }
      register: f
      until: not f.failed
      retries: 3
      delay: 0
`,
    });
    expect(calls(r, 'flaky')).toHaveLength(3);
    expect(statuses(r, 'flaky')).toEqual({ h1: 'ok' });
  });
});

describe('until: attempts', () => {
  it('registers how many attempts it took', async () => {
    const r = await runEngine({
      hosts: 1,
      playbook: `
- hosts: all
  tasks:
    - { name: wait, probe: { id: wait }, register: w, until: w.calls >= 3, retries: 5, delay: 0 }
`,
    });
    expect(calls(r, 'wait')).toHaveLength(3);
    expect(registered(r, 'h1', 'w')).toMatchObject({ attempts: 3 });
  });
});

describe('serial: a batch in which every host failed', () => {
  it('stops the play: later batches do not start', async () => {
    const r = await runEngine({
      hosts: 3,
      playbook: `
- hosts: all
  serial: 1
  tasks:
    - { name: a, probe: { id: a, fail: [h1] } }
`,
    });
    expect(eventsOf(r, 'batch:start').map((b) => b.batch)).toEqual([1]);
    expect(calls(r, 'a').map((c) => c.host)).toEqual(['h1']);
  });
});

describe('check mode: a loop over an opaque module', () => {
  it('leaves a later when over its results decided at run time', async () => {
    const r = await runEngine({
      hosts: 1,
      check: true,
      playbook: `
- hosts: all
  tasks:
    - name: versions
      opaque_probe: { id: "v-{{ item }}", change: true }
      loop: [a, b]
      register: vs
    - name: per result
      probe: { id: per }
      loop: "{{ vs.results }}"
      when: item.stdout == '2'
`,
    });
    const o = outcome(r, 'per result', 'h1');
    expect(o.status).toBe('skipped');
    expect(o.decidedAtRunTime).toBe(true);
    expect(r.exit).toBe(0);
  });
});
