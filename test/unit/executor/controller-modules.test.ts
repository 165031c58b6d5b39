import { describe, expect, it } from 'vitest';
import { calls, done, eventsOf, outcome, runEngine, statuses } from '../../support/engine-harness.js';
import { judgeAssert, conditionsOf } from '../../../modules/assert.js';
import { debugOutput, showValue } from '../../../modules/debug.js';
import { factsOf } from '../../../modules/set_fact.js';
import { includedVars } from '../../../modules/include_vars.js';

describe('controller-side module helpers', () => {
  it('set_fact sets every parameter but cacheable', () => {
    expect(factsOf({ a: 1, b: 'x', cacheable: true })).toEqual({ a: 1, b: 'x' });
  });
  it('debug shows strings as they are, other values as JSON, var by name', () => {
    expect(showValue('hi')).toBe('hi');
    expect(showValue({ a: [1] })).toBe('{\n  "a": [\n    1\n  ]\n}');
    expect(debugOutput({ msg: 'm' }, undefined)).toEqual({ message: 'm', result: { msg: 'm' } });
    expect(debugOutput({}, undefined)).toEqual({ message: 'Hello world!', result: { msg: 'Hello world!' } });
    expect(debugOutput({ msg: null }, undefined)).toEqual({ message: 'null', result: { msg: null } });
    expect(debugOutput({ var: 'x.y' }, 3)).toEqual({ message: 'x.y: 3', result: { 'x.y': 3 } });
    expect(debugOutput({ var: 'nope' }, undefined)).toEqual({ message: 'nope: VARIABLE IS NOT DEFINED!', result: { nope: 'VARIABLE IS NOT DEFINED!' } });
  });
  it('assert names the first failing condition, after fail_msg or msg', () => {
    const holds = (c: string) => c !== 'b' && c !== 'c';
    expect(conditionsOf(' a ')).toEqual(['a']);
    expect(judgeAssert({ that: ['a', 'b', 'c'] }, holds)).toEqual({ ok: false, failed: 'b', message: 'assertion failed: b' });
    expect(judgeAssert({ that: ['a', 'c'], fail_msg: 'bad', msg: 'other' }, holds)).toEqual({ ok: false, failed: 'c', message: 'bad (assertion failed: c)' });
    expect(judgeAssert({ that: 'c', msg: 'other' }, holds).message).toBe('other (assertion failed: c)');
    expect(judgeAssert({ that: ['a'] }, holds)).toEqual({ ok: true, message: 'All assertions passed' });
    expect(judgeAssert({ that: ['a'], success_msg: 'fine' }, holds)).toEqual({ ok: true, message: 'fine' });
  });
  it('include_vars nests under name', () => {
    expect(includedVars({ file: 'x' }, { a: 1 })).toEqual({ a: 1 });
    expect(includedVars({ file: 'x', name: 'n' }, { a: 1 })).toEqual({ n: { a: 1 } });
  });
});

