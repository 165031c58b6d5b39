/**
 * A loop's items in two round trips instead of one or two each: every item's facts are read
 * in one, then every item's changes are made in one script (Transport.runSteps).
 *
 * Exactness is kept by doing each item twice on this side. First speculatively: its plan is
 * made from the facts read up front and its apply against a transport that records what it
 * would send and answers "done" (SpeculativeTransport). The recorded commands go to the host
 * in one script. Then each item runs again, now against what really came back
 * (ReplayTransport), so its result, undo record and output are the ones a plain run would give.
 *
 * An item's plan is made from facts read before the earlier items' changes. That is sound where
 * the plans' footprints (Plan.footprint) show that no earlier item wrote what it read; where
 * an earlier item made folders above it, the module tells what its read would give now
 * (ModuleDefinition.predictRead: a missing path's nearest existing folder moves down). Any
 * other item goes after a guard: the script reads its facts again, right there, and goes on
 * only if they are still exactly what its plan was made from. A guard that does not hold stops
 * the script and reads the later items' facts again, and the items from there go in another
 * round; a command that fails stops it too, and the items after it run one by one as usual.
 *
 * What the speculation may do is narrow: the plan's only contact is its first read, and the
 * apply's commands follow from the plan alone (ModuleDefinition.fusible); anything else ends
 * the fusion before that item (SpecStop).
 */
import { posix } from 'node:path';
import type { Footprint } from '../core/module.js';
import type { Command, ExecOptions, ExecResult, FirstStep, FusedStep, ReadStep, StepResult, Transport } from '../transport/types.js';
import { readKey } from '../transport/read-ahead.js';

/** Thrown inside a speculative item when it does what the fusion cannot carry. */
export class SpecStop extends Error {
  constructor(why: string) {
    super(`not fused: ${why}`);
  }
}

/** `p` is `dir` or inside it (both absolute and normalized). */
function within(p: string, dir: string): boolean {
  return p === dir || p.startsWith(dir === '/' ? '/' : `${dir}/`);
}

function parentOf(p: string): string {
  const i = p.lastIndexOf('/');
  return i <= 0 ? '/' : p.slice(0, i);
}

const normalAbsolute = (p: string) => p.startsWith('/') && posix.normalize(p) === p && (p === '/' || !p.endsWith('/'));

/** Whether a write to `w` (it and everything under it) can change what a plan read of `r`. */
export function affects(w: string, r: Footprint['reads'][number]): boolean {
  return within(r.path, w) || (r.kind === 'stat' && parentOf(w) === r.path);
}

/**
 * Whether an item needs a guard: something was written since its facts were read (`since`:
 * each earlier item's writes, undefined where not known) that can have changed them. An item
 * whose reads are not known is guarded after any write.
 */
export function needsGuard(reads: Footprint['reads'] | undefined, since: ReadonlyArray<readonly string[] | undefined>): boolean {
  if (since.length === 0) return false;
  if (!reads) return true;
  return since.some((ws) => ws === undefined || ws.some((w) => !normalAbsolute(w) || reads.some((r) => affects(w, r))));
}

/** Facts longer than this are not checked by a guard (the guard carries them in the script). */
const MAX_GUARD_STDOUT = 16 * 1024;

const DONE: ExecResult = { exitCode: 0, signal: null, stdout: '', stderr: '', durationMs: 0 };

/** A read step's options, as ReadStep keeps them. */
function readOpts(opts: ExecOptions): ReadStep['opts'] {
  return { ...(opts.become ? { become: opts.become } : {}), ...(opts.cwd !== undefined ? { cwd: opts.cwd } : {}), ...(opts.env ? { env: opts.env } : {}) };
}

/** What makes two ops the same op (signal aside). */
function opKey(step: FirstStep): string {
  if (step.op === 'exec') {
    const { signal: _signal, ...opts } = step.opts ?? {};
    return JSON.stringify(['exec', step.cmd, opts]);
  }
  const content = typeof step.content === 'string' ? step.content : step.content.toString('base64');
  return JSON.stringify(['put', step.path, content, step.opts ?? {}]);
}

function refuse(why: string): never {
  throw new SpecStop(why);
}

/** One item's speculative run: serves its plan's read from the facts read up front, records its apply's ops. */
export class SpeculativeTransport implements Transport {
  readonly host: string;
  /** The plan's read and what it was served. */
  read: { step: ReadStep; result: ExecResult } | undefined;
  readonly ops: FirstStep[] = [];
  /** Why the item cannot be fused, when it cannot. */
  stopped: string | undefined;
  /** Its plan's footprint, when the plan has one. */
  footprint: Footprint | undefined;

  constructor(
    private readonly canRun: (step: FirstStep) => boolean,
    private readonly facts: ReadonlyMap<string, ExecResult>,
    host: string,
  ) {
    this.host = host;
  }

  private stop(why: string): never {
    this.stopped ??= why;
    refuse(why);
  }

