import { CommandError } from '../../src/core/errors.js';
import type { ModuleContext } from '../../src/core/module.js';
import type { ExecResult } from '../../src/transport/types.js';

/**
 * Run a fixed sh script on the host (values only as arguments) and fail with a CommandError
 * naming `what` when it exits non-zero.
 */
export async function runScript(
  ctx: ModuleContext,
  what: string,
  script: string,
  args: readonly string[],
): Promise<ExecResult> {
  const r = await ctx.run({ script, args, inline: true });
  if (r.exitCode !== 0) throw new CommandError(ctx.host, what, r.exitCode, r.stderr, `cannot ${what}`);
  return r;
}

/**
 * sh function `undo_dir`: a fresh private folder for copies kept for rollback
 * (under $TMPDIR, else /var/tmp, else /tmp). Prints its path.
 */
export const UNDO_DIR_FN = `
undo_dir() {
  for b in "\${TMPDIR:-}" /var/tmp /tmp; do
    if [ -n "$b" ] && [ -d "$b" ] && [ -w "$b" ]; then mktemp -d "$b/runbook-undo.XXXXXX" && return 0; fi
  done
  return 1
}
`;

/**
 * sh functions. `replace_path SRC PATH` renames SRC over PATH (mv -T, so a link to a directory
 * is replaced, not entered; without mv -T, a link or file at PATH is removed first) and refuses
 * to replace a real directory. `atomic_link TARGET PATH` makes PATH a symlink to TARGET that way,
 * the new link made first in a private mktemp folder beside PATH (a guessable name in a
 * world-writable folder could be raced).
 */
export const ATOMIC_LINK_FN = `
replace_path() {
  if mv -fT -- "$1" "$2" 2>/dev/null; then return 0; fi
  if [ -L "$2" ] || [ ! -d "$2" ]; then
    rm -f -- "$2" && mv -f -- "$1" "$2" && return 0
  else
    echo "$2 is a directory" >&2
  fi
  return 1
}
atomic_link() {
  _d=$(mktemp -d "$(dirname -- "$2")/.runbook-link.XXXXXX") || return 1
  if ln -s -- "$1" "$_d/l" && replace_path "$_d/l" "$2"; then rmdir -- "$_d"; return 0; fi
  rm -rf -- "$_d"
  return 1
}
`;

/** Lines `key value` of a script's output, as a map (first occurrence wins). */
export function outputFields(stdout: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const line of stdout.split('\n')) {
    const sp = line.indexOf(' ');
    const k = sp < 0 ? line : line.slice(0, sp);
    if (k && !(k in out)) out[k] = sp < 0 ? '' : line.slice(sp + 1);
  }
  return out;
}