describe('set_fact', () => {
  it('is visible to later tasks and plays, reported ok, above play and host vars, below -e', async () => {
    const r = await runEngine({
      hosts: 2,
      inventory: `
all:
  hosts:
    h1: { ansible_connection: ssh, level: host }
    h2: { ansible_connection: ssh, level: host }
`,
      extraVars: ['pinned=extra'],
      playbook: `
- hosts: all
  vars: { level: play, pinned: play, base: 2 }
  tasks:
    - name: set_fact
      set_fact:
        level: "fact-{{ inventory_hostname }}"
        doubled: "{{ base }}"
        pinned: fact
        cacheable: true
    - name: see
      probe: { id: see, echo: ["{{ level }}", "{{ doubled }}", "{{ pinned }}"] }
    - name: only h1
      probe: { id: only }
      when: level == 'fact-h1'
- hosts: all
  tasks:
    - name: next play
      probe: { id: next, echo: "{{ level }}" }
`,
    });
    expect(statuses(r, 'set_fact')).toEqual({ h1: 'ok', h2: 'ok' });
    expect(outcome(r, 'see', 'h1').result.echo).toEqual(['fact-h1', 2, 'extra']);
    expect(statuses(r, 'only h1')).toEqual({ h1: 'ok', h2: 'skipped' });
    expect(outcome(r, 'next play', 'h2').result.echo).toBe('fact-h2');
    expect(r.exit).toBe(0);
  });

  it('sets facts in check mode too, and opens no connection', async () => {
    const r = await runEngine({
      hosts: 1,
      check: true,
      playbook: `
- hosts: all
  tasks:
    - set_fact: { x: 1 }
    - name: debug
      debug: { msg: "x is {{ x }}" }
    - assert: { that: [x == 1] }
`,
    });
    expect(statuses(r, 'debug')).toEqual({ h1: 'ok' });
    expect(outcome(r, 'debug', 'h1').message).toBe('x is 1');
    expect(r.transports.get('h1')?.connected ?? false).toBe(false);
    expect(r.transports.get('h1')?.calls ?? []).toEqual([]);
  });

  it('opens no connection: an unreachable host still runs set_fact, debug and assert', async () => {
    const r = await runEngine({
      hosts: 2,
      unreachable: ['h1'],
      playbook: `
- hosts: all
  tasks:
    - set_fact: { x: 1 }
    - name: say
      debug: { msg: "x={{ x }}" }
    - assert: { that: x == 1 }
`,
    });
    expect(statuses(r, 'say')).toEqual({ h1: 'ok', h2: 'ok' });
    expect(r.counts.h1).toMatchObject({ ok: 3, unreachable: 0 });
    expect(r.exit).toBe(0);
  });

  it('run_once sets the facts on every host of the batch', async () => {
    const r = await runEngine({
      hosts: 2,
      playbook: `
- hosts: all
  tasks:
    - set_fact: { picked: "{{ inventory_hostname }}" }
      run_once: true
    - name: see
      probe: { id: see, echo: "{{ picked }}" }
`,
    });
    expect(outcome(r, 'see', 'h1').result.echo).toBe('h1');
    expect(outcome(r, 'see', 'h2').result.echo).toBe('h1');
  });

  it('is seen by other hosts through hostvars', async () => {
    const r = await runEngine({
      hosts: 2,
      playbook: `
- hosts: all
  tasks:
    - set_fact: { mine: "{{ inventory_hostname }}-v" }
    - name: peek
      probe: { id: peek, echo: "{{ hostvars['h1'].mine }}" }
`,
    });
    expect(outcome(r, 'peek', 'h2').result.echo).toBe('h1-v');
  });
});

describe('debug', () => {
  it('prints msg and var in the outcome and the JSON output, hidden under no_log', async () => {
    const r = await runEngine({
      hosts: 1,
      playbook: `
- hosts: all
  vars: { info: { a: [1, 2] } }
  tasks:
    - name: say
      debug: { msg: "hello {{ inventory_hostname }}" }
    - name: show
      debug: { var: info.a }
    - name: secret
      debug: { msg: "pw" }
      no_log: true
    - name: quiet unless -v
      debug: { msg: "detail", verbosity: 1 }
`,
    });
    expect(outcome(r, 'say', 'h1').message).toBe('hello h1');
    expect(outcome(r, 'show', 'h1').message).toBe('info.a: [\n  1,\n  2\n]');
    expect(outcome(r, 'show', 'h1').result['info.a']).toEqual([1, 2]);
    expect(outcome(r, 'secret', 'h1').message).toBe('the output has been hidden due to no_log: true');
    expect(outcome(r, 'quiet unless -v', 'h1').message).toBeUndefined();
    const say = r.json.map((l) => JSON.parse(l)).find((e) => e.type === 'task:done' && e.task.name === 'say');
    expect(say.outcome.message).toBe('hello h1');
    expect(r.json.join('\n')).not.toContain('"pw"');
  });
});

