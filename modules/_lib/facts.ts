import { CommandError } from '../../src/core/errors.js';
import path from 'node:path';
import type { Footprint, ModuleContext } from '../../src/core/module.js';
import type { ExecResult, ReadStep } from '../../src/transport/types.js';

/**
 * What the file modules know about paths on a host, gathered in one round trip by a POSIX sh
 * script (stat, sha256sum or cksum, base64 or od): no python needed on the target.
 */

export type FileType = 'file' | 'directory' | 'link' | 'other';

export interface StatInfo {
  type: FileType;
  /** Permission bits (& 0o7777). */
  mode: number;
  uid: number;
  gid: number;
  owner: string;
  group: string;
  size: number;
}

export interface PathFacts {
  /** The path the facts are of (the given one, or given/<join> when it was a directory). */
  path: string;
  joined: boolean;
  exists: boolean;
  /** The path itself (a link is a link). */
  lstat?: StatInfo;
  /** What the path leads to (the link's target for a link; lstat otherwise; none when dangling). */
  stat?: StatInfo;
  linkTarget?: string;
  /** Of a regular file, when asked for. */
  sha256?: string;
  cksum?: { crc: number; size: number };
  /** The file could not be read (e.g. permission denied). */
  unreadable?: boolean;
  /** Current content, when asked for and the file is small enough. */
  content?: Buffer;
  /** Every entry under a directory (itself first; links skipped), when asked for. */
  tree?: StatInfo[];
  /** For a missing path: the nearest ancestor that exists. */
  ancestor?: string;
  /** The parent folder: a directory, something else, or missing. */
  parent: 'dir' | 'other' | 'absent';
  /** The folder it is in (for a missing path: its nearest existing ancestor) is its real path, with no link on the way. */
  real?: boolean;
}

export interface RemoteUser {
  user: string;
  group: string;
  uid: number;
  gid: number;
  /** The shell's umask (for symbolic modes without a who). */
  umask: number;
}

export interface FileFacts {
  me: RemoteUser;
  paths: PathFacts[];
}

export interface FactsOptions {
  /** Include the content of regular files up to this many bytes (0: never). */
  contentMax?: number;
  /** If a path is a directory, look at path/<join> instead (copy into a folder). */
  join?: string;
  /** Hash regular files. */
  hash?: boolean;
  /** List the attributes of everything under a directory. */
  recurse?: boolean;
}

/** Bytes of current content fetched for diffs (and kept for undo). */
export const CONTENT_LIMIT = 256 * 1024;

/**
 * Arguments: CONTENT_MAX JOIN HASH(0|1) RECURSE(0|1) PATH...
 * Output: a `me` line, then per path lines up to `end`. Strings that could hold anything
 * (link targets; ancestors unless plain) are hex-encoded.
 */
