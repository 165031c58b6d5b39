/**
 * The one place where commands become shell text.
 *
 * Every remote command is a single string that the login user's shell parses (that is how SSH
 * exec works). Each word of that string is produced by `quote()`, so an argument arrives as
 * exactly the bytes it was: spaces, quotes, `$()`, backticks, globs, newlines and non-ASCII
 * included. Nothing here runs a command.
 */
import type { Become, Command } from './types.js';

/** Characters that never mean anything to a POSIX shell (nor bash, nor zsh) inside a word. */
const SAFE_WORD = /^[A-Za-z0-9_\/.,:@%+-]+$/;

/** A valid environment variable name (what `env` and every shell accept). */
const ENV_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;

export function assertEnvName(k: string): void {
  if (!ENV_NAME.test(k)) throw new TypeError(`invalid environment variable name: ${JSON.stringify(k)}`);
}

/**
 * Quote one argument for a POSIX shell: bare when it holds only inert characters, otherwise in
 * single quotes with each `'` written as `'\''`. The empty string becomes `''`.
 */
export function quote(arg: string): string {
  if (typeof arg !== 'string') throw new TypeError(`cannot quote a ${typeof arg}: every argument must be a string`);
  if (arg.includes('\0')) throw new TypeError(`an argument cannot contain a NUL byte: ${JSON.stringify(arg)}`);
  if (SAFE_WORD.test(arg)) return arg;
  return `'${arg.replace(/'/g, `'\\''`)}'`;
}

/** Quote each argument and join them with spaces. */
export function quoteArgv(argv: readonly string[]): string {
  return argv.map(quote).join(' ');
}

export interface CommandLineOptions {
  cwd?: string;
  env?: Record<string, string>;
  become?: Become;
  /** The user the command starts as (the SSH login user); become to that user needs no sudo. */
  loginUser?: string;
  /**
   * Run the command under `timeout` on the host, so the host itself ends it (TERM, then KILL
   * after KILL_AFTER_S seconds; exit status 124 or 137). SSH cannot be relied on to deliver
   * signals: OpenSSH refuses "signal" requests for root sessions.
   */
  timeoutMs?: number;
}

/** Seconds between TERM and KILL for a command run with a timeout. */
export const KILL_AFTER_S = 2;

/** `timeout -k 2 SECS` words for a timeout in milliseconds. */
export function timeoutArgv(timeoutMs: number | undefined): string[] {
  if (timeoutMs === undefined) return [];
  if (!(timeoutMs > 0) || !Number.isFinite(timeoutMs)) throw new TypeError(`invalid timeout: ${timeoutMs} ms`);
  const secs = (Math.max(1, Math.round(timeoutMs)) / 1000).toFixed(3).replace(/\.?0+$/, '');
  return ['timeout', '-k', String(KILL_AFTER_S), secs];
}

/** The user to become, or undefined when no sudo is needed. */
export function becomeUser(become: Become | undefined, loginUser: string | undefined): string | undefined {
  if (!become) return undefined;
  const user = become.user && become.user.length > 0 ? become.user : 'root';
  if (loginUser !== undefined && user === loginUser) return undefined;
  return user;
}

/** The sudo prefix that runs a command as `user` without asking for a password. */
export function sudoArgv(user: string): string[] {
  if (user.startsWith('-')) throw new TypeError(`invalid become user: ${JSON.stringify(user)}`);
  return user === 'root' ? ['sudo', '-n', '--'] : ['sudo', '-n', '-H', '-u', user, '--'];
}

/** The argv of a command: an argv as given, a script as `sh -c SCRIPT sh ARGS...`. */
export function baseArgv(cmd: Command): string[] {
  if (isScript(cmd)) {
    if (typeof cmd.script !== 'string') throw new TypeError('a script command needs a string `script`');
    return ['sh', '-c', cmd.script, 'sh', ...(cmd.args ?? [])];
  }
  if (!Array.isArray(cmd) || cmd.length === 0) throw new TypeError('a command needs at least one argv element');
  return [...(cmd as readonly string[])];
}

export function isScript(cmd: Command): cmd is { readonly script: string; readonly args?: readonly string[]; readonly inline?: boolean } {
  return !Array.isArray(cmd) && typeof cmd === 'object' && cmd !== null && 'script' in cmd;
}

/** `env K=V ...` words, with names validated. */
export function envArgv(env: Record<string, string> | undefined): string[] {
  if (!env) return [];
  const out: string[] = [];
  for (const [k, v] of Object.entries(env)) {
    assertEnvName(k);
    if (typeof v !== 'string') throw new TypeError(`environment variable ${k} must be a string`);
    out.push(`${k}=${v}`);
  }
  return out.length > 0 ? ['env', ...out] : [];
}

/** Changes directory (failing when it cannot) and then runs its arguments. */
export const CD_WRAPPER = 'cd -- "$1" || exit 1; shift; exec "$@"';

/**
 * The full argv of a command with its become, timeout, cwd and env applied, for running without
 * a shell (the local transport). Order: sudo → timeout → cd wrapper → env → command, so that the
 * directory change happens as the target user and the environment survives sudo's env_reset.
 */
export function commandArgv(cmd: Command, opts: CommandLineOptions = {}): string[] {
  const user = becomeUser(opts.become, opts.loginUser);
  const out: string[] = [];
  if (user !== undefined) out.push(...sudoArgv(user));
  out.push(...timeoutArgv(opts.timeoutMs));
  if (opts.cwd !== undefined) out.push('sh', '-c', CD_WRAPPER, 'sh', opts.cwd);
  out.push(...envArgv(opts.env), ...baseArgv(cmd));
  return out;
}

/**
 * The remote command string of a command for the login shell. The command always starts with
 * `exec`, so argv[0] is run as a program (never a shell function, alias, keyword or builtin of
 * the login shell) and the login shell does not linger; a cwd without become is a plain `cd`.
 *
 *   ['ls', '-l', 'a b']              → exec ls -l 'a b'
 *   {script: 'echo "$1"', args: [x]} → exec sh -c 'echo "$1"' sh x
 *   with cwd /srv                    → cd -- /srv && exec ...
 *   with env {A: '1 2'}              → exec env 'A=1 2' ...
 *   with become deploy               → exec sudo -n -H -u deploy -- ...
 *   with become root + cwd           → exec sudo -n -- sh -c 'cd -- "$1" || exit 1; ...' sh /srv ...
 *   with timeoutMs 1500              → exec timeout -k 2 1.5 ...
 */
export function commandLine(cmd: Command, opts: CommandLineOptions = {}): string {
  const user = becomeUser(opts.become, opts.loginUser);
  if (user === undefined && opts.cwd !== undefined) {
    const rest = [...timeoutArgv(opts.timeoutMs), ...envArgv(opts.env), ...baseArgv(cmd)];
    return `cd -- ${quote(opts.cwd)} && exec ${quoteArgv(rest)}`;
  }
  return `exec ${quoteArgv(commandArgv(cmd, opts))}`;
}

/**
 * The command as text for a POSIX sh that runbook started (the host's long-lived shell, a fused
 * script), where it runs in a subshell of its own: an inline script with nothing around it
 * (no become, time limit, cwd or env) becomes `set -- ARGS` and the script itself, which costs
 * the host no exec; anything else is its {@link commandLine}.
 *
 *   {script: 'echo "$1"', args: [x], inline: true} → set -- x⏎echo "$1"⏎
 */
export function shellLine(cmd: Command, opts: CommandLineOptions = {}): string {
  if (
    isScript(cmd) &&
    cmd.inline === true &&
    becomeUser(opts.become, opts.loginUser) === undefined &&
    opts.timeoutMs === undefined &&
    opts.cwd === undefined &&
    (opts.env === undefined || Object.keys(opts.env).length === 0)
  ) {
    if (typeof cmd.script !== 'string') throw new TypeError('a script command needs a string `script`');
    const args = cmd.args ?? [];
    // Ends with a newline, so a `)` put after it is never part of a comment or here-document.
    return `set --${args.length > 0 ? ` ${quoteArgv(args)}` : ''}\n${cmd.script}${cmd.script.endsWith('\n') ? '' : '\n'}`;
  }
  return commandLine(cmd, opts);
}
