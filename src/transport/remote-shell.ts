/**
 * One long-lived `sh` per host, fed command lines on its stdin: a command costs one network
 * round trip instead of a new SSH session (channel open, sshd's session setup, a login shell),
 * which measured 25-30 ms a command with 10 hosts at once on the test fleet against 2-3 ms.
 *
 * Each line runs as `(eval "$line") </dev/null` in a subshell, so nothing it does (cd, umask,
 * exit, a syntax error) reaches the shell or the next command; after it, a marker with a fresh
 * random nonce and the exit status goes to stdout, and one to stderr, which is how each
 * command's output and status are told apart. One command at a time; the caller uses a session
 * of its own for what the shell cannot carry (stdin, time limits) or while it is busy.
 */
import type { RawResult } from './common.js';
import { endMarks, fusedNonce, markBytes } from './fused.js';
import { quote } from './quote.js';

/** What the shell needs of an exec channel (ssh2's ClientChannel is one; ssh.ts opens it). */
export interface ShellChannel {
  write(text: string): unknown;
  end(): unknown;
  close(): unknown;
  on(event: 'data', fn: (d: Buffer) => void): unknown;
  on(event: 'error' | 'close', fn: () => void): unknown;
  stderr: { on(event: 'data', fn: (d: Buffer) => void): unknown; on(event: 'error', fn: () => void): unknown };
}

interface Pending {
  mark: Buffer;
  errMark: Buffer;
  t0: number;
  resolve: (r: RawResult) => void;
  reject: (e: unknown) => void;
}

export class RemoteShell {
  private out: Buffer[] = [];
  private err: Buffer[] = [];
  private pending: Pending | undefined;
  private ended = false;

  constructor(
    private readonly stream: ShellChannel,
    /** What a command still running when the shell ends is rejected with. */
    private readonly lost: () => Error,
    /** Shell text run once, in the shell itself, before any command (it must print nothing). */
    init?: string,
  ) {
    if (init !== undefined) stream.write(`${init}\n`);
    stream.on('data', (d: Buffer) => {
      this.out.push(d);
      this.check();
    });
    stream.stderr.on('data', (d: Buffer) => {
      this.err.push(d);
      this.check();
    });
    stream.on('error', () => {});
    stream.stderr.on('error', () => {});
    stream.on('close', () => {
      this.ended = true;
      const p = this.pending;
      this.pending = undefined;
      p?.reject(this.lost());
    });
  }

  /** Open, and not running a command. */
  get idle(): boolean {
    return !this.ended && this.pending === undefined;
  }

  get open(): boolean {
    return !this.ended;
  }

  /** Run one command line (as commandLine builds them); only when {@link idle}. */
  run(line: string, signal?: AbortSignal): Promise<RawResult> {
    if (!this.idle) return Promise.reject(new Error('the remote shell is busy'));
    const nonce = fusedNonce();
    this.out = [];
    this.err = [];
    return new Promise<RawResult>((resolve, reject) => {
      const onAbort = () => {
        // The command cannot be stopped alone: end the shell (its session closes, as a
        // command's own session would).
        this.pending = undefined;
        this.close();
        done(() => reject(signal!.reason));
      };
      if (signal?.aborted) return reject(signal.reason);
      signal?.addEventListener('abort', onAbort, { once: true });
      const done = (fn: () => void) => {
        signal?.removeEventListener('abort', onAbort);
        fn();
      };
      const marks = markBytes(nonce);
      this.pending = {
        mark: marks.out,
        errMark: marks.err,
        t0: performance.now(),
        resolve: (r) => done(() => resolve(r)),
        reject: (e) => done(() => reject(e)),
      };
      this.stream.write(`l=${quote(line)}\n(eval "$l") </dev/null\n${endMarks(nonce)}\n`);
    });
  }

  /** Ends the shell: EOF on its stdin, then the channel. */
  close(): void {
    if (this.ended) return;
    this.ended = true;
    try {
      this.stream.end();
      this.stream.close();
    } catch {
      /* already gone */
    }
  }

  private check(): void {
    const p = this.pending;
    if (!p) return;
    // The markers come last: look in the last bytes only (a large output is not re-read).
    const outTail = tail(this.out, p.mark.length + 24);
    const at = outTail.buf.indexOf(p.mark);
    if (at < 0) return;
    const eol = outTail.buf.indexOf(0x0a, at + p.mark.length);
    if (eol < 0) return;
    const errTail = tail(this.err, p.errMark.length);
    if (errTail.buf.indexOf(p.errMark) !== errTail.buf.length - p.errMark.length || errTail.buf.length < p.errMark.length) return;
    const status = Number(outTail.buf.subarray(at + p.mark.length, eol).toString('latin1'));
    const out = Buffer.concat(this.out);
    const err = Buffer.concat(this.err);
    this.pending = undefined;
    this.out = [];
    this.err = [];
    p.resolve({
      exitCode: Number.isInteger(status) ? status : null,
      signal: null,
      stdout: out.subarray(0, outTail.start + at),
      stderr: err.subarray(0, err.length - p.errMark.length),
      durationMs: performance.now() - p.t0,
    });
  }
}

/** The last `n` bytes (or fewer) of chunks, and where they start in the whole. */
function tail(chunks: Buffer[], n: number): { buf: Buffer; start: number } {
  let total = 0;
  for (const c of chunks) total += c.length;
  const parts: Buffer[] = [];
  let got = 0;
  for (let i = chunks.length - 1; i >= 0 && got < n; i--) {
    parts.unshift(chunks[i]!);
    got += chunks[i]!.length;
  }
  const buf = Buffer.concat(parts);
  const cut = Math.max(0, buf.length - n);
  return { buf: buf.subarray(cut), start: total - buf.length + cut };
}