export const FILE_FACTS_SCRIPT = `
maxc=$1; join=$2; hash=$3; recurse=$4; shift 4
home=$PWD
enc() { printf '%s' "$1" | od -An -v -tx1 | tr -d ' \\n'; }
# dirname into $_d without a fork (POSIX's steps: trailing slashes, last component, slashes).
dn() {
  _d=$1
  case $_d in '') _d=.; return ;; *[!/]*) ;; *) _d=/; return ;; esac
  while :; do case $_d in */) _d=\${_d%/} ;; *) break ;; esac; done
  case $_d in */*) ;; *) _d=.; return ;; esac
  _d=\${_d%/*}
  while :; do case $_d in */) _d=\${_d%/} ;; *) break ;; esac; done
  [ -n "$_d" ] || _d=/
}
st() { stat -c '%f %u %g %U %G %s' -- "$1" 2>/dev/null || stat -f '%Xp %u %g %Su %Sg %z' -- "$1" 2>/dev/null; }
stl() { stat -L -c '%f %u %g %U %G %s' -- "$1" 2>/dev/null || stat -L -f '%Xp %u %g %Su %Sg %z' -- "$1" 2>/dev/null; }
# One id and one umask, printed straight out (a $(…) is one more fork): every fork costs a
# host a millisecond or two, and this runs per task.
printf 'umask '; umask
# $rb_me: the long-lived shell's own id, taken once (a read through sudo runs id itself).
if [ -n "\${rb_me-}" ]; then printf 'id %s\\n' "$rb_me"; else printf 'id '; id; fi
for p in "$@"; do
  printf 'path\\n'
  if [ -n "$join" ] && [ -d "$p" ]; then
    case $p in */) p="$p$join" ;; *) p="$p/$join" ;; esac
    printf 'joined\\n'
  fi
  if [ -e "$p" ] || [ -L "$p" ]; then
    if [ "$maxc" -gt 0 ]; then s=$(st "$p"); printf 'lstat %s\\n' "$s"; else printf 'lstat '; st "$p" || printf '\\n'; fi
    if [ -L "$p" ]; then
      # Hex only when the target could be misread as it is (as for ancestors below).
      t=$(readlink -- "$p")
      case $t in
        ''|*[!A-Za-z0-9/._+,:@%=-]*) printf 'link %s\\n' "$(enc "$t")" ;;
        *) printf 'link_raw %s\\n' "$t" ;;
      esac
      if [ -e "$p" ]; then printf 'stat '; stl "$p" || printf '\\n'; fi
    elif [ -f "$p" ]; then
      if [ ! -r "$p" ]; then
        printf 'unreadable\\n'
      else
        if [ "$hash" = 1 ]; then
          if command -v sha256sum >/dev/null 2>&1; then h=$(sha256sum < "$p") && printf 'sha256 %s\\n' "\${h%% *}"
          elif command -v shasum >/dev/null 2>&1; then h=$(shasum -a 256 < "$p") && printf 'sha256 %s\\n' "\${h%% *}"
          else h=$(cksum < "$p") && printf 'cksum %s\\n' "$h"
          fi
        fi
        size=\${s##* }
        if [ "$maxc" -gt 0 ] && [ -n "$size" ] && [ "$size" -le "$maxc" ]; then
          if command -v base64 >/dev/null 2>&1; then printf 'content base64\\n'; base64 < "$p"
          else printf 'content hex\\n'; od -An -v -tx1 < "$p"
          fi
          printf 'content_end\\n'
        fi
      fi
    fi
    if [ "$recurse" = 1 ] && [ -d "$p" ]; then
      find "$p/" ! -type l -exec stat -c 'tree %f %u %g %U %G 0' {} + 2>/dev/null
    fi
  else
    printf 'absent\\n'
    a=$p
    while :; do
      dn "$a"; a=$_d
      if [ -e "$a" ]; then break; fi
      case $a in /|.) break ;; esac
    done
    # Hex only when the path could be misread as it is (the od and tr it takes are two forks).
    case $a in
      *[!A-Za-z0-9/._+,:@%=-]*) printf 'ancestor %s\\n' "$(enc "$a")" ;;
      *) printf 'ancestor_raw %s\\n' "$a" ;;
    esac
  fi
  case $p in
    */) dn "$p"; d=$_d ;;
    /*/*|[!/]*/*) d=\${p%/*} ;;
    /*) d=/ ;;
    *) d=. ;;
  esac
  if [ -d "$d" ]; then printf 'parent dir\\n'; elif [ -e "$d" ]; then printf 'parent other\\n'; else printf 'parent absent\\n'; fi
  # Whether the folder the path is in (or its nearest existing ancestor) is its real path: cd -P
  # is a builtin, so this costs no fork. Relative paths are not looked at (the cd would move them).
  if [ -e "$p" ] || [ -L "$p" ]; then r=$d; else r=$a; fi
  case $r in
    /*) if cd -P -- "$r" 2>/dev/null && [ "$PWD" = "$r" ]; then printf 'real\\n'; fi; cd -- "$home" 2>/dev/null || exit 1 ;;
  esac
  printf 'end\\n'
done
`;

export function factsArgs(paths: readonly string[], opts: FactsOptions = {}): string[] {
  return [
    String(opts.contentMax ?? 0),
    opts.join ?? '',
    opts.hash ? '1' : '0',
    opts.recurse ? '1' : '0',
    ...paths,
  ];
}

/** Gather facts of paths in one round trip (with the task's become). */
export async function gatherFileFacts(
  ctx: ModuleContext,
  paths: readonly string[],
  opts: FactsOptions = {},
): Promise<FileFacts> {
  const args = factsArgs(paths, opts);
  // A read: it may come back with an earlier command's round trip.
  const r = await ctx.run({ script: FILE_FACTS_SCRIPT, args, inline: true }, { read: true });
  if (r.exitCode !== 0) {
    throw new CommandError(ctx.host, `read facts of ${paths.join(', ')}`, r.exitCode, r.stderr, 'cannot read file facts');
  }
  return parseFileFacts(r.stdout, paths, opts.join);
}

function hexDecode(s: string): string {
  return Buffer.from(s, 'hex').toString('utf8');
}

