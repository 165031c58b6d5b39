// The SSH and local transports against the real fleet (test/fleet/): round trips, quoting,
// become, atomic writes, channel limits, host keys, failures and unix-socket forwarding.
import { execFileSync } from 'node:child_process';
import { createHash, createHmac, randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { ssh as opensshRun, type Fleet, type FleetHost } from '../fleet/fleet.mjs';
import { CommandError, ConnectionError } from '../../src/core/errors.js';
import { connectionSpecFromVars } from '../../src/transport/connection-spec.js';
import { TransportPool, createTransport } from '../../src/transport/index.js';
import { SshTransport } from '../../src/transport/ssh.js';
import type { ConnectionSpec, Transport } from '../../src/transport/types.js';
import { CORPUS } from '../unit/transport/corpus.js';
import { FILE_FACTS_SCRIPT, factsArgs } from '../../modules/_lib/facts.js';

const fleet: Fleet = inject('fleet');
const [h1, h2] = fleet.hosts as [FleetHost, FleetHost];
const local = mkdtempSync(path.join(os.tmpdir(), 'transport-it-'));
const remoteDir = `/tmp/rb-transport-${randomBytes(4).toString('hex')}`;

/** Spec of a fleet host, built the way the engine does: from inventory variables. */
function specFor(host: FleetHost, over: Partial<ConnectionSpec> = {}, vars: Record<string, unknown> = {}): ConnectionSpec {
  return {
    ...connectionSpecFromVars(host.name, {
      ansible_host: '127.0.0.1',
      ansible_port: host.port,
      ansible_user: fleet.user,
      ansible_ssh_private_key_file: fleet.keyPath,
      ansible_ssh_common_args: `-o UserKnownHostsFile=${fleet.knownHostsPath} -o StrictHostKeyChecking=yes`,
      ...vars,
    }),
    ...over,
  };
}

const opened: Transport[] = [];
function open(host: FleetHost, over: Partial<ConnectionSpec> = {}): SshTransport {
  const t = new SshTransport(specFor(host, over), { sshConfigFile: false });
  opened.push(t);
  return t;
}

const root = open(h1);
const deploy = open(h1, { user: fleet.sudoUser });

/** Split `printf '%s\0'` output. */
const nulSplit = (s: string) => s.split('\0').slice(0, -1);

function knownLine(host: FleetHost): { name: string; type: string; key: Buffer } {
  const name = `[127.0.0.1]:${host.port}`;
  const line = readFileSync(fleet.knownHostsPath, 'utf8')
    .split('\n')
    .find((l) => l.startsWith(`${name} `));
  if (!line) throw new Error(`no known_hosts line for ${name}`);
  const [, type, b64] = line.split(' ') as [string, string, string];
  return { name, type, key: Buffer.from(b64, 'base64') };
}

function sha256fp(key: Buffer): string {
  return `SHA256:${createHash('sha256').update(key).digest('base64').replace(/=+$/, '')}`;
}

async function expectConnectionError(p: Promise<unknown>): Promise<ConnectionError> {
  const e = await p.then(
    () => undefined,
    (err: unknown) => err,
  );
  expect(e, 'expected a ConnectionError').toBeInstanceOf(ConnectionError);
  return e as ConnectionError;
}

beforeAll(async () => {
  const r = await root.exec(['sh', '-c', 'mkdir -p "$1" && chmod 1777 "$1"', 'sh', remoteDir]);
  expect(r.exitCode, r.stderr).toBe(0);
});

afterAll(async () => {
  await root.exec(['rm', '-rf', remoteDir]).catch(() => {});
  await Promise.allSettled(opened.map((t) => t.close()));
  rmSync(local, { recursive: true, force: true });
});

describe('ssh exec', () => {
  it('returns exit code, stdout, stderr and duration; a failure is a value', async () => {
    const r = await root.exec({ script: 'echo out; echo err >&2; exit 7' });
    expect(r).toMatchObject({ exitCode: 7, signal: null, stdout: 'out\n', stderr: 'err\n' });
    expect(r.durationMs).toBeGreaterThan(0);
    const missing = await root.exec(['no-such-command-xyz']);
    expect(missing.exitCode).toBe(127);
  });

  it('writes stdin and always ends it', async () => {
    const text = `line one\n${'x'.repeat(200_000)}\nü end`;
    expect((await root.exec(['cat'], { stdin: text })).stdout).toBe(text);
    const bin = randomBytes(300_000);
    const r = await root.exec({ script: 'sha256sum | cut -d" " -f1' }, { stdin: bin });
    expect(r.stdout.trim()).toBe(createHash('sha256').update(bin).digest('hex'));
    // No stdin given: a command that reads it sees EOF at once.
    const t0 = Date.now();
    expect(await root.exec(['cat'])).toMatchObject({ exitCode: 0, stdout: '' });
    expect(Date.now() - t0).toBeLessThan(5000);
  });

  it('passes every corpus argument byte-exact (argv, script args, env, cwd)', async () => {
    const argv = await root.exec(['printf', '%s\\0', ...CORPUS]);
    expect(nulSplit(argv.stdout)).toEqual(CORPUS);
    const script = await root.exec({ script: 'printf "%s\\0" "$@"', args: CORPUS });
    expect(nulSplit(script.stdout)).toEqual(CORPUS);
    const env = Object.fromEntries(CORPUS.map((v, i) => [`V${i}`, v]));
    const envScript = CORPUS.map((_, i) => `printf '%s\\0' "$V${i}"`).join('\n');
    expect(nulSplit((await root.exec({ script: envScript }, { env })).stdout)).toEqual(CORPUS);
    const dir = `${remoteDir}/we'ird $(dir) \`x\` *\nnew line é`;
    expect((await root.exec(['mkdir', '-p', dir])).exitCode).toBe(0);
    const pwd = await root.exec(['pwd'], { cwd: dir });
    expect(pwd.stdout).toBe(`${dir}\n`);
  });

  it('passes the corpus byte-exact through become (sudo to root and to another user)', async () => {
    const asRoot = await deploy.exec(['printf', '%s\\0', ...CORPUS], { become: {} });
    expect(asRoot.stderr).toBe('');
    expect(nulSplit(asRoot.stdout)).toEqual(CORPUS);
    const env = { A: CORPUS[CORPUS.length - 1]!, B: '$(id) `x` \'q\' "d"' };
    const asNobody = await root.exec({ script: 'id -un; printf "%s\\0" "$A" "$B" "$@"', args: CORPUS }, {
      become: { user: 'nobody' },
      env,
      cwd: '/',
    });
    expect(asNobody.stderr).toBe('');
    const [who, ...rest] = asNobody.stdout.split('\n');
    expect(who).toBe('nobody');
    expect(nulSplit(rest.join('\n'))).toEqual([env.A, env.B, ...CORPUS]);
  });

  it('fails a missing cwd without running the command', async () => {
    const r = await root.exec(['sh', '-c', 'echo ran'], { cwd: `${remoteDir}/missing` });
    expect(r.exitCode).not.toBe(0);
    expect(r.stdout).toBe('');
    const rb = await deploy.exec(['sh', '-c', 'echo ran'], { cwd: `${remoteDir}/missing`, become: {} });
    expect(rb.exitCode).not.toBe(0);
    expect(rb.stdout).toBe('');
  });

  it('becomes root and other users, and skips sudo for the login user', async () => {
    expect((await deploy.exec(['id', '-un'])).stdout).toBe(`${fleet.sudoUser}\n`);
    expect((await deploy.exec(['id', '-un'], { become: {} })).stdout).toBe('root\n');
    expect((await deploy.exec(['id', '-un'], { become: { user: 'nobody' } })).stdout).toBe('nobody\n');
    expect((await root.exec(['id', '-un'], { become: { user: 'nobody' } })).stdout).toBe('nobody\n');
    const self = await deploy.exec({ script: 'echo "${SUDO_USER-none}"' }, { become: { user: fleet.sudoUser } });
    expect(self.stdout).toBe('none\n');
    const rootSelf = await root.exec({ script: 'echo "${SUDO_USER-none}"' }, { become: {} });
    expect(rootSelf.stdout).toBe('none\n');
  });

  it('runs its own scripts inline in the long-lived shell, where the file facts know who is asking without `id`', async () => {
    const idLine = (out: string) => out.split('\n').find((l) => l.startsWith('id '));
    const facts = { script: FILE_FACTS_SCRIPT, args: factsArgs(['/etc/hostname']), inline: true } as const;
    const who = (await deploy.exec(['id'])).stdout.trim();
    // In the shell (no exec of its own: $0 of the shell, its unexported variables seen).
    expect((await deploy.exec({ script: 'echo "$0 ${rb_me:+set} $#:$1"', args: ['a b'], inline: true })).stdout).toBe('sh set 1:a b\n');
    expect((await deploy.exec({ script: 'echo "${rb_me:-unset}"' })).stdout).toBe('unset\n');
    expect(idLine((await deploy.exec(facts)).stdout)).toBe(`id ${who}`);
    // Through sudo the script runs in a sh of its own and asks `id` itself.
    expect(idLine((await deploy.exec(facts, { become: {} })).stdout)).toMatch(/^id uid=0\(root\) gid=0\(root\)/);
    expect(idLine((await deploy.exec(facts, { become: { user: 'nobody' } })).stdout)).toMatch(/^id uid=\d+\(nobody\)/);
    // Fused with reads, in a session of its own (stdin given), the same answers.
    const fused = await deploy.execThen({ op: 'exec', cmd: ['cat'], opts: { stdin: 'in\n' } }, [{ cmd: facts }, { cmd: facts, opts: { become: {} } }]);
    expect(fused.first?.stdout).toBe('in\n');
    expect(idLine(fused.reads[0]!.stdout)).toBe(`id ${who}`);
    expect(idLine(fused.reads[1]!.stdout)).toMatch(/^id uid=0\(root\)/);
    const inShell = await deploy.execThen({ op: 'exec', cmd: { script: 'echo "${rb_me:+set}"', inline: true } }, [{ cmd: facts }]);
    expect(inShell.first?.stdout).toBe('set\n');
    expect(idLine(inShell.reads[0]!.stdout)).toBe(`id ${who}`);
  });

  it('times out: the host ends the command and the result says SIGTERM', async () => {
    const t0 = Date.now();
    const r = await root.exec({ script: 'echo started; sleep 30; echo never' }, { timeoutMs: 500 });
    const took = Date.now() - t0;
    expect(r).toMatchObject({ exitCode: null, signal: 'SIGTERM', stdout: 'started\n' });
    expect(r.stderr).toMatch(/timed out after 500 ms/);
    expect(took).toBeLessThan(5000);
    const left = await root.exec({ script: 'pgrep -f "sleep 3[0]" || true' });
    expect(left.stdout).toBe('');
    // Through sudo as well, and a command that ends in time is untouched.
    const rb = await deploy.exec(['sleep', '30'], { timeoutMs: 400, become: {} });
    expect(rb).toMatchObject({ exitCode: null, signal: 'SIGTERM' });
    expect(await root.exec(['sh', '-c', 'exit 3'], { timeoutMs: 5000 })).toMatchObject({ exitCode: 3, signal: null });
  });

  it('stops waiting when aborted', async () => {
    const ac = new AbortController();
    setTimeout(() => ac.abort(), 200);
    const t0 = Date.now();
    const e = await deploy.exec(['sleep', '20'], { signal: ac.signal }).catch((err: unknown) => err);
    expect((e as Error).name).toBe('AbortError');
    expect(Date.now() - t0).toBeLessThan(2000);
    const pre = new AbortController();
    pre.abort();
    await expect(root.exec(['true'], { signal: pre.signal })).rejects.toMatchObject({ name: 'AbortError' });
  });

  it('runs commands one after the other in one long-lived shell, each as if it ran alone', async () => {
    const t = open(h1);
    // The command's parent's parent is the shell: the same process for every command.
    const grandparent = { script: "cut -d' ' -f4 /proc/$PPID/stat" };
    const pids = [(await t.exec(grandparent)).stdout, (await t.exec(grandparent)).stdout];
    expect(pids[0]).toMatch(/^\d+\n$/);
    expect(pids[0]).toBe(pids[1]);
    expect(t.stats()).toMatchObject({ shell: true, activeChannels: 0 });
    // Nothing one command does reaches the next: cd, umask, exported variables, exit.
    expect(await t.exec({ script: 'cd /tmp; umask 077; export RB_X=1; exit 3' })).toMatchObject({ exitCode: 3 });
    expect(await t.exec({ script: 'pwd; umask; echo "${RB_X:-unset}"' })).toMatchObject({ exitCode: 0, stdout: `${process.env.RB_HOME_OF_ROOT ?? '/root'}\n0022\nunset\n` });
    // A syntax error is that command's failure; output without a final newline, stderr and
    // a large binary output come back exact; stdin is /dev/null.
    const bad = await t.exec({ script: "echo 'unclosed" });
    expect(bad.exitCode).not.toBe(0);
    expect(await t.exec({ script: 'printf "a\\nb"; printf err >&2' })).toMatchObject({ exitCode: 0, stdout: 'a\nb', stderr: 'err' });
    expect(await t.exec({ script: 'cat; echo done' })).toMatchObject({ stdout: 'done\n' });
    const big = await t.exec({ script: 'head -c 3000000 /dev/zero | tr "\\0" "x"; printf "\\nRB-fake 0\\n"' });
    expect(big.stdout.length).toBe(3_000_000 + '\nRB-fake 0\n'.length);
    // A user's command (ownSession) runs in a session: output a background process writes later
    // comes back with it, as before, and never reaches the shell's next command.
    const bg = await t.exec({ script: '(sleep 0.3; echo late) & echo now' }, { ownSession: true });
    expect(bg.stdout).toBe('now\nlate\n');
    expect(await t.exec({ script: 'echo next' })).toMatchObject({ stdout: 'next\n' });
    expect((await t.exec(grandparent)).stdout).toBe(pids[0]);
    // With RUNBOOK_SSH_SHELL=0 (persistentShell: false) every command has a session of its own.
    const own = new SshTransport(specFor(h1), { sshConfigFile: false, persistentShell: false });
    opened.push(own);
    expect(await own.exec({ script: 'cd /tmp; exit 3' })).toMatchObject({ exitCode: 3 });
    expect(own.stats().shell).toBe(false);
  });

  it('runs 50 concurrent commands on one host without a channel error, on at most 2 connections', async () => {
    const t = open(h1);
    const results = await Promise.all(
      Array.from({ length: 50 }, (_, i) => t.exec({ script: 'printf "%s" "$1"; [ $(($1 % 7)) -eq 0 ] && sleep 0.2; exit 0', args: [String(i)] })),
    );
    results.forEach((r, i) => expect(r, r.stderr).toMatchObject({ exitCode: 0, stdout: String(i) }));
    expect(t.stats().connections).toBeLessThanOrEqual(2);
    expect(t.stats()).toMatchObject({ activeChannels: 0, queued: 0 });
    // And again with a burst of 120 slow ones, through become.
    const slow = await Promise.all(
      Array.from({ length: 120 }, () => t.exec({ script: 'sleep 0.05; id -u' }, { become: { user: 'nobody' } })),
    );
    for (const r of slow) expect(r, r.stderr).toMatchObject({ exitCode: 0, stdout: '65534\n' });
  });

  it('survives 20 transports handshaking at once (sshd MaxStartups drops are retried)', async () => {
    const last = fleet.hosts[fleet.hosts.length - 1]!;
    const ts = Array.from({ length: 20 }, () => open(last));
    const rs = await Promise.all(ts.map((t) => t.exec(['hostname'])));
    for (const r of rs) expect(r.stdout).toBe(`${last.name}\n`);
    await Promise.all(ts.map((t) => t.close()));
  });

  it('turns a connection dropped mid-command into a ConnectionError and reconnects after', async () => {
    const t = open(h1);
    expect((await t.exec(['true'])).exitCode).toBe(0);
    // Kill this session's sshd process: the connection drops under the running command.
    const e = await expectConnectionError(t.exec({ script: 'kill -9 $PPID; sleep 5' }));
    expect(e.message).toMatch(/connection/i);
    expect((await t.exec(['echo', 'back'])).stdout).toBe('back\n');
  });
});

describe('ssh put/get', () => {
  it('round-trips text and binary content', async () => {
    const f = `${remoteDir}/round.txt`;
    await root.put(f, 'héllo\nworld\n');
    expect((await root.get(f))!.toString('utf8')).toBe('héllo\nworld\n');
    const bin = Buffer.from(Array.from({ length: 256 * 4 }, (_, i) => i % 256));
    await root.put(`${remoteDir}/bin`, bin);
    expect((await root.get(`${remoteDir}/bin`))!.equals(bin)).toBe(true);
    await root.put(`${remoteDir}/empty`, '');
    expect((await root.get(`${remoteDir}/empty`))!.length).toBe(0);
    // Checked with the OpenSSH client too.
    const sum = await opensshRun(fleet, h1, `sha256sum ${remoteDir}/bin | cut -d' ' -f1`);
    expect(sum.stdout.trim()).toBe(createHash('sha256').update(bin).digest('hex'));
  });

  it('returns null for a missing file and throws when it cannot be read', async () => {
    expect(await root.get(`${remoteDir}/nope`)).toBeNull();
    expect(await root.get(`${remoteDir}/no/such/dir/file`)).toBeNull();
    await expect(deploy.get('/root/.ssh/authorized_keys')).rejects.toBeInstanceOf(CommandError);
    await expect(deploy.get('/etc/shadow')).rejects.toBeInstanceOf(CommandError);
    await expect(root.get(remoteDir)).rejects.toBeInstanceOf(CommandError);
    expect((await deploy.get('/root/.ssh/authorized_keys', { become: {} }))!.length).toBeGreaterThan(0);
    expect(await deploy.get('/root/no-such-file', { become: {} })).toBeNull();
  });

  it('sets modes: default 0644, explicit, and keeps an existing file\'s mode', async () => {
    const f = `${remoteDir}/modes`;
    const mode = async () => (await root.exec(['stat', '-c', '%a %U:%G', f])).stdout.trim();
    await root.put(f, 'a');
    expect(await mode()).toBe('644 root:root');
    await root.put(f, 'b', { mode: 0o600 });
    expect(await mode()).toBe('600 root:root');
    await root.put(f, 'c');
    expect(await mode()).toBe('600 root:root');
    await root.put(f, 'd', { mode: 0o4755, owner: 'nobody', group: 'nogroup' });
    expect(await mode()).toBe('4755 nobody:nogroup');
    await root.put(f, 'e');
    expect(await mode()).toBe('4755 nobody:nogroup');
    expect((await root.get(f))!.toString()).toBe('e');
  });

  it('replaces a link to a folder with the file, like the local transport, and refuses a folder', async () => {
    const dir = `${remoteDir}/linked-dir`;
    const link = `${remoteDir}/link-to-dir`;
    await root.exec(['sh', '-c', 'mkdir -p "$1" && ln -sfn "$1" "$2"', 'sh', dir, link]);
    await root.put(link, 'now a file\n');
    expect((await root.exec(['stat', '-c', '%F', link])).stdout.trim()).toBe('regular file');
    expect((await root.get(link))!.toString()).toBe('now a file\n');
    expect((await root.exec(['ls', '-A', dir])).stdout).toBe('');
    await expect(root.put(dir, 'x')).rejects.toThrow(/cannot write|directory/);
    expect((await root.exec(['stat', '-c', '%F', dir])).stdout.trim()).toBe('directory');

    const lt = createTransport(connectionSpecFromVars('localhost', {}));
    opened.push(lt);
    const ldir = path.join(local, 'linked-dir');
    const llink = path.join(local, 'link-to-dir');
    execFileSync('sh', ['-c', 'mkdir -p "$1" && ln -sfn "$1" "$2"', 'sh', ldir, llink]);
    await lt.put(llink, 'now a file\n');
    expect(readFileSync(llink, 'utf8')).toBe('now a file\n');
    expect(execFileSync('ls', ['-A', ldir], { encoding: 'utf8' })).toBe('');
  });

  it('writes through become and fails clearly without it', async () => {
    const f = `/root/rb-transport-${randomBytes(3).toString('hex')}`;
    await expect(deploy.put(f, 'x')).rejects.toBeInstanceOf(CommandError);
    await deploy.put(f, 'secret\n', { become: {}, mode: 0o600 });
    expect((await deploy.get(f, { become: {} }))!.toString()).toBe('secret\n');
    expect((await root.exec(['stat', '-c', '%a %U', f])).stdout).toBe('600 root\n');
    await root.exec(['rm', '-f', f]);
    await expect(root.put(`${remoteDir}/missing-dir/f`, 'x')).rejects.toThrow(/cannot write/);
    // No temp files are left behind by failures or successes.
    expect((await root.exec({ script: 'ls -A "$1" | grep "^\\." || true', args: [remoteDir] })).stdout).toBe('');
  });

  it('is atomic: a concurrent reader sees only whole old or new content', async () => {
    const f = `${remoteDir}/atomic`;
    const a = 'A'.repeat(256 * 1024);
    const b = 'B'.repeat(200 * 1024) + '\n';
    const sums = new Set([a, b].map((s) => createHash('md5').update(s).digest('hex')));
    await root.put(f, a);
    const stop = `${remoteDir}/atomic.stop`;
    const reader = root.exec({
      script: 'n=0; while [ ! -e "$2" ] || [ $n -lt 20 ]; do md5sum < "$1" | cut -d" " -f1; n=$((n+1)); done',
      args: [f, stop],
    });
    for (let i = 0; i < 30; i++) await root.put(f, i % 2 === 0 ? b : a);
    await root.put(stop, '');
    const r = await reader;
    const seen = r.stdout.trim().split('\n');
    expect(seen.length).toBeGreaterThanOrEqual(20);
    for (const s of seen) expect(sums.has(s), `partial read: ${s}`).toBe(true);
    // The reader really ran while the file was being replaced.
    expect(new Set(seen).size).toBe(2);
  });
});

describe('ssh connection failures', () => {
  it('a closed port fails fast with a clear ConnectionError', async () => {
    const port = await new Promise<number>((resolve) => {
      const srv = net.createServer().listen(0, '127.0.0.1', () => {
        const p = (srv.address() as net.AddressInfo).port;
        srv.close(() => resolve(p));
      });
    });
    const t0 = Date.now();
    const e = await expectConnectionError(open(h1, { port }).exec(['true']));
    expect(Date.now() - t0).toBeLessThan(2000);
    expect(e.message).toContain(`127.0.0.1:${port}`);
    expect(e.message).toMatch(/refused/);
    expect(e.host).toBe(h1.name);
  });

  it('a server that never speaks SSH times out after connectTimeoutMs', async () => {
    const silent = net.createServer(() => {});
    await new Promise<void>((r) => silent.listen(0, '127.0.0.1', r));
    const port = (silent.address() as net.AddressInfo).port;
    try {
      const t0 = Date.now();
      const e = await expectConnectionError(open(h1, { port, connectTimeoutMs: 600 }).connect());
      expect(Date.now() - t0).toBeLessThan(3000);
      expect(e.message).toMatch(/timed out after 600 ms/);
    } finally {
      silent.close();
    }
  });

  it('honours ~/.ssh/config (HostName, Port, User, IdentityFile, UserKnownHostsFile)', async () => {
    const home = path.join(local, 'home');
    const sshDir = path.join(home, '.ssh');
    execFileSync('mkdir', ['-p', sshDir]);
    writeFileSync(
      path.join(sshDir, 'config'),
      [
        'Host web-alias',
        '  HostName 127.0.0.1',
        `  Port ${h1.port}`,
        `  User ${fleet.sudoUser}`,
        `  IdentityFile ${fleet.keyPath}`,
        `  UserKnownHostsFile ${fleet.knownHostsPath}`,
        'Host *',
        '  User nobody-at-all',
        '',
      ].join('\n'),
    );
    const spec: ConnectionSpec = {
      host: 'aliased',
      connection: 'ssh',
      address: 'web-alias',
      port: 22,
      strictHostKeyChecking: 'yes',
      connectTimeoutMs: 10_000,
    };
    const t = new SshTransport(spec, { home });
    opened.push(t);
    expect(t.user).toBe(fleet.sudoUser);
    expect((await t.exec(['id', '-un'])).stdout).toBe(`${fleet.sudoUser}\n`);
  });

  it('a wrong key fails as an authentication ConnectionError', async () => {
    const key = path.join(local, 'wrong_ed25519');
    execFileSync('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-f', key]);
    const e = await expectConnectionError(open(h1, { privateKeyFile: key }).connect());
    expect(e.message).toMatch(/authentication failed for user 'root'/);
    expect(e.message).toContain(key);
  });

  it('refuses a changed host key, naming host, fingerprint and file', async () => {
    const real = knownLine(h1);
    const other = knownLine(h2);
    const file = path.join(local, 'known_hosts_wrong');
    writeFileSync(file, `# wrong key on purpose\n${real.name} ${other.type} ${other.key.toString('base64')}\n`);
    for (const strict of ['yes', 'accept-new'] as const) {
      const e = await expectConnectionError(
        open(h1, { knownHostsFile: file, strictHostKeyChecking: strict }).exec(['true']),
      );
      expect(e.message).toContain(real.name);
      expect(e.message).toContain(sha256fp(real.key));
      expect(e.message).toContain(file);
      expect(e.message).toMatch(/CHANGED/);
    }
    // The same with StrictHostKeyChecking=no connects.
    expect((await open(h1, { knownHostsFile: file, strictHostKeyChecking: 'no' }).exec(['true'])).exitCode).toBe(0);
  });

  it('refuses an unknown key under yes; accept-new appends it and later connections trust it', async () => {
    const real = knownLine(h1);
    const file = path.join(local, 'known_hosts_new');
    writeFileSync(file, '# no trailing newline');
    const e = await expectConnectionError(open(h1, { knownHostsFile: file }).connect());
    expect(e.message).toContain(sha256fp(real.key));
    expect(e.message).toContain(file);
    expect(e.message).toMatch(/not known/);
    await open(h1, { knownHostsFile: file, strictHostKeyChecking: 'accept-new' }).connect();
    const lines = readFileSync(file, 'utf8').split('\n');
    expect(lines).toEqual(['# no trailing newline', `${real.name} ${real.type} ${real.key.toString('base64')}`, '']);
    await open(h1, { knownHostsFile: file }).connect();
    // A second accept-new adds nothing.
    await open(h1, { knownHostsFile: file, strictHostKeyChecking: 'accept-new' }).connect();
    expect(readFileSync(file, 'utf8').split('\n')).toHaveLength(3);
  });

  it('matches hashed known_hosts entries and refuses @revoked keys', async () => {
    const real = knownLine(h1);
    const salt = randomBytes(20);
    const hash = createHmac('sha1', salt).update(real.name).digest();
    const hashed = path.join(local, 'known_hosts_hashed');
    writeFileSync(hashed, `|1|${salt.toString('base64')}|${hash.toString('base64')} ${real.type} ${real.key.toString('base64')}\n`);
    expect((await open(h1, { knownHostsFile: hashed }).exec(['true'])).exitCode).toBe(0);
    const revoked = path.join(local, 'known_hosts_revoked');
    writeFileSync(
      revoked,
      `${real.name} ${real.type} ${real.key.toString('base64')}\n@revoked * ${real.type} ${real.key.toString('base64')}\n`,
    );
    const e = await expectConnectionError(open(h1, { knownHostsFile: revoked }).connect());
    expect(e.message).toMatch(/revoked/);
    expect(e.message).toContain(sha256fp(real.key));
  });

  it('connects through a ProxyJump host', async () => {
    const file = path.join(local, 'known_hosts_jump');
    writeFileSync(file, readFileSync(fleet.knownHostsPath));
    const t = open(h1, {
      address: h2.address,
      port: 22,
      proxyJump: `root@127.0.0.1:${h1.port}`,
      knownHostsFile: file,
      strictHostKeyChecking: 'accept-new',
    });
    expect((await t.exec(['hostname'])).stdout).toBe(`${h2.name}\n`);
    // The target's key was learnt under its own name; the jump host's was already known.
    expect(readFileSync(file, 'utf8')).toContain(`${h2.address} ssh-ed25519 ${knownLine(h2).key.toString('base64')}`);
  });
});

