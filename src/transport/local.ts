/**
 * The local transport: the same interface as SSH, on the controller itself. Argv commands run
 * without a shell; scripts as `sh -c`; become goes through `sudo -n` only when the target user
 * is not the current one (as root, become to root is a no-op).
 */
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { promises as fsp, type Stats } from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { Duplex } from 'node:stream';
import { CommandError, ConnectionError } from '../core/errors.js';
import { checkPut, currentUser, getResult, onAbortOnce, toExecResult, type RawResult } from './common.js';
import { checkMode, getCommand, putCommand } from './file-scripts.js';
import { assertEnvName, baseArgv, becomeUser, commandArgv } from './quote.js';
import type {
  Become,
  Command,
  ConnectionSpec,
  ExecOptions,
  ExecResult,
  GetOptions,
  PutOptions,
  Transport,
} from './types.js';

interface SpawnOptions {
  cwd?: string;
  env?: NodeJS.ProcessEnv;
  stdin?: string | Buffer;
  timeoutMs?: number;
  signal?: AbortSignal;
}

export class LocalTransport implements Transport {
  readonly host: string;
  readonly user: string = currentUser();
  private readonly killGraceMs = 2000;

  constructor(spec: Pick<ConnectionSpec, 'host'> | string = 'localhost') {
    this.host = typeof spec === 'string' ? spec : spec.host;
  }

  async connect(): Promise<void> {}

  async exec(cmd: Command, opts: ExecOptions = {}): Promise<ExecResult> {
    const user = becomeUser(opts.become, this.user);
    let r: RawResult;
    if (user === undefined) {
      const argv = baseArgv(cmd);
      const env: NodeJS.ProcessEnv = { ...process.env };
      for (const [k, v] of Object.entries(opts.env ?? {})) {
        assertEnvName(k);
        env[k] = v;
      }
      if (opts.cwd !== undefined) {
        let st: Stats | undefined;
        try {
          st = await fsp.stat(opts.cwd);
        } catch {
          st = undefined;
        }
        if (!st?.isDirectory()) {
          return {
            exitCode: 1,
            signal: null,
            stdout: '',
            stderr: `cd: ${opts.cwd}: ${st ? 'Not a directory' : 'No such file or directory'}\n`,
            durationMs: 0,
          };
        }
      }
      r = await this.spawnRun(argv, {
        env,
        ...(opts.cwd !== undefined ? { cwd: opts.cwd } : {}),
        ...pick(opts),
      });
    } else {
      const argv = commandArgv(cmd, {
        ...(opts.cwd !== undefined ? { cwd: opts.cwd } : {}),
        ...(opts.env ? { env: opts.env } : {}),
        ...(opts.become ? { become: opts.become } : {}),
        loginUser: this.user,
      });
      r = await this.spawnRun(argv, pick(opts));
    }
    return toExecResult(r);
  }

  private spawnRun(argv: readonly string[], opts: SpawnOptions): Promise<RawResult> {
    const t0 = performance.now();
    return new Promise<RawResult>((resolve, reject) => {
      if (opts.signal?.aborted) return reject(opts.signal.reason);
      const out: Buffer[] = [];
      const err: Buffer[] = [];
      let settled = false;
      let timedOut = false;
      let timer: NodeJS.Timeout | undefined;
      let killTimer: NodeJS.Timeout | undefined;
      const child = spawn(argv[0]!, argv.slice(1), {
        stdio: ['pipe', 'pipe', 'pipe'],
        ...(opts.cwd !== undefined ? { cwd: opts.cwd } : {}),
        ...(opts.env ? { env: opts.env } : {}),
      });
      const finish = (r: Omit<RawResult, 'durationMs'> | { error: unknown }) => {
        if (settled) return;
        settled = true;
        if (timer) clearTimeout(timer);
        if (killTimer) clearTimeout(killTimer);
        opts.signal?.removeEventListener('abort', onAbort);
        if ('error' in r) reject(r.error);
        else resolve({ ...r, durationMs: performance.now() - t0 });
      };
      const kill = () => {
        child.kill('SIGTERM');
        killTimer ??= setTimeout(() => child.kill('SIGKILL'), this.killGraceMs);
      };
      const onAbort = () => {
        kill();
        finish({ error: opts.signal!.reason });
      };
      child.stdout.on('data', (d: Buffer) => out.push(d));
      child.stderr.on('data', (d: Buffer) => err.push(d));
      child.stdin.on('error', () => {
        /* the command exited without reading all of stdin */
      });
      child.on('error', (e: NodeJS.ErrnoException) => {
        const code = e.code === 'ENOENT' ? 127 : e.code === 'EACCES' ? 126 : 1;
        const why = e.code === 'ENOENT' ? 'command not found' : e.message;
        finish({ exitCode: code, signal: null, stdout: Buffer.alloc(0), stderr: Buffer.from(`${argv[0]}: ${why}\n`) });
      });
      child.on('exit', () => {
        // Grandchildren may keep the pipes open after a kill: stop waiting for them.
        if (timedOut) {
          child.stdout.destroy();
          child.stderr.destroy();
        }
      });
      child.on('close', (code, sig) => {
        let stderr = Buffer.concat(err);
        if (timedOut) stderr = Buffer.concat([stderr, Buffer.from(`timed out after ${opts.timeoutMs} ms\n`)]);
        finish({
          exitCode: timedOut ? null : code,
          signal: timedOut ? (sig ?? 'SIGTERM') : sig,
          stdout: Buffer.concat(out),
          stderr,
        });
      });
      if (opts.signal) onAbortOnce(opts.signal, onAbort);
      if (opts.timeoutMs !== undefined && opts.timeoutMs > 0) {
        timer = setTimeout(() => {
          timedOut = true;
          kill();
        }, opts.timeoutMs);
      }
      const input = opts.stdin;
      if (input !== undefined && input.length > 0) child.stdin.end(input);
      else child.stdin.end();
    });
  }

