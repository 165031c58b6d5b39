import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { beforeAll, describe, expect, inject, it } from 'vitest';
import { ssh } from '../fleet/fleet.mjs';
import { REPO, runbook, scratch } from '../support/cli.js';

const fleet = inject('fleet');
const web = ['h1', 'h2', 'h3'];
const sh = async (host: string, cmd: string) => (await ssh(fleet, host, cmd)).stdout.trim();

const SITE = `
- name: End to end
  hosts: web
  vars:
    root: /srv/e2e
    names: [a, b, c]
  tasks:
    - name: Root folder
      file: { path: "{{ root }}", state: directory, mode: "0755" }
    - name: One file per name
      copy: { dest: "{{ root }}/{{ item }}.txt", content: "{{ item }} on {{ inventory_hostname }}\\n" }
      loop: "{{ names }}"
      notify: count runs
    - name: Read a back
      command: cat {{ root }}/a.txt
      register: a_file
      changed_when: false
    - name: Only where a mentions h1
      copy: { dest: "{{ root }}/h1-only", content: "{{ a_file.stdout }}" }
      when: "'h1' in a_file.stdout"
    - name: Skipped unless asked
      copy: { dest: "{{ root }}/extra", content: "extra" }
      tags: [extra]
  handlers:
    - name: count runs
      shell: echo ran >> /srv/e2e/handler-runs
`;

