// Smoke test of the SSH test fleet itself (test/fleet/), through the OpenSSH
// client: if this fails, every other integration test will too.
import { execFile } from 'node:child_process';
import { describe, expect, inject, it } from 'vitest';
import { APP_IMAGES, sshArgs, type Fleet, type FleetHost } from '../fleet/fleet.mjs';

const fleet: Fleet = inject('fleet');

interface Result {
  code: number;
  stdout: string;
  stderr: string;
}

function ssh(host: FleetHost, command: string, user: string = fleet.user): Promise<Result> {
  return new Promise((resolve) => {
    execFile('ssh', [...sshArgs(fleet, host, { user }), command], { timeout: 30_000 }, (err, stdout, stderr) => {
      const code = err ? (typeof err.code === 'number' ? err.code : -1) : 0;
      resolve({ code, stdout, stderr });
    });
  });
}

async function ok(host: FleetHost, command: string, user?: string): Promise<string> {
  const r = await ssh(host, command, user);
  expect(r.code, `${host.name}: ${command}\n${r.stderr}`).toBe(0);
  return r.stdout;
}

describe('test fleet', () => {
  it('was provided by the global setup', () => {
    expect(fleet, 'no fleet: run with integration tests selected and without RUNBOOK_NO_FLEET').toBeTruthy();
    expect(fleet.hosts.length).toBeGreaterThanOrEqual(2);
    expect(fleet.user).toBe('root');
  });

  it('every host accepts root with strict host key checking', async () => {
    const names = await Promise.all(fleet.hosts.map((h) => ok(h, 'id -un; hostname')));
    names.forEach((out, i) => expect(out.split('\n').slice(0, 2)).toEqual(['root', fleet.hosts[i]!.name]));
  });

  it('the sudo user logs in with the same key and has passwordless sudo', async () => {
    const outs = await Promise.all(fleet.hosts.map((h) => ok(h, 'id -un; sudo -n true && sudo -n id -u', fleet.sudoUser)));
    for (const out of outs) expect(out.trim().split('\n')).toEqual([fleet.sudoUser, '0']);
  });

  it('hosts have nginx, python3, rsyslog running, and reach each other on the fleet network', async () => {
    const [first, second] = fleet.hosts as [FleetHost, FleetHost];
    await Promise.all(fleet.hosts.map((h) => ok(h, 'test -x /usr/sbin/nginx && command -v python3 >/dev/null && pgrep -x rsyslogd >/dev/null')));
    await ok(first, `timeout 5 bash -c '</dev/tcp/${second.address}/22' && getent hosts ${second.name} >/dev/null`);
  });

  it('each inner Docker engine has the app images', async () => {
    expect(fleet.withDocker).toBe(true);
    const outs = await Promise.all(fleet.hosts.map((h) => ok(h, "docker image ls --format '{{.Repository}}:{{.Tag}}'")));
    for (const out of outs) expect(out.split('\n')).toEqual(expect.arrayContaining(APP_IMAGES));
  });

  it('runbook-app:v1 serves its version inside a host', async () => {
    const host = fleet.hosts[0]!;
    const name = `fleet-smoke-${process.pid}`;
    try {
      // A free host port rather than 8080, which other tests may be using on this host.
      const port = (await ok(host, `docker run -d --init --name ${name} -p 127.0.0.1::80 runbook-app:v1 >/dev/null && docker port ${name} 80/tcp`))
        .trim().split('\n')[0]!.replace(/.*:/, '');
      expect(port).toMatch(/^\d+$/);
      const out = await ok(
        host,
        `for i in $(seq 50); do curl -fsS http://127.0.0.1:${port}/ 2>/dev/null && curl -fsS http://127.0.0.1:${port}/health && exit 0; sleep 0.1; done; exit 1`,
      );
      expect(out).toBe('v1\nok v1\n');
    } finally {
      await ssh(host, `docker rm -f ${name} >/dev/null 2>&1`);
    }
  });
});