  async put(filePath: string, content: string | Buffer, opts: PutOptions = {}): Promise<void> {
    const user = becomeUser(opts.become, this.user);
    const data = typeof content === 'string' ? Buffer.from(content, 'utf8') : content;
    if (user !== undefined || opts.validate) {
      const argv = commandArgv(putCommand(filePath, opts, data.length, randomBytes(6).toString('hex')), { become: opts.become, loginUser: this.user });
      checkPut(this.host, filePath, await this.spawnRun(argv, { stdin: data }), opts.validate);
      return;
    }
    checkMode(opts.mode);
    const fail = (e: unknown): never => {
      throw new CommandError(
        this.host,
        ['put', filePath],
        1,
        e instanceof Error ? e.message : String(e),
        `cannot write ${filePath}`,
      );
    };
    let existing: Stats | undefined;
    try {
      existing = await fsp.stat(filePath);
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'ENOENT') fail(e);
    }
    const dir = path.dirname(filePath);
    const tmp = path.join(dir, `.${path.basename(filePath)}.${randomBytes(6).toString('hex')}`);
    try {
      const fh = await fsp.open(tmp, 'wx', 0o600);
      try {
        await fh.writeFile(data);
      } finally {
        await fh.close();
      }
      if (opts.owner || opts.group) {
        const spec = `${opts.owner ?? ''}${opts.group ? `:${opts.group}` : ''}`;
        const r = await this.spawnRun(['chown', '--', spec, tmp], {});
        if (r.exitCode !== 0) throw new Error(r.stderr.toString('utf8').trim() || `chown ${spec} failed`);
      } else if (existing && (existing.uid !== process.getuid?.() || existing.gid !== process.getgid?.())) {
        await fsp.chown(tmp, existing.uid, existing.gid).catch(() => {});
      }
      // After chown, which clears setuid/setgid bits.
      await fsp.chmod(tmp, opts.mode ?? (existing ? existing.mode & 0o7777 : 0o644));
      await fsp.rename(tmp, filePath);
    } catch (e) {
      await fsp.unlink(tmp).catch(() => {});
      fail(e);
    }
  }

  async get(filePath: string, opts: GetOptions = {}): Promise<Buffer | null> {
    const user = becomeUser(opts.become, this.user);
    if (user !== undefined) {
      const argv = commandArgv(getCommand(filePath), { become: opts.become!, loginUser: this.user });
      return getResult(this.host, filePath, await this.spawnRun(argv, {}));
    }
    try {
      return await fsp.readFile(filePath);
    } catch (e) {
      const code = (e as NodeJS.ErrnoException).code;
      if (code === 'ENOENT' || code === 'ENOTDIR') return null;
      throw new CommandError(this.host, ['get', filePath], 1, (e as Error).message, `cannot read ${filePath}`);
    }
  }

  forwardUnixSocket(socketPath: string): Promise<Duplex> {
    return new Promise((resolve, reject) => {
      const sock = net.connect(socketPath);
      const onError = (e: Error) => {
        reject(new ConnectionError(this.host, `cannot connect to unix socket ${socketPath}: ${e.message}`, { cause: e }));
      };
      sock.once('error', onError);
      sock.once('connect', () => {
        sock.off('error', onError);
        sock.on('error', () => {});
        resolve(sock);
      });
    });
  }

  async openStream(cmd: Command, opts: { become?: Become } = {}): Promise<Duplex> {
    const argv = commandArgv(cmd, { ...(opts.become ? { become: opts.become } : {}), loginUser: this.user });
    const child = spawn(argv[0]!, argv.slice(1), { stdio: ['pipe', 'pipe', 'pipe'] });
    const err: Buffer[] = [];
    const stream = new Duplex({
      read() {},
      write(chunk: Buffer, _enc, cb) {
        // A command that exits without reading all of its input is not a failure of the stream.
        if (child.stdin.destroyed || child.stdin.writableEnded) return cb();
        child.stdin.write(chunk, () => cb());
      },
      final(cb) {
        child.stdin.end();
        cb();
      },
      destroy(e, cb) {
        if (child.exitCode === null) child.kill('SIGTERM');
        cb(e);
      },
    });
    child.stdout.on('data', (d: Buffer) => stream.push(d));
    child.stderr.on('data', (d: Buffer) => err.push(d));
    child.stdin.on('error', () => {});
    stream.on('error', () => {});
    child.on('error', (e) => stream.destroy(new Error(`${this.host}: ${argv[0]}: ${e.message}`)));
    // Ends when the command has exited and its output is read, so a failure can carry its stderr.
    child.on('close', (code) => {
      if (code !== 0) {
        const why = Buffer.concat(err).toString('utf8').trim() || `exit status ${code}`;
        stream.destroy(new Error(`${this.host}: ${argv.join(' ')}: ${why}`));
      } else stream.push(null);
    });
    const s = stream as Duplex & Record<string, unknown>;
    for (const k of ['setKeepAlive', 'setNoDelay', 'ref', 'unref']) s[k] = () => stream;
    s.setTimeout = () => stream;
    return stream;
  }

  async close(): Promise<void> {}
}

function pick(opts: ExecOptions): Pick<SpawnOptions, 'stdin' | 'timeoutMs' | 'signal'> {
  return {
    ...(opts.stdin !== undefined ? { stdin: opts.stdin } : {}),
    ...(opts.timeoutMs !== undefined ? { timeoutMs: opts.timeoutMs } : {}),
    ...(opts.signal ? { signal: opts.signal } : {}),
  };
}