describe('runbook play on the fleet', () => {
  let dir: string;
  beforeAll(async () => {
    dir = scratch({ 'site.yml': SITE });
    await Promise.all(web.map((h) => sh(h, 'rm -rf /srv/e2e /srv/e2e-fail')));
  });

  it('converges: loops, conditions, registered results, handlers and tags', async () => {
    const r = await runbook(['play', path.join(dir, 'site.yml'), '-i', fleet.inventoryPath, '--skip-tags', 'extra', '--output', 'json']);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    for (const h of web) {
      expect(await sh(h, 'cat /srv/e2e/a.txt /srv/e2e/c.txt')).toBe(`a on ${h}\nc on ${h}`);
      expect(await sh(h, 'cat /srv/e2e/handler-runs')).toBe('ran');
      expect(await sh(h, 'test -e /srv/e2e/extra && echo yes || echo no')).toBe('no');
    }
    expect(await sh('h1', 'cat /srv/e2e/h1-only')).toBe('a on h1');
    expect(await sh('h2', 'test -e /srv/e2e/h1-only && echo yes || echo no')).toBe('no');
    // h1: dir + loop + h1-only + handler changed; command ok. Others skip the h1-only task.
    expect(r.summary!.hosts.h1).toEqual({ ok: 1, changed: 4, failed: 0, unreachable: 0, skipped: 0 });
    expect(r.summary!.hosts.h2).toEqual({ ok: 1, changed: 3, failed: 0, unreachable: 0, skipped: 1 });
    expect(r.summary!.exit).toBe(0);
  });

  it('changes nothing on the second run', async () => {
    const r = await runbook(['play', path.join(dir, 'site.yml'), '-i', fleet.inventoryPath, '--skip-tags', 'extra', '--output', 'json', '--detailed-exitcode']);
    expect(r.code).toBe(0);
    for (const h of web) expect(r.summary!.hosts[h].changed).toBe(0);
    expect(await sh('h1', 'cat /srv/e2e/handler-runs')).toBe('ran'); // handler not notified again
  });

  it('runs only the tagged task with --tags, and reports it with --detailed-exitcode', async () => {
    const r = await runbook(['play', path.join(dir, 'site.yml'), '-i', fleet.inventoryPath, '--tags', 'extra', '--output', 'json', '--detailed-exitcode', '--limit', 'h2']);
    expect(r.code).toBe(2);
    expect(Object.keys(r.summary!.hosts)).toEqual(['h2']);
    expect(r.summary!.hosts.h2).toEqual({ ok: 0, changed: 1, failed: 0, unreachable: 0, skipped: 0 });
    expect(await sh('h2', 'cat /srv/e2e/extra')).toBe('extra');
  });

  it('prints plain lines and a recap when not in a terminal', async () => {
    const r = await runbook(['play', path.join(dir, 'site.yml'), '-i', fleet.inventoryPath, '--skip-tags', 'extra', '--limit', 'h1']);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/^ok\s+h1\s+Root folder/m);
    expect(r.stdout).toMatch(/^RECAP$/m);
    expect(r.stdout).toMatch(/^h1\s+4\s+0\s+0\s+0\s+0\s+\S+$/m);
  });

  it('writes a JSON report with per-task statuses and diffs', async () => {
    await sh('h3', 'echo tampered > /srv/e2e/b.txt');
    const report = path.join(dir, 'report.json');
    const r = await runbook(['play', path.join(dir, 'site.yml'), '-i', fleet.inventoryPath, '--skip-tags', 'extra', '--limit', 'h3', '--diff', '--check', '--report', report, '--output', 'json']);
    expect(r.code).toBe(0);
    const json = JSON.parse(readFileSync(report, 'utf8'));
    expect(json.hosts.h3.status).toBe('changed');
    const loop = json.hosts.h3.tasks.find((t: any) => t.name === 'One file per name');
    expect(loop.status).toBe('changed');
    expect(loop.diff[0].before).toBe('tampered\n');
    expect(loop.diff[0].after).toBe('b on h3\n');
    expect(await sh('h3', 'cat /srv/e2e/b.txt')).toBe('tampered'); // check mode changed nothing
  });

  it('restores drifted files and leaves nothing behind on the host', async () => {
    const leftovers = () => sh('h3', 'ls -d /var/tmp/runbook-* /srv/e2e/.runbook* 2>/dev/null | sort');
    const before = await leftovers();
    await sh('h3', 'echo tampered > /srv/e2e/b.txt');
    const r = await runbook(['play', path.join(dir, 'site.yml'), '-i', fleet.inventoryPath, '--skip-tags', 'extra', '--limit', 'h3', '--output', 'json']);
    expect(r.code).toBe(0);
    expect(r.summary!.hosts.h3.changed).toBeGreaterThan(0);
    expect(await sh('h3', 'cat /srv/e2e/b.txt')).toBe('b on h3');
    expect(await leftovers()).toBe(before);
  });

  it('exits 4 when a host fails, while the other hosts finish', async () => {
    const d = scratch({
      'fail.yml': `
- hosts: web
  tasks:
    - name: Fails on h2
      command: "false"
      when: inventory_hostname == 'h2'
    - name: Marker
      file: { path: /srv/e2e-fail, state: touch }
`,
    });
    const r = await runbook(['play', path.join(d, 'fail.yml'), '-i', fleet.inventoryPath, '--output', 'json']);
    expect(r.code).toBe(4);
    expect(r.summary!.hosts.h2.failed).toBe(1);
    expect(await sh('h1', 'test -e /srv/e2e-fail && echo yes')).toBe('yes');
    expect(await sh('h3', 'test -e /srv/e2e-fail && echo yes')).toBe('yes');
    expect(await sh('h2', 'test -e /srv/e2e-fail && echo yes || echo no')).toBe('no');
  });

  it('refuses a host whose key is not in known_hosts: unreachable, fingerprint and file named', async () => {
    const d = scratch({ known_hosts: '' });
    const inv = readFileSync(fleet.inventoryPath, 'utf8').replace(fleet.knownHostsPath, path.join(d, 'known_hosts'));
    const p = scratch({ 'inv.yml': inv, 'p.yml': '- hosts: h1\n  tasks:\n    - file: { path: /srv/e2e-hostkey, state: touch }\n' });
    const r = await runbook(['play', path.join(p, 'p.yml'), '-i', path.join(p, 'inv.yml')]);
    expect(r.code).toBe(8);
    expect(r.stdout).toMatch(/SHA256:[A-Za-z0-9+/]{43}/);
    expect(r.stdout).toContain(path.join(d, 'known_hosts'));
    expect(await sh('h1', 'test -e /srv/e2e-hostkey && echo yes || echo no')).toBe('no');
  });

  it('exits 8 when a host is unreachable, naming it', async () => {
    const inv = readFileSync(fleet.inventoryPath, 'utf8').replace(
      /(\n    lb:\n      hosts:\n)/,
      '\n    ghost:\n      hosts:\n        ghost1: { ansible_host: 127.0.0.1, ansible_port: 1 }$1',
    );
    const d = scratch({ 'inv.yml': inv, 'p.yml': '- hosts: ghost:h1\n  tasks:\n    - command: "true"\n' });
    const r = await runbook(['play', path.join(d, 'p.yml'), '-i', path.join(d, 'inv.yml')]);
    expect(r.code).toBe(8);
    expect(r.stdout).toMatch(/unreachable\s+ghost1/);
    expect(r.stdout).toMatch(/ECONNREFUSED|refused/i);
  });
});

