import { spawn, spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { chmod, mkdtemp, readFile, rename, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Duplex } from 'node:stream';
import type { Command, ExecOptions, ExecResult, PutOptions, Transport } from '../../../../src/transport/types.js';

/**
 * Runs commands on this machine (no SSH) for tests of the remote scripts: `sh` can be dash
 * or busybox, and PATH can be limited to busybox applets to prove the scripts are portable.
 * become is ignored (tests run as whoever runs them).
 */
export class LocalTransport implements Transport {
  readonly host = 'local';
  readonly log: Command[] = [];
  constructor(
    private readonly shell: string[] = ['/bin/sh'],
    private readonly env: Record<string, string> = process.env as Record<string, string>,
  ) {}

  async connect(): Promise<void> {}

  exec(cmd: Command, opts?: ExecOptions): Promise<ExecResult> {
    this.log.push(cmd);
    const started = Date.now();
    let file: string;
    let args: string[];
    if (Array.isArray(cmd)) {
      [file, ...args] = cmd as string[];
    } else {
      const s = cmd as { script: string; args?: readonly string[] };
      file = this.shell[0];
      args = [...this.shell.slice(1), '-c', s.script, 'sh', ...(s.args ?? [])];
    }
    return new Promise((resolve, reject) => {
      const child = spawn(file, args, { cwd: opts?.cwd, env: { ...this.env, ...(opts?.env ?? {}) } });
      let stdout = '';
      let stderr = '';
      child.stdout.setEncoding('utf8').on('data', (d: string) => (stdout += d));
      child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
      child.on('error', (e: NodeJS.ErrnoException) => {
        if (e.code === 'ENOENT') resolve({ exitCode: 127, signal: null, stdout, stderr: `${file}: not found`, durationMs: 0 });
        else reject(e);
      });
      child.on('close', (code, signal) =>
        resolve({ exitCode: code, signal: signal ?? null, stdout, stderr, durationMs: Date.now() - started }),
      );
      child.stdin.on('error', () => {});
      child.stdin.end(opts?.stdin ?? '');
    });
  }

  async put(p: string, content: string | Buffer, opts?: PutOptions): Promise<void> {
    const tmp = path.join(path.dirname(p), `.tmp-${randomBytes(4).toString('hex')}`);
    let mode = opts?.mode;
    if (mode === undefined) {
      const r = spawnSync('stat', ['-c', '%a', p], { encoding: 'utf8' });
      mode = r.status === 0 ? parseInt(r.stdout.trim(), 8) : 0o644;
    }
    await writeFile(tmp, content);
    try {
      if (opts?.owner !== undefined || opts?.group !== undefined) {
        const spec = `${opts.owner ?? ''}${opts.group !== undefined ? `:${opts.group}` : ''}`;
        const r = spawnSync('chown', [spec, tmp], { encoding: 'utf8' });
        if (r.status !== 0) throw new Error(`chown ${spec}: ${r.stderr}`);
      }
      await chmod(tmp, mode);
      await rename(tmp, p);
    } catch (e) {
      await rm(tmp, { force: true });
      throw e;
    }
  }

  async get(p: string): Promise<Buffer | null> {
    try {
      return await readFile(p);
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'ENOENT') return null;
      throw e;
    }
  }

  async forwardUnixSocket(): Promise<Duplex> {
    throw new Error('not supported');
  }

  async close(): Promise<void> {}
}

/** A folder whose PATH holds only busybox applets (null when busybox is missing). */
export async function busyboxPath(): Promise<string | null> {
  const which = spawnSync('sh', ['-c', 'command -v busybox'], { encoding: 'utf8' });
  const bb = which.stdout.trim();
  if (which.status !== 0 || !bb) return null;
  const dir = await mkdtemp(path.join(tmpdir(), 'bbpath-'));
  const list = spawnSync(bb, ['--list'], { encoding: 'utf8' }).stdout.split('\n').filter(Boolean);
  for (const applet of list) await symlink(bb, path.join(dir, applet));
  return dir;
}
