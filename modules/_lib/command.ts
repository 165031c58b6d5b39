import { ModuleError } from '../../src/core/errors.js';
import type { ApplyResult, ModuleContext, Plan } from '../../src/core/module.js';
import type { Command } from '../../src/transport/types.js';
import { outputFields } from './remote.js';

/** What `command` and `shell` share. */
export interface GuardParams {
  chdir?: string;
  creates?: string;
  removes?: string;
  stdin?: string;
  stdin_add_newline?: boolean;
}

export const guardProperties = {
  chdir: { type: 'string', minLength: 1, description: 'Change into this directory before running the command.' },
  creates: {
    type: 'string',
    minLength: 1,
    description:
      'A path or glob (relative to chdir; ~ is the remote home). If it matches something, the ' +
      'command does not run and the task is ok. Decided in check mode too.',
  },
  removes: {
    type: 'string',
    minLength: 1,
    description: 'A path or glob. If it matches nothing, the command does not run and the task is ok. Decided in check mode too.',
  },
  stdin: { type: 'string', description: 'Text fed to the command on standard input.' },
  stdin_add_newline: { type: 'boolean', default: true, description: 'Append a newline to stdin.' },
};

/**
 * Args: CHDIR CREATES REMOVES ('' = not given). Globs are expanded by the shell (no word
 * splitting: IFS is empty); prints `creates 1|0` and `removes 1|0`.
 */
export const GUARD_SCRIPT = `
if [ -n "$1" ]; then cd -- "$1" 2>/dev/null || printf 'nochdir\\n'; fi
matches() {
  pat=$1
  case $pat in
    "~") pat=$HOME ;;
    "~/"*) pat="$HOME/\${pat#"~/"}" ;;
  esac
  saved_ifs=$IFS; IFS=''
  for f in $pat; do
    if [ -e "$f" ] || [ -L "$f" ]; then IFS=$saved_ifs; return 0; fi
  done
  IFS=$saved_ifs
  return 1
}
if [ -n "$2" ]; then if matches "$2"; then printf 'creates 1\\n'; else printf 'creates 0\\n'; fi; fi
if [ -n "$3" ]; then if matches "$3"; then printf 'removes 1\\n'; else printf 'removes 0\\n'; fi; fi
exit 0
`;

/** Runs argv after changing directory: args CHDIR ARGV... */
export const CHDIR_EXEC_SCRIPT = `cd -- "$1" || exit 1
shift
exec "$@"`;

function linesOf(s: string): string[] {
  return s === '' ? [] : s.split(/\r?\n/);
}

function stripEnd(s: string): string {
  return s.replace(/[\r\n]+$/, '');
}

function skippedResult(cmd: unknown, why: string): Record<string, unknown> {
  const stdout = `skipped, since ${why}`;
  return { cmd, rc: 0, stdout, stderr: '', stdout_lines: [stdout], stderr_lines: [] };
}

/**
 * Plan of a command: decide creates/removes in one round trip; otherwise it would run.
 */
export async function planCommand(
  ctx: ModuleContext,
  params: GuardParams,
  cmd: unknown,
  display: string,
): Promise<Plan> {
  if (params.creates !== undefined || params.removes !== undefined) {
    const r = await ctx.run(
      {
        script: GUARD_SCRIPT,
        args: [params.chdir ?? '', params.creates ?? '', params.removes ?? ''],
        inline: true,
      },
      { read: true },
    );
    if (r.exitCode !== 0) {
      throw new ModuleError(`cannot check creates/removes: ${r.stderr.trim() || `exit ${r.exitCode}`}`);
    }
    const f = outputFields(r.stdout);
    if (params.creates !== undefined && f.creates === '1') {
      return {
        changes: [],
        result: skippedResult(cmd, `${params.creates} exists`),
        summary: `Did not run command since '${params.creates}' exists`,
      };
    }
    if (params.removes !== undefined && f.removes === '0') {
      return {
        changes: [],
        result: skippedResult(cmd, `${params.removes} does not exist`),
        summary: `Did not run command since '${params.removes}' does not exist`,
      };
    }
    // creates/removes decided: check mode says it would run (changed), as Ansible does.
    return {
      changes: [{ field: 'command', after: display }],
      summary: `run: ${display}`,
      decided: true,
      result: { cmd, rc: 0, msg: 'Command would have run if not in check mode' },
    };
  }
  return { changes: [{ field: 'command', after: display }], summary: `run: ${display}` };
}

function ansibleTime(d: Date): string {
  const p = (n: number, w = 2) => String(n).padStart(w, '0');
  return (
    `${d.getFullYear()}-${p(d.getMonth() + 1)}-${p(d.getDate())} ` +
    `${p(d.getHours())}:${p(d.getMinutes())}:${p(d.getSeconds())}.${p(d.getMilliseconds() * 1000, 6)}`
  );
}

function ansibleDelta(ms: number): string {
  const p = (n: number, w = 2) => String(n).padStart(w, '0');
  const h = Math.floor(ms / 3600000);
  const m = Math.floor((ms % 3600000) / 60000);
  const s = Math.floor((ms % 60000) / 1000);
  return `${h}:${p(m)}:${p(s)}.${p((ms % 1000) * 1000, 6)}`;
}

/** Run the command and report it as Ansible does (rc, stdout, stderr, *_lines, start/end/delta). */
export async function runCommand(
  ctx: ModuleContext,
  command: Command,
  params: GuardParams,
  cmd: unknown,
): Promise<ApplyResult> {
  const stdin =
    params.stdin !== undefined ? params.stdin + ((params.stdin_add_newline ?? true) ? '\n' : '') : undefined;
  const start = new Date();
  // A user's command may leave a background process writing to its output: a session of its own.
  const r = await ctx.run(command, { ownSession: true, ...(stdin !== undefined ? { stdin } : {}) });
  const end = new Date();
  const stdout = stripEnd(r.stdout);
  const stderr = stripEnd(r.stderr);
  const rc = r.exitCode ?? -1;
  const msg = r.exitCode === null ? `killed by signal ${r.signal ?? 'unknown'}` : rc !== 0 ? 'non-zero return code' : '';
  return {
    changed: true,
    failed: rc !== 0,
    msg: msg || undefined,
    result: {
      cmd,
      rc,
      stdout,
      stderr,
      stdout_lines: linesOf(stdout),
      stderr_lines: linesOf(stderr),
      start: ansibleTime(start),
      end: ansibleTime(end),
      delta: ansibleDelta(end.getTime() - start.getTime()),
      msg,
    },
  };
}
