import { execFileSync } from 'node:child_process';
import { chmodSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync, readdirSync } from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { CommandError, ConnectionError } from '../../../src/core/errors.js';
import { LocalTransport } from '../../../src/transport/local.js';
import { CORPUS } from './corpus.js';

const tmp = mkdtempSync(path.join(os.tmpdir(), 'local-transport-test-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));
const t = new LocalTransport('localhost');
const isRoot = process.getuid?.() === 0;
const hasSudo = (() => {
  try {
    execFileSync('sudo', ['-n', 'true'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
})();
const nul = (s: string) => s.split('\0').slice(0, -1);

describe('LocalTransport exec', () => {
  it('runs argv without a shell, byte-exact', async () => {
    const r = await t.exec(['printf', '%s\\0', ...CORPUS]);
    expect(r.exitCode).toBe(0);
    expect(nul(r.stdout)).toEqual(CORPUS);
  });

  it('runs scripts with sh -c, env and cwd', async () => {
    const dir = path.join(tmp, "d i r '$x'");
    mkdirSync(dir);
    const r = await t.exec({ script: 'printf "%s|%s|%s" "$1" "$FOO" "$(pwd)"; exit 4', args: ['a b'] }, {
      env: { FOO: '$(no)' },
      cwd: dir,
    });
    expect(r).toMatchObject({ exitCode: 4, stdout: `a b|$(no)|${dir}` });
    const missing = await t.exec(['pwd'], { cwd: path.join(tmp, 'missing') });
    expect(missing.exitCode).not.toBe(0);
    expect(missing.stdout).toBe('');
    await expect(t.exec(['true'], { env: { 'A-B': '1' } })).rejects.toThrow(/variable name/);
  });

  it('reports a missing command as 127 and ends stdin', async () => {
    expect((await t.exec(['no-such-command-xyz'])).exitCode).toBe(127);
    expect(await t.exec(['cat'])).toMatchObject({ exitCode: 0, stdout: '' });
    expect((await t.exec(['cat'], { stdin: 'in put' })).stdout).toBe('in put');
  });

  it('times out and aborts', async () => {
    const r = await t.exec({ script: 'echo a; sleep 20' }, { timeoutMs: 200 });
    expect(r).toMatchObject({ exitCode: null, signal: 'SIGTERM', stdout: 'a\n' });
    expect(r.durationMs).toBeLessThan(5000);
    const ac = new AbortController();
    setTimeout(() => ac.abort(), 100);
    await expect(t.exec(['sleep', '20'], { signal: ac.signal })).rejects.toMatchObject({ name: 'AbortError' });
  });

  it.runIf(isRoot)('become to root as root is a no-op (no sudo needed)', async () => {
    const r = await t.exec({ script: 'echo "${SUDO_USER-none}"; id -u' }, { become: {} });
    expect(r.stdout).toBe('none\n0\n');
  });

  it.runIf(isRoot && hasSudo)('becomes another user through sudo, byte-exact', async () => {
    const r = await t.exec(['printf', '%s\\0', ...CORPUS], { become: { user: 'nobody' }, cwd: '/' });
    expect(nul(r.stdout)).toEqual(CORPUS);
    expect((await t.exec(['id', '-un'], { become: { user: 'nobody' } })).stdout).toBe('nobody\n');
  });
});

describe('LocalTransport files', () => {
  it('puts atomically with modes and gets content back', async () => {
    const f = path.join(tmp, 'file');
    await t.put(f, 'one');
    expect(statSync(f).mode & 0o7777).toBe(0o644);
    await t.put(f, Buffer.from([0, 255, 10]), { mode: 0o600 });
    expect(statSync(f).mode & 0o7777).toBe(0o600);
    expect(await t.get(f)).toEqual(Buffer.from([0, 255, 10]));
    await t.put(f, 'three');
    expect(statSync(f).mode & 0o7777).toBe(0o600);
    expect(readFileSync(f, 'utf8')).toBe('three');
    expect(readdirSync(tmp).filter((n) => n.startsWith('.'))).toEqual([]);
  });

  it.runIf(isRoot)('sets owner and group (and keeps setuid bits)', async () => {
    const f = path.join(tmp, 'owned');
    await t.put(f, 'x', { owner: 'nobody', group: 'nogroup', mode: 0o4755 });
    const st = statSync(f);
    expect(st.uid).toBe(65534);
    expect(st.mode & 0o7777).toBe(0o4755);
    await t.put(f, 'y');
    expect(statSync(f).uid).toBe(65534);
  });

  it('get: null when missing, error when unreadable', async () => {
    expect(await t.get(path.join(tmp, 'none'))).toBeNull();
    expect(await t.get(path.join(tmp, 'none', 'deeper'))).toBeNull();
    await expect(t.get(tmp)).rejects.toBeInstanceOf(CommandError);
    await expect(t.put(path.join(tmp, 'no-dir', 'f'), 'x')).rejects.toThrow(/cannot write/);
    if (!isRoot) {
      const locked = path.join(tmp, 'locked');
      writeFileSync(locked, 'x');
      chmodSync(locked, 0);
      await expect(t.get(locked)).rejects.toBeInstanceOf(CommandError);
    }
  });
});

describe('LocalTransport unix sockets', () => {
  it('connects to a unix socket, and fails clearly when it is absent', async () => {
    const sockPath = path.join(tmp, 's.sock');
    const server = net.createServer((c) => c.on('data', (d) => c.end(d.toString().toUpperCase())));
    await new Promise<void>((r) => server.listen(sockPath, r));
    const s = await t.forwardUnixSocket(sockPath);
    const got: Buffer[] = [];
    s.on('data', (d: Buffer) => got.push(d));
    await new Promise((r) => {
      s.on('end', r);
      s.write('ping');
    });
    expect(Buffer.concat(got).toString()).toBe('PING');
    server.close();
    await expect(t.forwardUnixSocket(path.join(tmp, 'none.sock'))).rejects.toBeInstanceOf(ConnectionError);
  });
});
