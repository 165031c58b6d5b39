import type { Duplex } from 'node:stream';
import type { Become, Command, ExecOptions, ExecResult, FirstStep, FusedStep, GetOptions, PutOptions, ReadStep, StepsRun, Transport } from './types.js';

/**
 * A host's transport that reads ahead: the engine names the reads (facts) the coming tasks will
 * probably make, and the next command sent to the host carries them in the same round trip
 * (Transport.execThen). When a task then makes one of those reads, its result is served from
 * here, without a round trip.
 *
 * What is served is exactly what the read would give if sent now: a result is kept only while
 * nothing has been sent to the host that could change it (any command that is not a read, a
 * put, a stream, a Docker request: `forget`), for at most `maxAgeMs`, and is used once. A
 * guess that was wrong only costs the read it sent for nothing.
 */
export class ReadAhead implements Transport {
  readonly host: string;
  private readonly kept = new Map<string, { result: ExecResult; at: number }>();
  private wanted: ReadStep[] = [];
  /** Bumped by every change: reads that were in flight across one are not kept. */
  private generation = 0;
  private carryNow: number;

  constructor(
    readonly inner: Transport,
    private readonly maxAgeMs = 30_000,
    /**
     * Expected reads one command carries: the next step's. More would save round trips on a
     * rerun, but on a first run each change throws away what was read before it, and every
     * read is work on the host (a facts script forks stat, id…); measured on the bench fleet,
     * carrying 8 made first runs 20–40 % slower and reruns no faster.
     */
    private readonly carry = 1,
  ) {
    this.host = inner.host;
    this.carryNow = carry;
  }

  /** The reads the coming tasks will probably make, replacing the last guess; `carry`: how many to send with one command this time (default the constructor's). */
  expect(reads: readonly ReadStep[], carry?: number): void {
    const seen = new Set<string>();
    this.carryNow = carry ?? this.carry;
    this.wanted = [];
    for (const r of reads) {
      const key = keyOf(r);
      // Kept ones stay expected too: a write before they are used makes them stale.
      if (seen.has(key)) continue;
      seen.add(key);
      this.wanted.push(r);
    }
  }

  /** Whether exec(cmd, opts) would be served from what was read ahead. */
  serves(cmd: Command, opts: ExecOptions = {}): boolean {
    return Boolean(opts.read) && opts.stdin === undefined && this.fresh(readKey(cmd, opts)) !== undefined;
  }

  /** Something may have changed the host: nothing read before now is served. */
  forget(): void {
    this.generation++;
    this.kept.clear();
  }

  connect(): Promise<void> {
    return this.inner.connect();
  }

  async exec(cmd: Command, opts: ExecOptions = {}): Promise<ExecResult> {
    const isRead = Boolean(opts.read) && opts.stdin === undefined;
    if (isRead) {
      const key = readKey(cmd, opts);
      // Made now, so no longer expected.
      this.wanted = this.wanted.filter((r) => keyOf(r) !== key);
      const hit = this.fresh(key);
      if (hit) {
        this.kept.delete(key);
        return { ...hit.result, durationMs: 0 };
      }
    } else {
      this.forget();
    }
    const reads = this.takeWanted();
    // A command with a time limit runs alone: its own exit and signal must come back as they are.
    if (!this.inner.execThen || reads.length === 0 || opts.timeoutMs !== undefined) return this.inner.exec(cmd, opts);
    const gen = this.generation;
    const { first, reads: got } = await this.inner.execThen({ op: 'exec', cmd, opts }, reads);
    this.keep(reads, got, gen);
    return first!;
  }

  async put(path: string, content: string | Buffer, opts: PutOptions = {}): Promise<void> {
    this.forget();
    const reads = this.takeWanted();
    if (!this.inner.execThen || reads.length === 0) return this.inner.put(path, content, opts);
    const gen = this.generation;
    const { reads: got } = await this.inner.execThen({ op: 'put', path, content, opts }, reads);
    this.keep(reads, got, gen);
  }

  /**
   * Each read's result, those not kept sent together in one round trip (reads change nothing
   * on the host, so nothing kept is forgotten). `sent`: whether a round trip was made.
   */
  async readAll(reads: readonly ReadStep[]): Promise<{ results: ExecResult[]; sent: boolean }> {
    const results: Array<ExecResult | undefined> = reads.map((r) => {
      const key = keyOf(r);
      this.wanted = this.wanted.filter((w) => keyOf(w) !== key);
      const hit = this.fresh(key);
      if (!hit) return undefined;
      this.kept.delete(key);
      return { ...hit.result, durationMs: 0 };
    });
    const missing = reads.filter((_, i) => results[i] === undefined);
    if (missing.length > 0) {
      const [first, ...rest] = missing;
      const firstOpts = { ...(first!.opts ?? {}), read: true };
      // The expected reads of what comes next ride along too.
      const asked = new Set(missing.map(keyOf));
      const extra = this.inner.execThen ? this.takeWanted().filter((w) => !asked.has(keyOf(w))) : [];
      const gen = this.generation;
      const got = this.inner.execThen && rest.length + extra.length > 0 ? await this.inner.execThen({ op: 'exec', cmd: first!.cmd, opts: firstOpts }, [...rest, ...extra]) : undefined;
      if (got) this.keep(extra, got.reads.slice(rest.length), gen);
      const all = got ? [got.first, ...got.reads.slice(0, rest.length)] : [];
      let j = 0;
      for (let i = 0; i < reads.length; i++) {
        if (results[i] !== undefined) continue;
        const r = reads[i]!;
        // A read the round trip did not reach (cut short) is made alone.
        results[i] = all[j] ?? (await this.inner.exec(r.cmd, { ...(r.opts ?? {}), read: true }));
        j++;
      }
    }
    return { results: results as ExecResult[], sent: missing.length > 0 };
  }