describe('assert and fail', () => {
  it('assert fails naming the first failing condition; the host stops; exit code has the failed bit', async () => {
    const r = await runEngine({
      hosts: 2,
      playbook: `
- hosts: all
  vars: { n: 3 }
  tasks:
    - name: check
      assert:
        that: [n > 1, "inventory_hostname == 'h1'", n > 5]
        fail_msg: "wrong host"
    - name: after
      probe: { id: after }
`,
    });
    expect(statuses(r, 'check')).toEqual({ h1: 'failed', h2: 'failed' });
    expect(outcome(r, 'check', 'h1').msg).toBe('wrong host (assertion failed: n > 5)');
    expect(outcome(r, 'check', 'h2').msg).toBe("wrong host (assertion failed: inventory_hostname == 'h1')");
    expect(calls(r, 'after')).toEqual([]);
    expect(r.exit).toBe(4);
  });

  it('assert passes with success_msg, quiet prints nothing', async () => {
    const r = await runEngine({
      hosts: 1,
      playbook: `
- hosts: all
  tasks:
    - name: a
      assert: { that: "1 == 1", success_msg: fine }
    - name: b
      assert: { that: ["true"], quiet: true }
`,
    });
    expect(outcome(r, 'a', 'h1')).toMatchObject({ status: 'ok', message: 'fine' });
    expect(outcome(r, 'b', 'h1').message).toBeUndefined();
  });

  it('fail always fails with its message; ignore_errors keeps going', async () => {
    const r = await runEngine({
      hosts: 1,
      playbook: `
- hosts: all
  tasks:
    - name: stop
      fail: { msg: "no {{ inventory_hostname }}" }
      ignore_errors: true
    - name: default
      fail: {}
`,
    });
    expect(outcome(r, 'stop', 'h1')).toMatchObject({ status: 'failed', msg: 'no h1', ignored: true });
    expect(outcome(r, 'default', 'h1')).toMatchObject({ status: 'failed', msg: 'Failed as requested from task' });
  });
});

describe('meta', () => {
  it('flush_handlers runs notified handlers at that point, then again at the end only if notified again', async () => {
    const r = await runEngine({
      hosts: 2,
      playbook: `
- hosts: all
  tasks:
    - { name: t1, probe: { id: t1, change: true }, notify: h }
    - meta: flush_handlers
    - { name: t2, probe: { id: t2 } }
    - { name: t3, probe: { id: t3, change: [h2] }, notify: h }
  handlers:
    - { name: h, probe: { id: H } }
`,
    });
    const order = r.log.filter((c) => c.phase === 'plan').map((c) => `${c.id}@${c.host}`);
    const firstH = order.indexOf('H@h1');
    expect(firstH).toBeGreaterThan(order.indexOf('t1@h2'));
    expect(firstH).toBeLessThan(order.indexOf('t2@h1'));
    expect(order.filter((x) => x.startsWith('H@'))).toEqual(['H@h1', 'H@h2', 'H@h2'].filter((x, i, a) => a.indexOf(x) === i || i === 2).sort((a, b) => order.indexOf(a) - order.indexOf(b)));
    expect(calls(r, 'H').map((c) => c.host).sort()).toEqual(['h1', 'h2', 'h2']);
    expect(calls(r, 'H').filter((c) => c.host === 'h2')[1].startTick).toBeGreaterThan(calls(r, 't3')[0].endTick);
  });

  it('flush_handlers works in the free strategy with forks 1', async () => {
    const r = await runEngine({
      hosts: 2,
      forks: 1,
      playbook: `
- hosts: all
  strategy: free
  tasks:
    - { name: t1, probe: { id: t1, change: true }, notify: h }
    - meta: flush_handlers
    - { name: t2, probe: { id: t2 } }
  handlers:
    - { name: h, probe: { id: H } }
`,
    });
    const order = r.log.filter((c) => c.phase === 'plan').map((c) => `${c.id}@${c.host}`);
    expect(order.indexOf('H@h1')).toBeLessThan(order.indexOf('t2@h1'));
    expect(calls(r, 'H')).toHaveLength(2);
  });

  it('end_host ends the play for that host only, not failed; the next play runs it again', async () => {
    const r = await runEngine({
      hosts: 2,
      playbook: `
- hosts: all
  tasks:
    - meta: end_host
      when: inventory_hostname == 'h1'
    - { name: t2, probe: { id: t2 } }
- hosts: all
  tasks:
    - { name: p2, probe: { id: p2 } }
`,
    });
    expect(calls(r, 't2').map((c) => c.host)).toEqual(['h2']);
    expect(calls(r, 'p2').map((c) => c.host).sort()).toEqual(['h1', 'h2']);
    expect(done(r, 't2').map((e) => e.host)).toEqual(['h2']);
    expect(r.counts.h1.failed).toBe(0);
    expect(r.exit).toBe(0);
  });

  it('end_play ends the play for every host, handlers included', async () => {
    const r = await runEngine({
      hosts: 2,
      playbook: `
- hosts: all
  tasks:
    - { name: t1, probe: { id: t1, change: true }, notify: h }
    - meta: end_play
      when: inventory_hostname == 'h1'
    - { name: t2, probe: { id: t2 } }
  handlers:
    - { name: h, probe: { id: H } }
- hosts: all
  tasks:
    - { name: p2, probe: { id: p2 } }
`,
    });
    expect(calls(r, 't2')).toEqual([]);
    expect(calls(r, 'H')).toEqual([]);
    expect(calls(r, 'p2')).toHaveLength(2);
  });

  it('other meta actions, and debug with both msg and var, are refused at load time with file:line:col', async () => {
    await expect(runEngine({ hosts: 1, playbook: '- hosts: all\n  tasks:\n    - meta: refresh_inventory\n' })).rejects.toThrow(
      /playbook\.yml:3:13: tasks\[0\]\.meta\.free_form: expected 'flush_handlers', 'end_play', 'end_host', 'clear_host_errors' or 'noop', found 'refresh_inventory'/,
    );
    await expect(runEngine({ hosts: 1, playbook: '- hosts: all\n  tasks:\n    - debug: { msg: a, var: b }\n' })).rejects.toThrow(/playbook\.yml:3:7: tasks\[0\]\.debug: not allowed: msg together with var/);
  });

  it('clear_host_errors lets a failed host run the next tasks', async () => {
    const r = await runEngine({
      hosts: 2,
      playbook: `
- hosts: all
  tasks:
    - { name: t1, probe: { id: t1, fail: [h1] } }
    - { name: t2, probe: { id: t2 } }
    - meta: clear_host_errors
    - { name: t3, probe: { id: t3 } }
`,
    });
    expect(calls(r, 't2').map((c) => c.host)).toEqual(['h2']);
    expect(calls(r, 't3').map((c) => c.host).sort()).toEqual(['h1', 'h2']);
  });
});

