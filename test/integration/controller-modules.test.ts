import path from 'node:path';
import { beforeAll, describe, expect, inject, it } from 'vitest';
import { ssh } from '../fleet/fleet.mjs';
import { runbook, scratch } from '../support/cli.js';

const fleet = inject('fleet');
const hosts = fleet.hosts.map((h) => h.name);
const sh = async (host: string, cmd: string) => (await ssh(fleet, host, cmd)).stdout.trim();

const SITE = `
- name: Controller-side modules
  hosts: fleet
  tasks:
    - name: Load the settings
      include_vars: settings.yml
    - name: Default role
      set_fact: { role_name: other }
    - name: Pick a role
      set_fact: { role_name: first }
      when: inventory_hostname == '${hosts[0]}'
    - name: Say it
      debug: { msg: "{{ inventory_hostname }} is {{ role_name }} on port {{ port }}" }
    - name: Only the first host
      copy: { dest: /srv/ctl/first, content: "{{ role_name }}\\n" }
      when: role_name == 'first'
    - name: Every host
      copy: { dest: /srv/ctl/role, content: "{{ role_name }}:{{ port }}\\n" }
    - name: Sane
      assert:
        that:
          - port > 0
          - role_name in ['first', 'other']
        quiet: true
`;

const HANDLERS = `
- hosts: fleet
  tasks:
    - name: Mark
      shell: echo task >> /srv/ctl/order
      notify: note
    - meta: flush_handlers
    - name: After the flush
      shell: echo after >> /srv/ctl/order
  handlers:
    - name: note
      shell: echo handler >> /srv/ctl/order
`;

const FAILING = `
- hosts: fleet
  vars: { port: 8080 }
  tasks:
    - name: Port range
      assert:
        that: [port < 1024]
        fail_msg: "port must be privileged"
    - name: Never reached
      file: { path: /srv/ctl/never, state: touch }
`;

const BLOCKS = `
- hosts: fleet
  tasks:
    - block:
        - name: Write the marker
          copy: { dest: /srv/ctl/block/marker, content: "in block\\n" }
        - name: Fails on the first host
          command: "false"
          when: inventory_hostname == '${hosts[0]}'
        - name: Rest of the block
          copy: { dest: /srv/ctl/block/rest, content: "rest\\n" }
      rescue:
        - name: Rescue
          copy: { dest: /srv/ctl/block/rescued, content: "{{ ansible_failed_task.name }}\\n" }
      always:
        - name: Always
          copy: { dest: /srv/ctl/block/always, content: "always\\n" }
    - name: After the block
      copy: { dest: /srv/ctl/block/after, content: "after\\n" }
`;

describe('controller-side modules on the fleet', () => {
  let dir: string;
  beforeAll(async () => {
    dir = scratch({ 'site.yml': SITE, 'settings.yml': 'port: 8080\n', 'handlers.yml': HANDLERS, 'failing.yml': FAILING, 'blocks.yml': BLOCKS });
    await Promise.all(hosts.map((h) => sh(h, 'rm -rf /srv/ctl && mkdir -p /srv/ctl/block')));
  });

  const play = (file: string, ...args: string[]) => runbook(['play', path.join(dir, file), '-i', fleet.inventoryPath, ...args]);
  const messages = (events: Array<Record<string, any>>, task: string) =>
    Object.fromEntries(events.filter((e) => e.type === 'task:done' && e.task.name === task).map((e) => [e.host, e.outcome.message]));

  it('check mode: facts and debug output, and nothing on the hosts changes', async () => {
    const r = await play('site.yml', '--check', '--output', 'json');
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(messages(r.events, 'Say it')).toEqual(Object.fromEntries(hosts.map((h, i) => [h, `${h} is ${i === 0 ? 'first' : 'other'} on port 8080`])));
    for (const h of hosts) expect(await sh(h, 'find /srv/ctl -type f')).toBe('');
  });

  it('applies: set_fact drives when; a second run is ok', async () => {
    const r = await play('site.yml');
    expect(r.code).toBe(0);
    expect(r.stdout).toContain(`${hosts[0]} is first on port 8080`);
    for (const h of hosts) expect(r.stdout).toMatch(new RegExp(`changed +${h}  Every host`));
    expect(r.stdout).toMatch(new RegExp(`ok +${hosts[0]}  Pick a role`));
    expect(await sh(hosts[0], 'cat /srv/ctl/first /srv/ctl/role')).toBe('first\nfirst:8080');
    expect(await sh(hosts[1], 'test -e /srv/ctl/first && echo yes || echo no; cat /srv/ctl/role')).toBe('no\nother:8080');
    const again = await play('site.yml', '--output', 'json');
    expect(again.code).toBe(0);
    for (const h of hosts) expect(again.summary!.hosts[h].changed).toBe(0);
  });

  it('meta flush_handlers runs the handler before the next task', async () => {
    const r = await play('handlers.yml');
    expect(r.code).toBe(0);
    for (const h of hosts) expect(await sh(h, 'cat /srv/ctl/order')).toBe('task\nhandler\nafter');
  });

  it('a failing assert fails the host (exit 4) naming the condition, and stops its tasks', async () => {
    const r = await play('failing.yml');
    expect(r.code).toBe(4);
    expect(r.stdout).toContain('port must be privileged (assertion failed: port < 1024)');
    for (const h of hosts) expect(await sh(h, 'test -e /srv/ctl/never && echo yes || echo no')).toBe('no');
  });

  it('block/rescue/always: the rescued host goes on, always runs everywhere; check mode first changes nothing', async () => {
    const check = await play('blocks.yml', '--check');
    expect(check.stderr).toBe('');
    expect(check.code).toBe(0);
    for (const h of hosts) expect(await sh(h, 'ls -A /srv/ctl/block')).toBe('');
    const r = await play('blocks.yml');
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(new RegExp(`rescued +${hosts[0]}  Fails on the first host`));
    const files = (h: string) => sh(h, 'cd /srv/ctl/block && ls');
    expect(await files(hosts[0])).toBe('after\nalways\nmarker\nrescued');
    expect(await sh(hosts[0], 'cat /srv/ctl/block/rescued')).toBe('Fails on the first host');
    for (const h of hosts.slice(1)) expect(await files(h)).toBe('after\nalways\nmarker\nrest');
  });
});
