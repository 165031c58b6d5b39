import { describe, expect, it } from 'vitest';
import { CENSORED } from '../../../src/executor/task.js';
import { calls, done, outcome, plannedOn, registered, runEngine, statuses } from '../../support/engine-harness.js';

describe('when', () => {
  it('skips the hosts where the condition is false, and every condition of a list must hold', async () => {
    const r = await runEngine({
      hosts: 3,
      playbook: `
- hosts: all
  vars: { wanted: [h1, h2] }
  tasks:
    - name: one
      probe: { id: one }
      when: inventory_hostname == 'h1'
    - name: listed
      probe: { id: listed }
      when:
        - inventory_hostname in wanted
        - inventory_hostname != 'h1'
`,
    });
    expect(statuses(r, 'one')).toEqual({ h1: 'ok', h2: 'skipped', h3: 'skipped' });
    expect(plannedOn(r, 'one')).toEqual(['h1']);
    expect(plannedOn(r, 'listed')).toEqual(['h2']);
    expect(outcome(r, 'one', 'h2')).toMatchObject({
      status: 'skipped',
      msg: 'conditional result was false',
      result: { skipped: true, skip_reason: 'conditional result was false' },
    });
    expect(r.counts.h3).toMatchObject({ ok: 0, skipped: 2 });
    expect(r.exit).toBe(0);
  });
});

describe('loop and register', () => {
  it('loops over a list variable and registers { results: [...] }', async () => {
    const r = await runEngine({
      hosts: 1,
      playbook: `
- hosts: all
  vars:
    servers:
      - { name: alpha, change: false }
      - { name: beta, change: true }
      - { name: gamma, change: false }
  tasks:
    - name: each
      probe: { id: "each-{{ item.name }}", change: "{{ item.change }}" }
      loop: "{{ servers }}"
      register: out
      when: item.name != 'gamma'
    - name: use
      probe: { id: use, echo: "{{ out.results }}" }
`,
    });
    expect(r.log.filter((c) => c.phase === 'plan').map((c) => c.id)).toEqual(['each-alpha', 'each-beta', 'use']);
    const o = outcome(r, 'each', 'h1');
    expect(o.status).toBe('changed');
    expect(o.items!.map((i) => [i.item, i.status])).toEqual([
      [{ name: 'alpha', change: false }, 'ok'],
      [{ name: 'beta', change: true }, 'changed'],
      [{ name: 'gamma', change: false }, 'skipped'],
    ]);
    const results = (registered(r, 'h1', 'out') as { results: Record<string, unknown>[] }).results;
    expect(results.map((x) => [x.item, x.changed, x.skipped])).toEqual([
      [{ name: 'alpha', change: false }, false, false],
      [{ name: 'beta', change: true }, true, false],
      [{ name: 'gamma', change: false }, false, true],
    ]);
    expect(calls(r, 'use')[0].params.echo).toEqual(results);
    expect(r.counts.h1).toMatchObject({ ok: 1, changed: 1, skipped: 0 });
  });

  it('makes the registered result (changed, failed, skipped, module fields) visible to later tasks on the same host only', async () => {
    const r = await runEngine({
      hosts: 2,
      playbook: `
- hosts: all
  tasks:
    - name: first
      probe: { id: first, change: [h2], result: { version: "1.2" } }
      register: first_out
    - name: second
      probe: { id: second, echo: "{{ first_out.version }}/{{ first_out.changed }}/{{ first_out.failed }}/{{ first_out.skipped }}" }
    - name: only when changed
      probe: { id: third }
      when: first_out.changed
`,
    });
    expect(calls(r, 'second').map((c) => [c.host, c.params.echo])).toEqual([
      // Booleans inside text print as Ansible prints them.
      ['h1', '1.2/False/False/False'],
      ['h2', '1.2/True/False/False'],
    ]);
    expect(plannedOn(r, 'third')).toEqual(['h2']);
    expect(registered(r, 'h2', 'first_out')).toEqual({ version: '1.2', calls: 1, applied: true, changed: true, failed: false, skipped: false, msg: 'probe first' });
  });

  it('registers a skipped result for a task skipped by when', async () => {
    const r = await runEngine({
      hosts: 1,
      playbook: `
- hosts: all
  tasks:
    - { name: a, probe: { id: a }, when: false, register: ra }
    - { name: b, probe: { id: b }, when: ra.skipped }
`,
    });
    expect(registered(r, 'h1', 'ra')).toMatchObject({ skipped: true, changed: false, failed: false });
    expect(plannedOn(r, 'b')).toEqual(['h1']);
  });
});

