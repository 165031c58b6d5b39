// Faults injected into real runs of the CLI on the fleet: a host's connection lost mid-run, sshd
// killed on a host mid-run, a host that accepts TCP and never answers, a connection dropped
// during an upload, and a full disk on the target during a copy. Connection faults go through a
// TCP proxy in front of h2's sshd, or a private second sshd on h3, so other test files sharing
// the fleet are not disturbed.
import { randomBytes } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import { spawn } from 'node:child_process';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { ssh, type FleetHost } from '../fleet/fleet.mjs';
import { REPO, scratch, type CliResult } from '../support/cli.js';
import { startTcpProxy, type TcpProxy } from '../support/tcp-proxy.js';

const fleet = inject('fleet');
const [h1, h2, h3] = fleet.hosts as [FleetHost, FleetHost, FleetHost];
const root = `/srv/faults-${randomBytes(3).toString('hex')}`;
const sh = async (host: string, cmd: string) => (await ssh(fleet, host, cmd)).stdout.trim();

/** Three tasks on group `three`: First and Last leave `<prefix>-first` / `-last` under root; Slow sleeps 2 s. */
const firstSlowLast = (prefix: string) => `- hosts: three
  tasks:
    - name: First
      copy: { dest: "${root}/${prefix}-first", content: "1\\n" }
    - name: Slow
      shell: sleep 2
    - name: Last
      copy: { dest: "${root}/${prefix}-last", content: "3\\n" }
`;

/** Where the run reaches a host, when not at the fleet's own 127.0.0.1:port. */
type Moved = { host: FleetHost; address: string; port: number };

/**
 * An inventory of group `three` (h1, h2, h3), each at its fleet port unless `moved`, with each
 * moved host's key known at its new address.
 */
function inventoryOf(dir: string, moved: Moved, extraVars = ''): string {
  const known = readFileSync(fleet.knownHostsPath, 'utf8');
  const line = known.split('\n').find((l) => l.startsWith(`[127.0.0.1]:${moved.host.port} `))!;
  const knownFile = path.join(dir, 'known_hosts');
  writeFileSync(knownFile, `${known.trimEnd()}\n${line.replace(`[127.0.0.1]:${moved.host.port} `, `[${moved.address}]:${moved.port} `)}\n`);
  const host = (h: FleetHost) => {
    const at = h === moved.host ? moved : { address: '127.0.0.1', port: h.port };
    return `        ${h.name}: { ansible_host: ${at.address}, ansible_port: ${at.port} }\n`;
  };
  const inv = path.join(dir, 'inv.yml');
  writeFileSync(
    inv,
    `all:
  vars:
    ansible_user: root
    ansible_ssh_private_key_file: "${fleet.keyPath}"
    ansible_ssh_common_args: "-o UserKnownHostsFile=${knownFile} -o StrictHostKeyChecking=yes"
${extraVars}  children:
    three:
      hosts:
${host(h1)}${host(h2)}${host(h3)}`,
  );
  return inv;
}

/** h1, h3 direct and h2 behind `proxy`. */
const inventoryWith = (proxy: TcpProxy, dir: string, extraVars = '') => inventoryOf(dir, { host: h2, address: '127.0.0.1', port: proxy.port }, extraVars);

/** Run the CLI with JSON events; `onEvent` sees each event as it arrives. */
function play(args: string[], onEvent: (e: Record<string, any>) => void = () => {}): Promise<CliResult & { ms: number }> {
  const started = Date.now();
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [path.join(REPO, 'bin/runbook.js'), 'play', ...args, '--output', 'json'], {
      env: { ...process.env, NO_COLOR: '1' },
    });
    let stdout = '';
    let stderr = '';
    let pending = '';
    const events: Array<Record<string, any>> = [];
    child.stdout.on('data', (b: Buffer) => {
      stdout += b;
      pending += b;
      const lines = pending.split('\n');
      pending = lines.pop()!;
      for (const line of lines) {
        if (!line.startsWith('{')) continue;
        const e = JSON.parse(line);
        events.push(e);
        onEvent(e);
      }
    });
    child.stderr.on('data', (b: Buffer) => (stderr += b));
    const killer = setTimeout(() => child.kill('SIGKILL'), 90_000);
    child.on('close', (code) => {
      clearTimeout(killer);
      const summary = events.find((e) => e.type === 'summary') as CliResult['summary'];
      resolve({ code: code ?? -1, stdout, stderr, events, summary, ms: Date.now() - started });
    });
  });
}

