/**
 * File transfer as one command each, so it costs one round trip and works through sudo exactly
 * like any other command (which is why it is exec-based rather than SFTP).
 */
import { quote } from './quote.js';
import type { Command } from './types.js';

/** Exit status of the put script when the validate command rejected the new content. */
export const PUT_VALIDATE_FAILED = 65;

/**
 * Write stdin to $1 atomically: a temp file in the same folder, owner then mode set on it
 * (chown clears setuid bits, so chmod comes last), then
 * `mv -fT` (a rename, atomic on one file system; -T so that a link to a folder is replaced like
 * any file, as the local transport's rename does, not entered). The temp file is removed on any
 * failure.
 *   $1 path  $2 mode (octal, or '' = keep the existing file's mode, else 644)
 *   $3 owner ('' = keep the existing file's owner when replacing one)  $4 group (same)
 *   $5 the content's size in bytes: a shorter temp file means the stream was cut (a dropped
 *      connection ends stdin like a normal end, so `cat` alone cannot tell), and the old file
 *      is kept (PUT_INLINE_SCRIPT: the content itself)
 *   $6 the temp file's name suffix, random (`.NAME.SUFFIX` beside the file): made with
 *      noclobber, which creates exclusively (O_EXCL), as mktemp would, without its fork
 *   $7 the umask that creates a new file with exactly the mode ('' = none can: chmod it)
 *   $8... optional validate argv: run with every argument that is exactly %s replaced by the
 *   temp file's path before the rename; when it exits non-zero the file is left untouched,
 *   its output goes to stderr and the script exits 65 (PUT_VALIDATE_FAILED).
 * A new file whose mode a umask can give (no execute or special bits, no validate command that
 * could create files of its own under that umask) is created with it and needs no chmod.
 */
function putScript(write: string): string {
  return `p=$1 mode=$2 owner=$3 group=$4
case $p in
  */*) dir=\${p%/*}; dir=\${dir:-/} ;;
  *) dir=. ;;
esac
base=\${p##*/}
tmp=
trap 'if [ -n "$tmp" ]; then rm -f -- "$tmp"; fi' EXIT
trap 'exit 129' HUP
trap 'exit 141' PIPE
trap 'exit 130' INT
trap 'exit 143' TERM
fresh=
if [ -n "$7" ] && [ ! -e "$p" ]; then umask "$7" || exit 1; fresh=1; fi
t="$dir/.$base.$6"
set -C
: > "$t" || exit 1
set +C
tmp=$t
${write}shift 7
if [ $# -gt 0 ]; then
  for a; do shift; if [ "$a" = %s ]; then set -- "$@" "$tmp"; else set -- "$@" "$a"; fi; done
  out=$("$@" 2>&1) || { printf '%s\\n' "$out" >&2; exit ${PUT_VALIDATE_FAILED}; }
fi
if [ -e "$p" ]; then
  fresh=
  info=$(stat -L -c '%a %u %g' -- "$p" "$tmp") || exit 1
  set -- $info
  [ -n "$mode" ] || mode=$1
  if [ -z "$owner" ] && [ "$2" != "$5" ]; then chown -- "$2" "$tmp" 2>/dev/null || :; fi
  if [ -z "$group" ] && [ "$3" != "$6" ]; then chgrp -- "$3" "$tmp" 2>/dev/null || :; fi
fi
if [ -n "$owner$group" ]; then chown -- "$owner\${group:+:$group}" "$tmp" || exit 1; fi
if [ -z "$fresh" ]; then chmod -- "\${mode:-644}" "$tmp" || exit 1; fi
mv -fT -- "$tmp" "$p" || exit 1
tmp=
`;
}

export const PUT_SCRIPT = putScript(`cat > "$tmp" || exit 1
got=$(($(wc -c < "$tmp")))
if [ "$got" -ne "$5" ]; then echo "received $got of $5 bytes: the upload was cut short; $p was left as it was" >&2; exit 1; fi
`);

/**
 * PUT_SCRIPT for content given as $5 itself instead of on stdin (a command line arrives whole,
 * so there is no size to check): written by the shell's own printf, without the cat, wc and
 * pipe forks of a stream.
 */
export const PUT_INLINE_SCRIPT = putScript(`printf '%s' "$5" > "$tmp" || exit 1
`);