describe('changed_when and failed_when', () => {
  it('changed_when overrides what the module said, and sees the result under the register name', async () => {
    const r = await runEngine({
      hosts: 1,
      playbook: `
- hosts: all
  tasks:
    - { name: never, probe: { id: never, change: true }, changed_when: false }
    - { name: always, probe: { id: always }, changed_when: true }
    - name: by result
      probe: { id: byres, result: { n: 3 } }
      register: res
      changed_when: res.n > 2
`,
    });
    expect(statuses(r, 'never')).toEqual({ h1: 'ok' });
    expect(statuses(r, 'always')).toEqual({ h1: 'changed' });
    expect(statuses(r, 'by result')).toEqual({ h1: 'changed' });
    // changed_when does not stop the apply: the module still ran its change.
    expect(calls(r, 'never', 'apply')).toHaveLength(1);
    expect(registered(r, 'h1', 'res')).toMatchObject({ changed: true, n: 3 });
  });

  it('failed_when marks failure from result fields; failed_when false clears a command failure', async () => {
    const r = await runEngine({
      hosts: 2,
      inventory: `all:\n  hosts:\n    h1: { ansible_connection: ssh, code: 3 }\n    h2: { ansible_connection: ssh, code: 0 }\n`,
      script: (host, t) => t.on('false', { exitCode: 1, stdout: 'nope\n' }),
      playbook: `
- hosts: all
  tasks:
    - name: judged
      probe: { id: judged, result: { rc: "{{ code }}" } }
      register: j
      failed_when: j.rc != 0
    - name: tolerated
      command: "false"
      register: c
      failed_when: false
    - name: after
      probe: { id: after, echo: "{{ c.rc }}:{{ c.stdout }}" }
`,
    });
    expect(statuses(r, 'judged')).toEqual({ h1: 'failed', h2: 'ok' });
    expect(outcome(r, 'judged', 'h1').msg).toBe('probe judged');
    expect(statuses(r, 'tolerated')).toEqual({ h2: 'changed' });
    expect(calls(r, 'after').map((c) => [c.host, c.params.echo])).toEqual([['h2', '1:nope']]);
    expect(r.exit).toBe(4);
  });
});

describe('until / retries / delay', () => {
  it('retries until the condition holds', async () => {
    const r = await runEngine({
      hosts: 1,
      playbook: `
- hosts: all
  tasks:
    - name: wait
      probe: { id: wait }
      register: w
      until: w.calls >= 3
      retries: 5
      delay: 0
`,
    });
    expect(calls(r, 'wait')).toHaveLength(3);
    expect(outcome(r, 'wait', 'h1').status).toBe('ok');
    expect(registered(r, 'h1', 'w')).toMatchObject({ calls: 3, failed: false });
  });

  it('fails after retries + 1 attempts', async () => {
    const r = await runEngine({
      hosts: 1,
      playbook: `
- hosts: all
  tasks:
    - name: wait
      probe: { id: wait }
      register: w
      until: w.calls > 100
      retries: 2
      delay: 0
    - { name: after, probe: { id: after } }
`,
    });
    expect(calls(r, 'wait')).toHaveLength(3);
    expect(outcome(r, 'wait', 'h1')).toMatchObject({ status: 'failed', msg: 'retries exhausted (3 attempts): until condition still false' });
    expect(calls(r, 'after')).toEqual([]);
    expect(r.exit).toBe(4);
  });
});

