import type { Duplex } from 'node:stream';

/** Run as another user through non-interactive sudo. */
export interface Become {
  /** Target user; default root. */
  user?: string;
}

/**
 * What to run: an argv array (each element arrives byte-exact, quoted by the transport alone)
 * or a POSIX sh script (run as `sh -c SCRIPT`; the script itself is passed byte-exact).
 * `inline` marks a script of runbook's own (fixed text, values only as arguments, parses alone,
 * no use of $0): where it would run in a POSIX sh that runbook started anyway, it runs there in a
 * subshell instead of a `sh -c` of its own, which saves the host an exec per command. A user's
 * script is never inline.
 */
export type Command = readonly string[] | { readonly script: string; readonly args?: readonly string[]; readonly inline?: boolean };

export interface ExecOptions {
  stdin?: string | Buffer;
  env?: Record<string, string>;
  cwd?: string;
  /** Kill the command (and fail with signal) after this many milliseconds. */
  timeoutMs?: number;
  become?: Become;
  signal?: AbortSignal;
  /**
   * The command only reads the host (facts): its result may be read ahead, in the round trip
   * of an earlier command, and served from there while nothing has written to the host since.
   */
  read?: boolean;
  /**
   * Run in an SSH session of its own, never in the host's long-lived shell: a user's command
   * may start a background process that keeps writing to its output, which in the shell would
   * reach the next command (in a session it only delays the end, as in Ansible).
   */
  ownSession?: boolean;
}

/** A finished command. A non-zero exit is a value here, never a throw. */
export interface ExecResult {
  exitCode: number | null;
  signal: string | null;
  stdout: string;
  stderr: string;
  durationMs: number;
}

export interface PutOptions {
  /** File mode, e.g. 0o644. Default: keep the existing file's mode, else 0o644 (umask-free). */
  mode?: number;
  owner?: string;
  group?: string;
  become?: Become;
  /**
   * Check the new content before it takes effect (like Ansible's `validate: %s`): an argv whose
   * argument that is exactly `%s` becomes the temp file's path; run after the content is written
   * and before the rename. A non-zero exit leaves the old file in place and fails the put with
   * the command's output.
   */
  validate?: readonly string[];
}

export interface GetOptions {
  become?: Become;
}

/** What `execThen` runs first: a command, or a file write (as `exec` and `put` would). */
export type FirstStep =
  | { op: 'exec'; cmd: Command; opts?: ExecOptions }
  | { op: 'put'; path: string; content: string | Buffer; opts?: PutOptions };

/** A read sent after a first step in the same round trip (stdin: nothing). */
export interface ReadStep {
  cmd: Command;
  opts?: Omit<ExecOptions, 'stdin' | 'timeoutMs' | 'signal'>;
}

/**
 * One step of Transport.runSteps: a command or file write, after an optional guard. A guard is
 * a read made on the host at that point of the run: the run goes on only if the read gives
 * exactly what the engine planned from (the same stdout and exit status, and no stderr).
 */
export interface FusedStep {
  guard?: { read: ReadStep; stdout: string; exitCode: number };
  /** Absent: the step is its guard alone. */
  op?: FirstStep;
}

/** What a step of runSteps did: its guard held and its command ran (result) or its put was made (error: it failed). */
export type StepResult = { op: 'exec'; result: ExecResult } | { op: 'put'; error?: Error } | { op: 'guard' };

/** What Transport.runSteps did. */
export interface StepsRun {
  steps: Array<StepResult | undefined>;
  reads: Array<ExecResult | undefined>;
  stale?: Array<ExecResult | undefined>;
}

/** How the engine reaches one host. Connection failures throw ConnectionError. */
export interface Transport {
  readonly host: string;
  /** Open the connection now (exec/put/get connect lazily too). */
  connect(): Promise<void>;
  exec(cmd: Command, opts?: ExecOptions): Promise<ExecResult>;
  /** Write a file atomically (temp file in the same folder + rename). */
  put(path: string, content: string | Buffer, opts?: PutOptions): Promise<void>;
  /** Read a file; null when it does not exist. */
  get(path: string, opts?: GetOptions): Promise<Buffer | null>;
  /** A stream connected to a unix socket on the host (e.g. /var/run/docker.sock). */
  forwardUnixSocket(path: string): Promise<Duplex>;
  /**
   * A command whose stdin and stdout are the returned stream (e.g. `docker system dial-stdio`
   * run through sudo, to reach a socket the login user cannot open). The stream errors with
   * the command's stderr when it exits non-zero.
   */
  openStream?(cmd: Command, opts?: { become?: Become }): Promise<Duplex>;
  /**
   * Run `first` and then each read in one round trip; the first step's result is what exec
   * (or put: undefined) gives, each read's result is its own (undefined when the run was cut
   * before it). Only transports whose round trips cost something have it (ssh, not local).
   */
  execThen?(first: FirstStep, reads: readonly ReadStep[]): Promise<{ first: ExecResult | undefined; reads: Array<ExecResult | undefined> }>;
  /** Whether `step` can be an op of runSteps (a command with no stdin or time limit, a put of small text). */
  canRunInSteps?(step: FirstStep): boolean;
  /**
   * Steps one after the other in one round trip, then the reads (as execThen's). A guard that
   * does not hold stops the run before its op; an op that fails (non-zero exit) stops it after
   * itself; a run too long for one command line stops before the step that does not fit. The
   * result of each step the run reached, undefined from where it stopped; the reads' only when
   * every step ran. When a guard stopped the run, `stale` holds, by step, what that guard's read
   * and every later guard's read give at that point.
   */
  runSteps?(steps: readonly FusedStep[], reads: readonly ReadStep[]): Promise<StepsRun>;
  close(): Promise<void>;
}

/** Connection settings of one host, resolved from inventory variables. */
export interface ConnectionSpec {
  host: string; // inventory name
  connection: 'ssh' | 'local';
  address: string; // ansible_host or the name
  port: number;
  user?: string;
  privateKeyFile?: string;
  password?: string;
  knownHostsFile?: string;
  strictHostKeyChecking: 'yes' | 'no' | 'accept-new';
  proxyJump?: string;
  connectTimeoutMs: number;
  become?: Become;
}