export function parseStat(fields: string[]): StatInfo | undefined {
  if (fields.length < 5) return undefined;
  const raw = parseInt(fields[0], 16);
  if (Number.isNaN(raw)) return undefined;
  const fmt = raw & 0o170000;
  const type: FileType = fmt === 0o100000 ? 'file' : fmt === 0o040000 ? 'directory' : fmt === 0o120000 ? 'link' : 'other';
  return {
    type,
    mode: raw & 0o7777,
    uid: Number(fields[1]),
    gid: Number(fields[2]),
    owner: fields[3],
    group: fields[4],
    size: Number(fields[5] ?? 0),
  };
}

export function joinPath(dir: string, name: string): string {
  return dir.endsWith('/') ? dir + name : `${dir}/${name}`;
}

export function parseFileFacts(out: string, paths: readonly string[], join?: string): FileFacts {
  const lines = out.split('\n');
  let me: RemoteUser | undefined;
  let umask: number | undefined;
  const result: PathFacts[] = [];
  let cur: PathFacts | undefined;
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i];
    const sp = line.indexOf(' ');
    const key = sp < 0 ? line : line.slice(0, sp);
    const rest = sp < 0 ? '' : line.slice(sp + 1);
    const fields = rest.split(' ').filter((f) => f !== '');
    switch (key) {
      case 'umask':
        umask = parseInt(rest, 8);
        break;
      case 'id': {
        // `id uid=0(root) gid=0(root) groups=...` (after `umask 0022`); names are absent for ids without one.
        const m = /^uid=(\d+)(?:\(([^)]*)\))? gid=(\d+)(?:\(([^)]*)\))?/.exec(rest);
        if (m && umask !== undefined && !Number.isNaN(umask)) me = { umask, uid: Number(m[1]), user: m[2] ?? '?', gid: Number(m[3]), group: m[4] ?? '?' };
        break;
      }
      case 'path': {
        const given = paths[result.length];
        cur = { path: given, joined: false, exists: false, parent: 'absent' };
        result.push(cur);
        break;
      }
      case 'joined':
        if (cur) {
          cur.joined = true;
          cur.path = joinPath(cur.path, join ?? '');
        }
        break;
      case 'lstat':
        if (cur) {
          cur.exists = true;
          cur.lstat = parseStat(fields);
          if (cur.lstat && cur.lstat.type !== 'link') cur.stat = cur.lstat;
        }
        break;
      case 'stat':
        if (cur) cur.stat = parseStat(fields);
        break;
      case 'link':
        if (cur) cur.linkTarget = hexDecode(fields[0] ?? '');
        break;
      case 'link_raw':
        if (cur) cur.linkTarget = rest;
        break;
      case 'unreadable':
        if (cur) cur.unreadable = true;
        break;
      case 'sha256':
        if (cur) cur.sha256 = fields[0];
        break;
      case 'cksum':
        if (cur) cur.cksum = { crc: Number(fields[0]), size: Number(fields[1]) };
        break;
      case 'content': {
        const enc = fields[0];
        const chunks: string[] = [];
        i++;
        while (i < lines.length && lines[i] !== 'content_end') chunks.push(lines[i++]);
        const body = chunks.join(enc === 'hex' ? ' ' : '');
        const buf = enc === 'hex' ? Buffer.from(body.replace(/\s+/g, ''), 'hex') : Buffer.from(body, 'base64');
        if (cur) cur.content = buf;
        break;
      }
      case 'tree':
        if (cur) {
          const s = parseStat(fields);
          if (s) (cur.tree ??= []).push(s);
        }
        break;
      case 'absent':
        if (cur) cur.exists = false;
        break;
      case 'ancestor':
        if (cur) cur.ancestor = hexDecode(fields[0] ?? '');
        break;
      case 'ancestor_raw':
        if (cur) cur.ancestor = rest;
        break;
      case 'real':
        if (cur) cur.real = true;
        break;
      case 'parent':
        if (cur) cur.parent = fields[0] === 'dir' ? 'dir' : fields[0] === 'other' ? 'other' : 'absent';
        break;
      default:
        break;
    }
  }
  if (!me) throw new Error(`unexpected output of the file facts script: ${out.slice(0, 200)}`);
  if (result.length !== paths.length) {
    throw new Error(`file facts script reported ${result.length} of ${paths.length} paths`);
  }
  return { me, paths: result };
}

// POSIX cksum (CRC-32, polynomial 0x04C11DB7, length appended), for hosts without sha256sum.
const CRC_TABLE = (() => {
  const t = new Uint32Array(256);
  for (let i = 0; i < 256; i++) {
    let c = i << 24;
    for (let j = 0; j < 8; j++) c = c & 0x80000000 ? (c << 1) ^ 0x04c11db7 : c << 1;
    t[i] = c >>> 0;
  }
  return t;
})();