describe('run_once', () => {
  it('runs on the first host only and registers the result on every host', async () => {
    const r = await runEngine({
      hosts: 3,
      playbook: `
- hosts: all
  tasks:
    - name: once
      probe: { id: once, change: true, echo: "{{ inventory_hostname }}" }
      run_once: true
      register: o
    - name: use
      probe: { id: use, echo: "{{ o.echo }}" }
`,
    });
    expect(calls(r, 'once').map((c) => c.host)).toEqual(['h1']);
    expect(done(r, 'once').map((e) => e.host)).toEqual(['h1']);
    expect(calls(r, 'use').map((c) => [c.host, c.params.echo])).toEqual([
      ['h1', 'h1'],
      ['h2', 'h1'],
      ['h3', 'h1'],
    ]);
    for (const h of ['h2', 'h3']) expect(registered(r, h, 'o')).toEqual(registered(r, 'h1', 'o'));
    expect(r.counts.h1).toMatchObject({ changed: 1, ok: 1 });
    expect(r.counts.h2).toMatchObject({ changed: 0, ok: 1 });
  });

  it('under the free strategy too', async () => {
    const r = await runEngine({
      hosts: 3,
      playbook: `
- hosts: all
  strategy: free
  tasks:
    - { name: once, probe: { id: once, echo: "{{ inventory_hostname }}" }, run_once: true, register: o }
    - { name: use, probe: { id: use, echo: "{{ o.echo }}" } }
`,
    });
    expect(calls(r, 'once')).toHaveLength(1);
    const first = calls(r, 'once')[0].host;
    expect(calls(r, 'use').map((c) => c.params.echo)).toEqual([first, first, first]);
  });
});

describe('delegate_to', () => {
  it('acts through the delegated host\'s transport, with the task\'s own variables', async () => {
    const r = await runEngine({
      hosts: 3,
      playbook: `
- hosts: h1:h2
  tasks:
    - name: via h3
      probe: { id: via, echo: "{{ inventory_hostname }}" }
      delegate_to: h3
    - name: on controller
      command: "echo hi"
      delegate_to: localhost
`,
    });
    expect(calls(r, 'via').map((c) => [c.inventoryHostname, c.host, c.transport, c.params.echo])).toEqual([
      ['h1', 'h3', 'h3', 'h1'],
      ['h2', 'h3', 'h3', 'h2'],
    ]);
    expect(r.transportRequests.map((t) => t.host)).toEqual(['h3', 'h3', 'localhost', 'localhost']);
    expect(r.transportRequests[2].vars.ansible_connection).toBe('local');
    expect(r.transports.get('localhost')!.calls.map((c) => c.argv)).toEqual([['echo', 'hi'], ['echo', 'hi']]);
    expect(r.transports.has('h1')).toBe(false);
    expect(statuses(r, 'via h3')).toEqual({ h1: 'ok', h2: 'ok' });
  });
});

describe('tags, --skip-tags and --limit', () => {
  const playbook = `
- hosts: all
  tasks:
    - { name: a, probe: { id: a }, tags: [app] }
    - { name: b, probe: { id: b }, tags: db }
    - { name: c, probe: { id: c }, tags: [always] }
    - { name: d, probe: { id: d } }
    - { name: e, probe: { id: e }, tags: [never, debug] }
`;
  const ids = (r: Awaited<ReturnType<typeof runEngine>>) => [...new Set(r.log.map((c) => c.id))];

  it('runs every task but never-tagged ones by default', async () => {
    expect(ids(await runEngine({ hosts: 1, playbook }))).toEqual(['a', 'b', 'c', 'd']);
  });
  it('--tags selects, keeping always', async () => {
    expect(ids(await runEngine({ hosts: 1, playbook, tags: 'app' }))).toEqual(['a', 'c']);
    expect(ids(await runEngine({ hosts: 1, playbook, tags: 'db,debug' }))).toEqual(['b', 'c', 'e']);
  });
  it('--skip-tags removes', async () => {
    expect(ids(await runEngine({ hosts: 1, playbook, skipTags: 'app,always' }))).toEqual(['b', 'd']);
  });
  it('--tags and --skip-tags together', async () => {
    expect(ids(await runEngine({ hosts: 1, playbook, tags: 'app,db', skipTags: 'db' }))).toEqual(['a', 'c']);
  });

  it('--limit narrows every play to the matching hosts and touches no other', async () => {
    const r = await runEngine({
      hosts: 4,
      limit: 'h2:h4',
      playbook: `
- hosts: all
  tasks:
    - { name: a, probe: { id: a } }
- hosts: h1:h2:h3
  tasks:
    - { name: b, probe: { id: b } }
`,
    });
    expect(plannedOn(r, 'a')).toEqual(['h2', 'h4']);
    expect(plannedOn(r, 'b')).toEqual(['h2']);
    expect(Object.keys(r.counts).sort()).toEqual(['h2', 'h4']);
    expect([...r.transports.keys()].sort()).toEqual(['h2', 'h4']);
  });

  it('a play --limit leaves without hosts warns and runs nothing', async () => {
    const r = await runEngine({
      hosts: 3,
      limit: 'h3',
      playbook: `- name: p\n  hosts: h1\n  tasks:\n    - { name: a, probe: { id: a } }\n`,
    });
    expect(r.log).toEqual([]);
    expect(r.events.filter((e) => e.type === 'warning').map((e) => (e as { msg: string }).msg)).toEqual([
      `play "p": no hosts matched 'h1' with --limit 'h3'`,
    ]);
    expect(r.exit).toBe(0);
  });
});