const done = (r: CliResult, host: string) => r.events.filter((e) => e.type === 'task:done' && e.host === host).map((e) => e.task.name);

const proxies: TcpProxy[] = [];
async function proxy(mode: 'forward' | 'blackhole' = 'forward'): Promise<TcpProxy> {
  const p = await startTcpProxy(h2.port, mode);
  proxies.push(p);
  return p;
}

beforeAll(async () => {
  await Promise.all([h1, h2, h3].map((h) => sh(h.name, `rm -rf ${root} && mkdir -p ${root}`)));
});
afterAll(async () => {
  await Promise.all(proxies.map((p) => p.close()));
  await sh(h1.name, `umount ${root}/small 2>/dev/null; true`);
  await Promise.all([h1, h2, h3].map((h) => sh(h.name, `rm -rf ${root}`)));
});

describe('faults during a run', () => {
  it('a host lost mid-run is unreachable; the others finish every task; exit 8, no hang', async () => {
    const p = await proxy();
    const dir = scratch({ 'p.yml': firstSlowLast('lost') });
    const inv = inventoryWith(p, dir);
    const r = await play([path.join(dir, 'p.yml'), '-i', inv], (e) => {
      // sshd goes away while h2 runs the slow task: its connection dies, new ones are refused.
      if (e.type === 'task:start' && e.host === 'h2' && e.task.name === 'Slow') setTimeout(() => p.cut(), 300);
    });
    expect(r.code).toBe(8);
    expect(r.summary!.hosts.h2!.unreachable).toBe(1);
    for (const h of ['h1', 'h3']) {
      expect(done(r, h)).toEqual(['First', 'Slow', 'Last']);
      expect(await sh(h, `cat ${root}/lost-last`)).toBe('3');
    }
    // h2 finished First; Slow ends unreachable; Last never starts there.
    expect(done(r, 'h2')).toEqual(['First', 'Slow']);
    const slow = r.events.find((e) => e.type === 'task:done' && e.host === 'h2' && e.task.name === 'Slow');
    expect(slow?.outcome?.status).toBe('unreachable');
    expect(await sh('h2', `test -e ${root}/lost-last && echo yes || echo no`)).toBe('no');
    const lost = r.events.find((e) => e.type === 'host:unreachable' && e.host === 'h2');
    expect(lost?.task?.name).toBe('Slow');
    expect(r.ms).toBeLessThan(60_000);
  });

  it('sshd killed on a host mid-run (daemon and sessions): unreachable, the others finish, exit 8, no hang', async () => {
    // A private sshd on h3 (its own binary name, so only its daemon and sessions are killed),
    // reached at h3's fleet address; the fleet's own sshd keeps serving other tests.
    const port = 2299;
    await sh(h3.name, `cp /usr/sbin/sshd /usr/local/sbin/sshd-fault && /usr/local/sbin/sshd-fault -p ${port} -o PidFile=/run/sshd-fault.pid`);
    try {
      const dir = scratch({ 'p.yml': firstSlowLast('killed') });
      const inv = inventoryOf(dir, { host: h3, address: h3.address, port });
      const r = await play([path.join(dir, 'p.yml'), '-i', inv], (e) => {
        if (e.type === 'task:start' && e.host === 'h3' && e.task.name === 'Slow') setTimeout(() => void sh(h3.name, 'pkill -x sshd-fault'), 300);
      });
      expect(r.code, r.stderr).toBe(8);
      expect(r.summary!.hosts.h3!.unreachable).toBe(1);
      for (const h of ['h1', 'h2']) {
        expect(done(r, h)).toEqual(['First', 'Slow', 'Last']);
        expect(await sh(h, `cat ${root}/killed-last`)).toBe('3');
      }
      expect(done(r, 'h3')).toEqual(['First', 'Slow']);
      expect(await sh(h3.name, `cat ${root}/killed-first; test -e ${root}/killed-last && echo yes || echo no`)).toBe('1\nno');
      expect(await sh(h3.name, 'pgrep -x sshd-fault || echo gone')).toBe('gone');
      expect(r.ms).toBeLessThan(60_000);
    } finally {
      await sh(h3.name, 'pkill -x sshd-fault; rm -f /usr/local/sbin/sshd-fault; true');
    }
  });

  it('a host that accepts TCP and never answers is unreachable after the timeout; the others finish', async () => {
    const p = await proxy('blackhole');
    const dir = scratch({ 'p.yml': `- hosts: three\n  tasks:\n    - copy: { dest: "${root}/hang", content: "x" }\n` });
    const inv = inventoryWith(p, dir, '    ansible_timeout: 3\n');
    const r = await play([path.join(dir, 'p.yml'), '-i', inv]);
    expect(r.code).toBe(8);
    expect(r.summary!.hosts.h2!.unreachable).toBe(1);
    expect(r.summary!.hosts.h1!.changed).toBe(1);
    expect(r.summary!.hosts.h3!.changed).toBe(1);
    const lost = r.events.find((e) => e.type === 'host:unreachable' && e.host === 'h2');
    expect(lost?.msg).toMatch(/tim(ed|e) ?out/i);
    expect(r.ms).toBeLessThan(60_000);
  });

  it('a connection dropped during an upload leaves the old file intact and no temp file', async () => {
    const p = await proxy();
    await sh('h2', `printf 'old content\\n' > ${root}/big && chmod 0640 ${root}/big`);
    const big = randomBytes(24 << 20).toString('base64');
    const dir = scratch({ 'big.txt': big, 'p.yml': `- hosts: h2\n  tasks:\n    - name: Upload\n      copy: { src: big.txt, dest: "${root}/big" }\n` });
    const inv = inventoryWith(p, dir);
    const r = await play([path.join(dir, 'p.yml'), '-i', inv], (e) => {
      if (e.type === 'task:start' && e.task.name === 'Upload') p.cutAfterUp(4 << 20);
    });
    expect(r.code).toBe(8);
    expect(r.summary!.hosts.h2!.unreachable).toBe(1);
    expect(p.upBytes).toBeLessThan(big.length);
    expect(await sh('h2', `cat ${root}/big; stat -c %a ${root}/big`)).toBe('old content\n640');
    // The remote write script removes its temp file when the connection (and so its stdin and
    // stderr) goes: a short temp file is refused, and writing that on a dead pipe still cleans up.
    let left = '';
    for (let i = 0; i < 20; i++) {
      left = await sh('h2', `ls -A ${root} | grep '^\\.' || true`);
      if (!left) break;
      await new Promise((res) => setTimeout(res, 250));
    }
    expect(left).toBe('');
  });

  it('a full disk on the target fails the copy clearly and keeps the old file', async () => {
    await sh('h1', `mkdir -p ${root}/small && mount -t tmpfs -o size=256k tmpfs ${root}/small && printf 'old\\n' > ${root}/small/f`);
    const dir = scratch({
      'p.yml': `- hosts: h1\n  tasks:\n    - name: Too big\n      copy: { src: big.txt, dest: "${root}/small/f" }\n`,
      'big.txt': 'y'.repeat(600_000),
    });
    const r = await play([path.join(dir, 'p.yml'), '-i', fleet.inventoryPath]);
    expect(r.code).toBe(4);
    const failed = r.events.find((e) => e.type === 'task:done' && e.host === 'h1' && e.task.name === 'Too big');
    expect(failed?.outcome?.status).toBe('failed');
    expect(JSON.stringify(failed?.outcome)).toMatch(/No space left on device/);
    expect(await sh('h1', `cat ${root}/small/f; ls -A ${root}/small`)).toBe('old\nf');
  });
});