  /** Whether the host's transport can run steps (runSteps) at all; RUNBOOK_FUSE=0 turns fusing off. */
  get fuses(): boolean {
    return Boolean(this.inner.runSteps) && process.env.RUNBOOK_FUSE !== '0';
  }

  canRunInSteps(step: FirstStep): boolean {
    return this.inner.canRunInSteps?.(step) ?? false;
  }

  /** Steps (Transport.runSteps) change the host: nothing read before is served after; the expected reads ride along. */
  async runSteps(steps: readonly FusedStep[], reads: readonly ReadStep[]): Promise<StepsRun> {
    if (!this.inner.runSteps) throw new TypeError('the transport cannot run steps');
    this.forget();
    const wanted = this.takeWanted();
    const gen = this.generation;
    const r = await this.inner.runSteps(steps, [...reads, ...wanted]);
    this.keep(wanted, r.reads.slice(reads.length), gen);
    return { ...r, reads: r.reads.slice(0, reads.length) };
  }

  /** A file's content: read, not kept (it changes nothing on the host either). */
  get(path: string, opts?: GetOptions): Promise<Buffer | null> {
    return this.inner.get(path, opts);
  }

  forwardUnixSocket(path: string): Promise<Duplex> {
    this.forget();
    return this.inner.forwardUnixSocket(path);
  }

  get openStream(): Transport['openStream'] {
    const open = this.inner.openStream?.bind(this.inner);
    if (!open) return undefined;
    return (cmd: Command, opts?: { become?: Become }) => {
      this.forget();
      return open(cmd, opts);
    };
  }

  close(): Promise<void> {
    this.forget();
    this.wanted = [];
    return this.inner.close();
  }

  private fresh(key: string): { result: ExecResult; at: number } | undefined {
    const k = this.kept.get(key);
    if (k && Date.now() - k.at > this.maxAgeMs) {
      this.kept.delete(key);
      return undefined;
    }
    return k;
  }

  /**
   * The first expected reads not kept now (at most `carry`). They stay expected: a write after
   * them makes them stale, and the write then carries them again, so what the coming task
   * reads is read after the current task's last change.
   */
  private takeWanted(): ReadStep[] {
    return this.wanted.filter((r) => !this.fresh(keyOf(r))).slice(0, this.carryNow);
  }

  private keep(reads: readonly ReadStep[], got: Array<ExecResult | undefined>, gen: number): void {
    if (gen !== this.generation) return;
    const at = Date.now();
    reads.forEach((r, i) => {
      const result = got[i];
      if (result) this.kept.set(keyOf(r), { result, at });
    });
  }
}

const stepKeys = new WeakMap<ReadStep, string>();

/** {@link readKey} of an expected read, computed once (a facts script can be kilobytes long). */
function keyOf(r: ReadStep): string {
  let k = stepKeys.get(r);
  if (k === undefined) {
    k = readKey(r.cmd, r.opts);
    stepKeys.set(r, k);
  }
  return k;
}

/** What makes two reads the same read: the command, and who runs it where with what environment. */
export function readKey(cmd: Command, opts: Omit<ExecOptions, 'stdin' | 'signal' | 'timeoutMs'> = {}): string {
  // A script stands in by a number: it is kilobytes long and the same few scripts come back.
  const c = Array.isArray(cmd) ? cmd : [scriptNumber((cmd as { script: string }).script), (cmd as { args?: readonly string[] }).args ?? []];
  return JSON.stringify([c, opts.become ? (opts.become.user ?? 'root') : null, opts.cwd ?? null, opts.env ?? null]);
}

const scriptNumbers = new Map<string, number>();
let lastScriptNumber = 0;

/** A number for each script text; never given to two texts (a full map is emptied, the count goes on). */
function scriptNumber(script: string): number {
  let n = scriptNumbers.get(script);
  if (n === undefined) {
    if (scriptNumbers.size >= 1024) scriptNumbers.clear();
    n = ++lastScriptNumber;
    scriptNumbers.set(script, n);
  }
  return n;
}