describe('variable precedence', () => {
  const inventory = `
all:
  vars: { v: inv-all, w: inv-all, x: inv-all, y: inv-all, z: inv-all }
  hosts:
    h1: { ansible_connection: ssh, v: inv-host }
`;
  const playbook = `
- hosts: all
  vars: { v: play, w: play, x: play, y: play }
  vars_files: [vars.yml]
  tasks:
    - name: reg
      probe: { id: reg, result: { tag: registered } }
      register: y
    - name: show
      probe: { id: show, echo: "{{ v }}|{{ w }}|{{ x }}|{{ y.tag }}|{{ z }}" }
      vars: { x: task, w: task }
`;
  it('inventory < play vars < vars_files < task vars < registered', async () => {
    const r = await runEngine({ inventory, playbook, files: { 'vars.yml': 'w: vars-file\nv: vars-file\n' } });
    expect(calls(r, 'show')[0].params.echo).toBe('vars-file|task|task|registered|inv-all');
  });

  it('-e wins over everything', async () => {
    const r = await runEngine({
      inventory,
      playbook: playbook.replace('{{ y.tag }}', '{{ y }}'),
      files: { 'vars.yml': 'w: vars-file\nv: vars-file\n' },
      extraVars: ['v=extra w=extra', '{"x": "extra", "y": "extra", "z": "extra"}'],
    });
    expect(calls(r, 'show')[0].params.echo).toBe('extra|extra|extra|extra|extra');
  });

  it('task vars are rendered lazily and may refer to other variables', async () => {
    const r = await runEngine({
      hosts: 1,
      playbook: `
- hosts: all
  vars: { base: /srv, app: "{{ base }}/app" }
  tasks:
    - { name: t, probe: { id: t, echo: "{{ path }}" }, vars: { path: "{{ app }}/current" } }
`,
    });
    expect(calls(r, 't')[0].params.echo).toBe('/srv/app/current');
  });
});

describe('no_log', () => {
  it('censors results in task:done events and JSON output, but the registered value stays usable', async () => {
    const r = await runEngine({
      hosts: 1,
      playbook: `
- hosts: all
  tasks:
    - name: secret
      probe: { id: secret, change: true, result: { token: hunter2 } }
      register: s
      no_log: true
    - name: uses it
      probe: { id: uses }
      when: s.token == 'hunter2'
    - name: secret failure
      probe: { id: secretfail, result: { token: hunter2 }, fail: true }
      no_log: true
      ignore_errors: true
`,
    });
    const o = outcome(r, 'secret', 'h1');
    expect(o.status).toBe('changed');
    expect(o.result).toEqual({ censored: CENSORED });
    expect(o.msg).toBeUndefined();
    expect(o.diff).toBeUndefined();
    expect(o.changes).toEqual(['(hidden: no_log)']);
    expect(outcome(r, 'secret failure', 'h1')).toMatchObject({ status: 'failed', msg: CENSORED, result: { censored: CENSORED } });
    expect(registered(r, 'h1', 's')).toMatchObject({ token: 'hunter2', changed: true });
    expect(statuses(r, 'uses it')).toEqual({ h1: 'ok' });
    expect(r.json.join('\n')).not.toContain('hunter2');
    expect(JSON.stringify(r.events)).not.toContain('hunter2');
  });

  it('censors every loop item and the items themselves', async () => {
    const r = await runEngine({
      hosts: 1,
      playbook: `
- hosts: all
  tasks:
    - name: secrets
      probe: { id: "{{ item }}", echo: "{{ item }}" }
      loop: [pw-one, pw-two]
      no_log: true
`,
    });
    const o = outcome(r, 'secrets', 'h1');
    expect(o.items!.map((i) => [i.item, i.result])).toEqual([
      ['(hidden)', { censored: CENSORED }],
      ['(hidden)', { censored: CENSORED }],
    ]);
    expect(r.json.join('\n')).not.toMatch(/pw-one|pw-two/);
  });
});