describe('interrupts', () => {
  it('SIGINT lets in-flight tasks finish, starts nothing new, prints the recap and exits 130', async () => {
    await sh('h1', 'rm -f /srv/int-first /srv/int-second');
    const d = scratch({
      'slow.yml': `
- hosts: h1
  tasks:
    - name: First
      shell: sleep 2 && touch /srv/int-first
    - name: Second
      file: { path: /srv/int-second, state: touch }
`,
    });
    const child = spawn(process.execPath, [path.join(REPO, 'bin/runbook.js'), 'play', path.join(d, 'slow.yml'), '-i', fleet.inventoryPath], {
      env: { ...process.env, NO_COLOR: '1' },
    });
    let out = '';
    child.stdout.on('data', (b) => (out += b));
    child.stderr.on('data', (b) => (out += b));
    // Wait until the first task is running, then interrupt.
    await new Promise<void>((resolve) => {
      const t = setInterval(() => {
        if (out.includes('PLAY')) {
          clearInterval(t);
          setTimeout(resolve, 700);
        }
      }, 50);
    });
    child.kill('SIGINT');
    const code = await new Promise<number | null>((resolve) => child.on('close', resolve));
    expect(code).toBe(130);
    expect(out).toMatch(/^changed\s+h1\s+First/m);
    expect(out).toMatch(/RECAP/);
    expect(await sh('h1', 'test -e /srv/int-first && echo yes')).toBe('yes');
    expect(await sh('h1', 'test -e /srv/int-second && echo yes || echo no')).toBe('no');
  });
});

describe('bad input exits 1 with file:line:col and touches no host', () => {
  const marker = '/srv/e2e-never';
  const cases: Record<string, { body: string; expect: RegExp }> = {
    'malformed YAML': {
      body: `- hosts: web\n  tasks:\n    - file: { path: ${marker}, state: touch }\n    - name: broken\n      command: [unclosed\n`,
      expect: /bad\.yml:\d+:\d+/,
    },
    'a schema violation': {
      body: `- hosts: web\n  tasks:\n    - file: { path: ${marker}, state: touch }\n    - name: wrong\n      ignore_errors: [1]\n      command: "true"\n`,
      expect: /bad\.yml:5:\d+/,
    },
    'an unknown module': {
      body: `- hosts: web\n  tasks:\n    - file: { path: ${marker}, state: touch }\n    - cpy: { dest: /tmp/x, content: x }\n`,
      expect: /bad\.yml:4:\d+.*did you mean 'copy'/s,
    },
    'an undefined variable': {
      body: `- hosts: web\n  tasks:\n    - file: { path: ${marker}, state: touch }\n    - copy: { dest: /tmp/x, content: "{{ no_such_var }}" }\n`,
      expect: /bad\.yml:4:\d+.*no_such_var/s,
    },
  };
  for (const [name, c] of Object.entries(cases)) {
    it(name, async () => {
      const d = scratch({ 'bad.yml': c.body });
      const r = await runbook(['play', path.join(d, 'bad.yml'), '-i', fleet.inventoryPath]);
      expect(r.code).toBe(1);
      expect(r.stderr).toMatch(c.expect);
      expect(await sh('h1', `test -e ${marker} && echo yes || echo no`)).toBe('no');
    });
  }
});