describe('unix socket forwarding', () => {
  it('streams to a unix socket on the host (python echo server)', async () => {
    const sock = `${remoteDir}/echo.sock`;
    const server = root.exec(
      {
        script: `exec python3 -c '
import socket, sys, os
s = socket.socket(socket.AF_UNIX); s.bind(sys.argv[1]); s.listen(4); print("ready", flush=True)
for _ in range(2):
    c, _a = s.accept()
    while True:
        d = c.recv(65536)
        if not d: break
        c.sendall(d.upper())
    c.close()
' "$1"`,
        args: [sock],
      },
      { timeoutMs: 30_000 },
    );
    for (let i = 0; i < 50; i++) {
      if ((await root.exec(['test', '-S', sock])).exitCode === 0) break;
      await new Promise((r) => setTimeout(r, 100));
    }
    for (let round = 0; round < 2; round++) {
      const s = await root.forwardUnixSocket(sock);
      const got: Buffer[] = [];
      s.on('data', (d: Buffer) => got.push(d));
      const ended = new Promise((r) => s.on('end', r));
      s.end(`hello ${round}`);
      await ended;
      expect(Buffer.concat(got).toString()).toBe(`HELLO ${round}`);
    }
    expect((await server).stdout).toBe('ready\n');
    await expectConnectionError(root.forwardUnixSocket(`${remoteDir}/no.sock`));
  });

  it.runIf(fleet.withDocker)('reaches docker.sock with HTTP (Docker API ping)', async () => {
    const s = await root.forwardUnixSocket('/var/run/docker.sock');
    const got: Buffer[] = [];
    s.on('data', (d: Buffer) => got.push(d));
    const ended = new Promise((r) => s.on('end', r));
    s.write('GET /_ping HTTP/1.1\r\nHost: docker\r\nConnection: close\r\n\r\n');
    await ended;
    expect(Buffer.concat(got).toString()).toMatch(/^HTTP\/1\.1 200 OK[\s\S]*\r\n\r\nOK$/);
  });
});

