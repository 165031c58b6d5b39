// Many inventory hosts behind few sshd: 60 inventory names share the sshd of two fleet hosts
// (same address and port, distinct names), run with forks 60, and none is unreachable.
// Handshakes are paced per sshd endpoint: 60 logins to one sshd at once all succeed, (almost)
// none needing the retry a handshake dropped by sshd's stock MaxStartups 10 gets.
import { randomBytes } from 'node:crypto';
import path from 'node:path';
import { afterAll, describe, expect, inject, it } from 'vitest';
import { ssh, type FleetHost } from '../fleet/fleet.mjs';
import { runbook, scratch } from '../support/cli.js';
import { connectionSpecFromVars } from '../../src/transport/connection-spec.js';
import { SshTransport } from '../../src/transport/ssh.js';

const fleet = inject('fleet');
const [h1, h2] = fleet.hosts as [FleetHost, FleetHost];
const dir = `/tmp/rb-scale-${randomBytes(3).toString('hex')}`;
const N = 60;
const names = Array.from({ length: N }, (_, i) => `n${String(i).padStart(2, '0')}`);
const behind = (i: number) => (i % 2 === 0 ? h1 : h2);

const work = scratch({
  'inv.yml': `all:
  vars:
    ansible_user: root
    ansible_ssh_private_key_file: "${fleet.keyPath}"
    ansible_ssh_common_args: "-o UserKnownHostsFile=${fleet.knownHostsPath} -o StrictHostKeyChecking=yes"
  hosts:
${names.map((n, i) => `    ${n}: { ansible_host: 127.0.0.1, ansible_port: ${behind(i).port} }`).join('\n')}
`,
  'play.yml': `- hosts: all
  gather_facts: false
  tasks:
    - name: who
      command: id -un
    - name: marker
      copy:
        dest: "${dir}/{{ inventory_hostname }}"
        content: "{{ inventory_hostname }}\\n"
`,
});

afterAll(async () => {
  await Promise.all([h1, h2].map((h) => ssh(fleet, h.name, `rm -rf ${dir}`)));
});

describe('60 inventory hosts behind two sshd, forks 60', () => {
  it('every host connects and runs both tasks: none unreachable', { timeout: 180_000 }, async () => {
    await Promise.all([h1, h2].map((h) => ssh(fleet, h.name, `mkdir -p ${dir}`)));
    const r = await runbook(['play', path.join(work, 'play.yml'), '-i', path.join(work, 'inv.yml'), '-f', String(N), '--output', 'json'], { timeoutMs: 170_000 });
    const unreachable = r.events.filter((e) => e.type === 'host:unreachable').map((e) => `${e.host}: ${e.msg}`);
    expect(unreachable).toEqual([]);
    expect(r.code, r.stderr).toBe(0);
    expect(Object.keys(r.summary!.hosts).sort()).toEqual(names);
    for (const n of names) expect(r.summary!.hosts[n], n).toMatchObject({ changed: 2, failed: 0, unreachable: 0 });

    // Each name wrote its marker on the sshd it stands for.
    for (const h of [h1, h2]) {
      const files = (await ssh(fleet, h.name, `cd ${dir} && ls`)).stdout.trim().split('\n').sort();
      expect(files).toEqual(names.filter((_, i) => behind(i) === h));
    }
  });
});

describe('handshakes to one sshd are paced', () => {
  it('60 transports to the same sshd, connected at once, all log in, almost none retried', { timeout: 120_000 }, async () => {
    const transports = names.map(
      (n) =>
        new SshTransport(
          connectionSpecFromVars(n, {
            ansible_host: '127.0.0.1',
            ansible_port: h1.port,
            ansible_user: fleet.user,
            ansible_ssh_private_key_file: fleet.keyPath,
            ansible_ssh_common_args: `-o UserKnownHostsFile=${fleet.knownHostsPath} -o StrictHostKeyChecking=yes`,
          }),
          { sshConfigFile: false },
        ),
    );
    try {
      const results = await Promise.allSettled(transports.map((t) => t.connect()));
      const failed = results.flatMap((r, i) => (r.status === 'rejected' ? [`${names[i]}: ${String((r.reason as Error).message)}`] : []));
      expect(failed).toEqual([]);
      // Unpaced, about a third of these handshakes are dropped by MaxStartups on this machine
      // and only the retries save them; paced, sshd (whose count of logins in progress may lag
      // a moment behind) drops at most a rare one.
      const retries = transports.reduce((n, t) => n + t.stats().handshakeRetries, 0);
      expect(retries).toBeLessThanOrEqual(3);
    } finally {
      await Promise.all(transports.map((t) => t.close()));
    }
  });
});