export function posixCksum(data: Buffer): number {
  let crc = 0;
  const feed = (b: number) => {
    crc = ((crc << 8) ^ CRC_TABLE[((crc >>> 24) ^ b) & 0xff]) >>> 0;
  };
  for (const b of data) feed(b);
  for (let len = data.length; len > 0; len = Math.floor(len / 256)) feed(len & 0xff);
  return ~crc >>> 0;
}

/** The folder a normalized absolute path is in. */
function parentOf(p: string): string {
  const i = p.lastIndexOf('/');
  return i <= 0 ? '/' : p.slice(0, i);
}

/**
 * What a plan made from `f` read of the host (Plan.footprint): the path's facts and whether its
 * folder is there; for a missing path, also each missing folder above it and the nearest
 * existing one. Undefined where that cannot be told by path alone: a relative or unnormalized
 * path, a link on the way to it or at it, a tree.
 */
export function factsReads(f: PathFacts): Footprint['reads'] | undefined {
  const p = f.path;
  if (!f.real || !p.startsWith('/') || path.posix.normalize(p) !== p || (p.endsWith('/') && p !== '/') || f.tree) return undefined;
  if (f.exists) return f.lstat && f.lstat.type !== 'link' ? [{ path: p, kind: 'stat' }, { path: parentOf(p), kind: 'exists' }] : undefined;
  if (f.ancestor === undefined) return undefined;
  const reads: Footprint['reads'] = [{ path: p, kind: 'exists' }];
  for (let a = parentOf(p); ; a = parentOf(a)) {
    reads.push({ path: a, kind: 'exists' });
    if (a === f.ancestor) return reads;
    if (a === '/') return undefined;
  }
}

/** How the facts script prints a missing path's nearest existing ancestor. */
function ancestorLine(a: string): string {
  return /[^A-Za-z0-9/._+,:@%=-]/.test(a) ? `ancestor ${Buffer.from(a, 'utf8').toString('hex')}` : `ancestor_raw ${a}`;
}

/**
 * What the facts script would print for one missing path once the folders `dirs` (absolute,
 * normalized) are made, from what it printed before: its nearest existing ancestor and its
 * parent's state move down to the deepest made folder above it. Undefined when that is not all
 * that changes (a made folder at or under the path) or the read is not of that shape.
 */
export function predictFacts(args: readonly string[], stdout: string, dirs: readonly string[]): string | undefined {
  const [, join, , recurse, p, ...more] = args;
  if (join !== '' || recurse !== '0' || p === undefined || more.length > 0 || !p.startsWith('/') || path.posix.normalize(p) !== p || p.endsWith('/')) return undefined;
  const lines = stdout.split('\n');
  const at = (k: string) => lines.findIndex((l) => l === k || l.startsWith(`${k} `));
  const ai = lines.findIndex((l) => l.startsWith('ancestor ') || l.startsWith('ancestor_raw '));
  const pi = at('parent');
  if (at('absent') < 0 || ai < 0 || pi < 0 || lines.filter((l) => l === 'path').length !== 1) return undefined;
  const facts = parseFileFacts(stdout, [p]);
  const old = facts.paths[0]?.ancestor;
  if (old === undefined) return undefined;
  const inside = (x: string, dir: string) => x === dir || x.startsWith(dir === '/' ? '/' : `${dir}/`);
  if (dirs.some((d) => inside(d, p))) return undefined;
  let a = old;
  for (const d of dirs) if (inside(p, d) && d.length > a.length && inside(d, a)) a = d;
  if (a === old) return stdout;
  const parent = p.slice(0, Math.max(1, p.lastIndexOf('/')));
  const out = [...lines];
  out[ai] = ancestorLine(a);
  out[pi] = parent === a ? 'parent dir' : 'parent absent';
  return out.join('\n');
}

/** ModuleDefinition.predictRead for a module whose plan's read is gatherFileFacts of one path. */
export function predictFactsRead(step: ReadStep, result: ExecResult, dirs: readonly string[]): ExecResult | undefined {
  const cmd = step.cmd;
  if (Array.isArray(cmd) || !('script' in cmd) || cmd.script !== FILE_FACTS_SCRIPT || result.exitCode !== 0) return undefined;
  const stdout = predictFacts(cmd.args ?? [], result.stdout, dirs);
  return stdout === undefined ? undefined : { ...result, stdout };
}
