import { Duplex } from 'node:stream';
import type {
  Command,
  ExecOptions,
  ExecResult,
  GetOptions,
  PutOptions,
  Transport,
} from '../../src/transport/types.js';

/**
 * A scripted Transport for unit tests: records every command, answers them from rules (first
 * matching rule wins; one-shot rules are used up), and keeps put/get in an in-memory file system.
 */

export interface ExecCall {
  cmd: Command;
  opts?: ExecOptions;
  /** The command as argv: an argv as given, a script as ['sh', '-c', script, 'sh', ...args]. */
  argv: string[];
  /** The script text of a {script} command. */
  script?: string;
  /** The args of a {script} command (or argv[1..] of an argv command). */
  args: string[];
}

export interface PutCall {
  path: string;
  content: Buffer;
  opts?: PutOptions;
}

export interface FakeFile {
  content: Buffer;
  mode: number;
  owner?: string;
  group?: string;
}

export type Reply =
  | Partial<ExecResult>
  | ((call: ExecCall, t: FakeTransport) => Partial<ExecResult> | Promise<Partial<ExecResult>>);

/** A string matches a command whose argv, joined with spaces, contains it. */
export type Matcher = string | RegExp | ((call: ExecCall) => boolean);

interface Rule {
  match: Matcher;
  reply: Reply;
  once: boolean;
  used: boolean;
}

export function toArgv(cmd: Command): string[] {
  if (Array.isArray(cmd)) return [...(cmd as readonly string[])];
  const s = cmd as { script: string; args?: readonly string[] };
  return ['sh', '-c', s.script, 'sh', ...(s.args ?? [])];
}

function matches(m: Matcher, call: ExecCall): boolean {
  if (typeof m === 'function') return m(call);
  const text = call.argv.join(' ');
  return typeof m === 'string' ? text.includes(m) : m.test(text);
}

export class FakeTransport implements Transport {
  readonly calls: ExecCall[] = [];
  readonly puts: PutCall[] = [];
  readonly files = new Map<string, FakeFile>();
  connected = false;
  closed = false;
  /** When true, a command no rule matches throws instead of answering exit 0 with no output. */
  strict = false;
  private rules: Rule[] = [];

  constructor(readonly host = 'fake') {}

  /** Answer every matching command with `reply`. */
  on(match: Matcher, reply: Reply): this {
    this.rules.push({ match, reply, once: false, used: false });
    return this;
  }

  /** Answer the next matching command with `reply`, once. */
  once(match: Matcher, reply: Reply): this {
    this.rules.push({ match, reply, once: true, used: false });
    return this;
  }

  /** Calls whose argv contains `text` (or matches). */
  callsMatching(m: Matcher): ExecCall[] {
    return this.calls.filter((c) => matches(m, c));
  }

  async connect(): Promise<void> {
    this.connected = true;
  }

  async exec(cmd: Command, opts?: ExecOptions): Promise<ExecResult> {
    const argv = toArgv(cmd);
    const isScript = !Array.isArray(cmd);
    const call: ExecCall = {
      cmd,
      opts,
      argv,
      script: isScript ? (cmd as { script: string }).script : undefined,
      args: isScript ? argv.slice(4) : argv.slice(1),
    };
    this.calls.push(call);
    const rule = this.rules.find((r) => !(r.once && r.used) && matches(r.match, call));
    if (!rule) {
      if (this.strict) throw new Error(`FakeTransport: no rule for command: ${argv.join(' ')}`);
      return { exitCode: 0, signal: null, stdout: '', stderr: '', durationMs: 0 };
    }
    rule.used = true;
    const r = typeof rule.reply === 'function' ? await rule.reply(call, this) : rule.reply;
    return { exitCode: 0, signal: null, stdout: '', stderr: '', durationMs: 0, ...r };
  }

  async put(path: string, content: string | Buffer, opts?: PutOptions): Promise<void> {
    const buf = typeof content === 'string' ? Buffer.from(content) : Buffer.from(content);
    this.puts.push({ path, content: buf, opts });
    const prev = this.files.get(path);
    this.files.set(path, {
      content: buf,
      mode: opts?.mode ?? prev?.mode ?? 0o644,
      owner: opts?.owner ?? prev?.owner,
      group: opts?.group ?? prev?.group,
    });
  }

  async get(path: string, _opts?: GetOptions): Promise<Buffer | null> {
    return this.files.get(path)?.content ?? null;
  }

  async forwardUnixSocket(path: string): Promise<Duplex> {
    throw new Error(`FakeTransport: no unix socket ${path}`);
  }

  async close(): Promise<void> {
    this.closed = true;
  }
}