describe('pool and local transport', () => {
  it('TransportPool hands out one transport per host and closes them all', async () => {
    const pool = new TransportPool({ sshConfigFile: false });
    const a = pool.get(specFor(h1));
    expect(pool.get(specFor(h1))).toBe(a);
    const b = pool.get(specFor(h2));
    expect(b).not.toBe(a);
    const [ra, rb] = await Promise.all([a.exec(['hostname']), b.exec(['hostname'])]);
    expect([ra.stdout, rb.stdout]).toEqual([`${h1.name}\n`, `${h2.name}\n`]);
    await pool.closeAll();
    await expect(a.exec(['true'])).rejects.toBeInstanceOf(ConnectionError);
  });

  it('the local transport runs the same corpus and file round trips', async () => {
    const t = createTransport(connectionSpecFromVars('localhost', {}));
    expect(t.constructor.name).toBe('LocalTransport');
    expect(nulSplit((await t.exec(['printf', '%s\\0', ...CORPUS])).stdout)).toEqual(CORPUS);
    const f = path.join(local, 'local-file');
    await t.put(f, Buffer.from([0, 1, 2, 255]));
    expect(await t.get(f)).toEqual(Buffer.from([0, 1, 2, 255]));
    expect(await t.get(path.join(local, 'nope'))).toBeNull();
  });
});