/** A file mode must be a whole number of permission bits. */
export function checkMode(mode: number | undefined): void {
  if (mode !== undefined && (!Number.isInteger(mode) || mode < 0 || mode > 0o7777)) {
    throw new TypeError(`invalid file mode: ${mode}`);
  }
}

/** A validate argv must name the candidate file with an argument that is exactly `%s`. */
export function checkValidate(validate: readonly string[] | undefined): void {
  if (validate !== undefined && (validate.length === 0 || !validate.includes('%s'))) {
    throw new TypeError(`validate command must have an argument that is exactly %s: ${JSON.stringify(validate)}`);
  }
}

/** A temp file name suffix must be a plain word (the transport makes it random). */
function checkTemp(temp: string): void {
  if (!/^[A-Za-z0-9]{6,}$/.test(temp)) throw new TypeError(`invalid temp file suffix: ${JSON.stringify(temp)}`);
}

/** The umask that creates a file with exactly `mode` (from 0666), or '' when none can. */
export function createUmask(mode: number): string {
  if ((mode & ~0o666) !== 0) return '';
  return (~mode & 0o777).toString(8).padStart(4, '0');
}

export function putCommand(
  path: string,
  opts: { mode?: number; owner?: string; group?: string; validate?: readonly string[] },
  size: number,
  temp: string,
): Command {
  checkMode(opts.mode);
  checkValidate(opts.validate);
  checkTemp(temp);
  const mode = opts.mode === undefined ? '' : opts.mode.toString(8).padStart(4, '0');
  const umask = opts.validate ? '' : createUmask(opts.mode ?? 0o644);
  return { script: PUT_SCRIPT, args: [path, mode, opts.owner ?? '', opts.group ?? '', String(size), temp, umask, ...(opts.validate ?? [])], inline: true };
}

/** Exit status of the get script when the file does not exist. */
export const GET_MISSING = 3;

/**
 * Print $1, or exit 3 when it does not exist. "Does not exist" is told apart from "cannot be
 * seen" (a parent folder not searchable): the nearest existing ancestor must be a searchable
 * folder (or not a folder at all) for the file to count as missing.
 */
export const GET_SCRIPT = `p=$1
if [ -e "$p" ]; then exec cat -- "$p"; fi
if [ -L "$p" ]; then exit ${GET_MISSING}; fi
d=$p
while :; do
  case $d in */*) d=\${d%/*}; d=\${d:-/} ;; *) d=. ;; esac
  if [ -e "$d" ] || [ "$d" = / ] || [ "$d" = . ]; then break; fi
done
if [ -d "$d" ] && [ ! -x "$d" ]; then
  echo "cannot read $p: permission denied (folder $d is not searchable)" >&2
  exit 1
fi
exit ${GET_MISSING}
`;

export function getCommand(path: string): Command {
  return { script: GET_SCRIPT, args: [path], inline: true };
}

/**
 * Longest command line an inline put may make. sshd hands a session's command to the login
 * shell as one argument, which Linux caps at 128 KiB; the margin leaves room for one more layer
 * of quoting (a put sent with reads after it, Transport.execThen, or in a fused script).
 */
export const INLINE_PUT_MAX_LINE = 48 * 1024;

/**
 * The put with its content as an argument (PUT_INLINE_SCRIPT), so it needs no stdin and can run
 * in the host's long-lived shell instead of a session of its own. Only text can be so written:
 * undefined for content with a NUL byte or that is not UTF-8 (a shell word holds neither), or
 * longer than INLINE_PUT_MAX_LINE (the caller checks its whole line against it too).
 */
export function inlinePutCommand(path: string, opts: { mode?: number; owner?: string; group?: string; validate?: readonly string[] }, data: Buffer, temp: string): Command | undefined {
  if (data.length > INLINE_PUT_MAX_LINE || data.includes(0)) return undefined;
  const text = data.toString('utf8');
  if (!Buffer.from(text, 'utf8').equals(data)) return undefined;
  const args = [...((putCommand(path, opts, data.length, temp) as { args: readonly string[] }).args)];
  args[4] = text; // the size's place
  return { script: PUT_INLINE_SCRIPT, args, inline: true };
}

/** Whether a command line is short enough for an inline put (see INLINE_PUT_MAX_LINE). */
export function fitsInline(line: string): boolean {
  return quote(line).length <= INLINE_PUT_MAX_LINE;
}