describe('include_vars', () => {
  it('loads a file next to the playbook, at include_vars precedence, nested under name', async () => {
    const r = await runEngine({
      hosts: 1,
      files: { 'site.yml': 'port: 8080\nlevel: included\nurl: "http://x:{{ port }}"\n', 'vars/limits.yml': 'max: 5\n' },
      playbook: `
- hosts: all
  vars: { level: play }
  tasks:
    - include_vars: site.yml
    - include_vars: { file: limits.yml, name: limits }
    - name: see
      probe: { id: see, echo: ["{{ level }}", "{{ url }}", "{{ limits.max }}"] }
    - set_fact: { level: fact }
    - include_vars: site.yml
    - name: fact wins
      probe: { id: win, echo: "{{ level }}" }
`,
    });
    expect(outcome(r, 'see', 'h1').result.echo).toEqual(['included', 'http://x:8080', 5]);
    expect(outcome(r, 'fact wins', 'h1').result.echo).toBe('fact');
  });

  it('a missing file is refused before any host is touched, at file:line:col', async () => {
    await expect(
      runEngine({
        hosts: 1,
        playbook: `
- hosts: all
  tasks:
    - include_vars: { file: nope.yml }
`,
      }),
    ).rejects.toThrow(/playbook\.yml:4:23: .*include_vars nope\.yml: file not found/);
  });

  it('a templated file is read when the task runs', async () => {
    const r = await runEngine({
      hosts: 1,
      files: { 'vars/h1.yml': 'greeting: hi\n' },
      playbook: `
- hosts: all
  tasks:
    - include_vars: { file: "{{ inventory_hostname }}.yml", name: own }
    - name: see
      probe: { id: see, echo: "{{ own.greeting }}" }
`,
    });
    expect(outcome(r, 'see', 'h1').result.echo).toBe('hi');
  });

  it('is read from the role vars/ first in a role', async () => {
    const r = await runEngine({
      hosts: 1,
      files: {
        'roles/web/tasks/main.yml': '- include_vars: extra.yml\n- name: see\n  probe: { id: see, echo: "{{ where }}" }\n',
        'roles/web/vars/extra.yml': 'where: role\n',
        'extra.yml': 'where: playbook\n',
      },
      playbook: `
- hosts: all
  roles: [web]
`,
    });
    expect(outcome(r, 'see', 'h1').result.echo).toBe('role');
  });
});

describe('rollouts', () => {
  it('a rollout plan does not list controller-side tasks as impossible to undo', async () => {
    const r = await runEngine({
      hosts: 2,
      check: true,
      playbook: `
- hosts: all
  rollout: { batch: 1 }
  tasks:
    - set_fact: { x: 1 }
    - name: say
      debug: { msg: hi }
    - name: run
      command: /bin/true
`,
    });
    expect(eventsOf(r, 'rollout:plan').map((e) => e.notUndoable)).toEqual([['run (command)']]);
  });
});