  connect(): Promise<void> {
    return Promise.resolve();
  }

  async exec(cmd: Command, opts: ExecOptions = {}): Promise<ExecResult> {
    if (opts.read && opts.stdin === undefined) {
      if (this.read || this.ops.length > 0) this.stop('a second read');
      const r = this.facts.get(readKey(cmd, opts));
      if (!r || r.exitCode === null || r.stderr !== '' || r.stdout.includes('\0') || r.stdout.length > MAX_GUARD_STDOUT) this.stop('facts a guard cannot check');
      this.read = { step: { cmd, opts: readOpts(opts) }, result: r };
      return { ...r };
    }
    const step: FirstStep = { op: 'exec', cmd, opts };
    if (!this.canRun(step)) this.stop('a command the script cannot carry');
    this.ops.push(step);
    return { ...DONE };
  }

  async put(path: string, content: string | Buffer, opts = {}): Promise<void> {
    const step: FirstStep = { op: 'put', path, content, opts };
    if (!this.canRun(step)) this.stop('a file the script cannot carry');
    this.ops.push(step);
  }

  get(): Promise<Buffer | null> {
    this.stop('a file read');
  }

  forwardUnixSocket(): never {
    this.stop('a socket');
  }

  close(): Promise<void> {
    return Promise.resolve();
  }

  /** The item's steps in the script: its guard (when asked for), then its ops. */
  steps(guarded: boolean): FusedStep[] {
    const guard = guarded && this.read ? { read: this.read.step, stdout: this.read.result.stdout, exitCode: this.read.result.exitCode! } : undefined;
    if (this.ops.length === 0) return guard ? [{ guard }] : [];
    return this.ops.map((op, i) => (i === 0 && guard ? { guard, op } : { op }));
  }
}

/**
 * One item's run against what the script really did: its read is served what the guard
 * confirmed, its ops what they returned. Ops past what ran go to the host (`live`) only when
 * nothing after this item ran; a different op than recorded is a module breaking its
 * `fusible` promise, and fails the item.
 */
export class ReplayTransport implements Transport {
  readonly host: string;
  private readServed = false;
  private next = 0;

  constructor(
    private readonly live: Transport,
    private readonly spec: SpeculativeTransport,
    private readonly results: ReadonlyArray<StepResult | undefined>,
    /** Whether the script ran nothing after this item (so this item may still send more). */
    private readonly last: boolean,
  ) {
    this.host = live.host;
  }

  /** Whether exec(cmd, opts) is answered from the script (no round trip). */
  serves(cmd: Command, opts: ExecOptions = {}): boolean {
    if (opts.read && !this.readServed && this.spec.read && readKey(cmd, opts) === readKey(this.spec.read.step.cmd, this.spec.read.step.opts)) return true;
    return !opts.read && this.results[this.next] !== undefined;
  }

  /** Whether put() is answered from the script. */
  servesPut(): boolean {
    return this.results[this.next] !== undefined;
  }

  connect(): Promise<void> {
    return this.live.connect();
  }

  private take(step: FirstStep): StepResult | undefined {
    const i = this.next;
    const recorded = this.spec.ops[i];
    if (recorded === undefined || this.results[i] === undefined) {
      if (!this.last) throw new Error(`internal error: a fused item sent more than its speculative run recorded (${step.op})`);
      return undefined;
    }
    if (opKey(recorded) !== opKey(step)) throw new Error(`internal error: a fused item's apply sent another ${step.op} than its speculative run recorded`);
    this.next++;
    return this.results[i];
  }

  async exec(cmd: Command, opts: ExecOptions = {}): Promise<ExecResult> {
    const read = this.spec.read;
    if (opts.read && opts.stdin === undefined && !this.readServed && read && readKey(cmd, opts) === readKey(read.step.cmd, read.step.opts)) {
      this.readServed = true;
      return { ...read.result, durationMs: 0 };
    }
    const got = this.take({ op: 'exec', cmd, opts });
    if (got === undefined) return this.live.exec(cmd, opts);
    if (got.op !== 'exec') throw new Error('internal error: a fused item\'s result is not a command\'s');
    return got.result;
  }

  async put(path: string, content: string | Buffer, opts = {}): Promise<void> {
    const got = this.take({ op: 'put', path, content, opts });
    if (got === undefined) return this.live.put(path, content, opts);
    if (got.op !== 'put') throw new Error('internal error: a fused item\'s result is not a file write\'s');
    if (got.error) throw got.error;
  }

  get(path: string, opts?: Parameters<Transport['get']>[1]): Promise<Buffer | null> {
    if (!this.last) throw new Error('internal error: a fused item read a file after its script');
    return this.live.get(path, opts);
  }

  forwardUnixSocket(path: string): ReturnType<Transport['forwardUnixSocket']> {
    if (!this.last) throw new Error('internal error: a fused item opened a socket after its script');
    return this.live.forwardUnixSocket(path);
  }

  close(): Promise<void> {
    return Promise.resolve();
  }
}
