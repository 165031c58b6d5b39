import path from 'node:path';
import { describe, expect, inject, it } from 'vitest';
import { ssh } from '../fleet/fleet.mjs';
import { runbook, scratch } from '../support/cli.js';

/**
 * gather_facts: true runs "Gathering Facts" (the setup module) first on every host, in one
 * round trip, and later tasks read ansible_* facts; what it reports matches the host itself.
 */
const fleet = inject('fleet');

describe('gather_facts on the fleet', () => {
  const dir = scratch({
    'p.yml': `- hosts: fleet
  gather_facts: true
  tasks:
    - name: facts
      debug:
        msg: "{{ ansible_facts | to_json }}"
    - name: prefixed
      debug:
        msg: "{{ ansible_hostname }} {{ ansible_distribution }} {{ ansible_os_family }} {{ ansible_default_ipv4.address }}"
`,
  });
  const play = (...args: string[]) => runbook(['play', path.join(dir, 'p.yml'), '-i', fleet.inventoryPath, '--output', 'json', ...args], { cwd: dir });
  const message = (r: Awaited<ReturnType<typeof play>>, task: string, host: string): string =>
    r.events.find((e) => e.type === 'task:done' && e.task.name === task && e.host === host)?.outcome?.message;

  it('gives every host its own facts, first, as ok', async () => {
    const r = await play();
    expect(r.code, r.stderr).toBe(0);
    for (const h of fleet.hosts) {
      const done = r.events.filter((e) => e.type === 'task:done' && e.host === h.name);
      expect(done.map((e) => [e.task.name, e.outcome.status])).toEqual([
        ['Gathering Facts', 'ok'],
        ['facts', 'ok'],
        ['prefixed', 'ok'],
      ]);
      const facts = JSON.parse(message(r, 'facts', h.name)) as Record<string, any>;
      const truth = (await ssh(fleet, h.name, 'hostname -s; cat /etc/debian_version; uname -r; nproc; id -un')).stdout.trim().split('\n');
      expect(facts).toMatchObject({
        hostname: truth[0],
        distribution: 'Debian',
        distribution_version: truth[1],
        distribution_major_version: truth[1]!.split('.')[0],
        distribution_release: 'bookworm',
        os_family: 'Debian',
        kernel: truth[2],
        processor_vcpus: Number(truth[3]),
        user_id: truth[4],
        pkg_mgr: 'apt',
        virtualization_type: 'docker',
      });
      expect(facts.all_ipv4_addresses).toContain(h.address);
      expect(facts.all_ipv4_addresses).toContain(facts.default_ipv4.address);
      expect(facts.memtotal_mb).toBeGreaterThan(0);
      expect(message(r, 'prefixed', h.name)).toBe(`${truth[0]} Debian Debian ${facts.default_ipv4.address}`);
    }
  });

  it('gathers in check mode too, changing nothing', async () => {
    const r = await play('--check', '--detailed-exitcode');
    expect(r.code, r.stderr).toBe(0);
    for (const h of fleet.hosts) expect(message(r, 'prefixed', h.name)).toMatch(/ Debian Debian /);
  });

  it('without gather_facts a fact is an undefined variable, found before any host is touched', async () => {
    const d = scratch({ 'p.yml': '- hosts: fleet\n  tasks:\n    - debug: { msg: "{{ ansible_distribution }}" }\n' });
    const r = await runbook(['play', path.join(d, 'p.yml'), '-i', fleet.inventoryPath], { cwd: d });
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/p\.yml:3:\d+: undefined variable 'ansible_distribution'/);
  });
});
