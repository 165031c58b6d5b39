import type { Change, ModuleContext } from '../../src/core/module.js';
import type { StatInfo } from './facts.js';
import { chmodArg, chmodOctal, formatMode, isSymbolicMode, parseMode, type ModeSpec } from './mode.js';
import { runScript } from './remote.js';

/** mode/owner/group as a task gives them. */
export interface AttrParams {
  mode?: ModeSpec;
  owner?: string | number;
  group?: string | number;
}

/** What to set (only what differs): chmod argument, owner, group. */
export interface AttrSet {
  mode?: string;
  owner?: string;
  group?: string;
}

/** Previous attributes, numeric, for undo. */
export interface PrevAttrs {
  mode: number;
  uid: number;
  gid: number;
}

export const ownerSchema = {
  description: 'Owner (user name or numeric uid). Needs become unless it is the connecting user.',
  type: ['string', 'integer'],
};
export const groupSchema = {
  description: 'Group (group name or numeric gid).',
  type: ['string', 'integer'],
};

export function idMatches(want: string | number, name: string, id: number): boolean {
  const w = String(want);
  return w === name || (/^\d+$/.test(w) && Number(w) === id);
}

/**
 * Compare desired attributes with a path's current ones. `cur` undefined means the path will be
 * created: every given attribute is then a change with no `before`. `base` is the mode a new
 * path gets before attributes are applied (for relative symbolic modes).
 */
export function compareAttrs(
  want: AttrParams,
  cur: StatInfo | undefined,
  opts: { isDir: boolean; umask: number; base?: number; label?: string },
): { changes: Change[]; set: AttrSet; mode?: number } {
  const changes: Change[] = [];
  const set: AttrSet = {};
  const prefix = opts.label ? `${opts.label} ` : '';
  let mode: number | undefined;
  if (want.mode !== undefined) {
    const base = cur ? cur.mode : (opts.base ?? (opts.isDir ? 0o777 & ~opts.umask : 0o644));
    mode = parseMode(want.mode, base, opts.isDir, opts.umask);
    if (!cur || cur.mode !== mode) {
      changes.push({ field: `${prefix}mode`, before: cur ? formatMode(cur.mode) : undefined, after: formatMode(mode) });
      set.mode = chmodOctal(mode);
    }
  }
  if (want.owner !== undefined && (!cur || !idMatches(want.owner, cur.owner, cur.uid))) {
    changes.push({ field: `${prefix}owner`, before: cur?.owner, after: String(want.owner) });
    set.owner = String(want.owner);
  }
  if (want.group !== undefined && (!cur || !idMatches(want.group, cur.group, cur.gid))) {
    changes.push({ field: `${prefix}group`, before: cur?.group, after: String(want.group) });
    set.group = String(want.group);
  }
  return { changes, set, mode };
}

/**
 * Compare desired attributes with every entry of a tree (recurse). Returns per attribute how
 * many entries differ, and the chmod/chown arguments that fix them all (`chmod -R` takes the
 * symbolic mode as given, so 'X' and relative modes work per entry as chmod means them).
 */
export function compareTree(
  want: AttrParams,
  tree: readonly StatInfo[],
  umask: number,
): { changes: Change[]; set: AttrSet } {
  const changes: Change[] = [];
  const set: AttrSet = {};
  const entries = tree.length;
  if (want.mode !== undefined) {
    const n = tree.filter((s) => parseMode(want.mode!, s.mode, s.type === 'directory', umask) !== s.mode).length;
    if (n > 0) {
      const after = isSymbolicMode(want.mode) ? String(want.mode).trim() : formatMode(parseMode(want.mode));
      changes.push({ field: 'mode (recursive)', before: `${n} of ${entries} entries differ`, after });
      set.mode = chmodArg(want.mode);
    }
  }
  if (want.owner !== undefined) {
    const n = tree.filter((s) => !idMatches(want.owner!, s.owner, s.uid)).length;
    if (n > 0) {
      changes.push({ field: 'owner (recursive)', before: `${n} of ${entries} entries differ`, after: String(want.owner) });
      set.owner = String(want.owner);
    }
  }
  if (want.group !== undefined) {
    const n = tree.filter((s) => !idMatches(want.group!, s.group, s.gid)).length;
    if (n > 0) {
      changes.push({ field: 'group (recursive)', before: `${n} of ${entries} entries differ`, after: String(want.group) });
      set.group = String(want.group);
    }
  }
  return { changes, set };
}

export function hasAttrs(set: AttrSet): boolean {
  return set.mode !== undefined || set.owner !== undefined || set.group !== undefined;
}

/**
 * Args: CHOWN_FLAG CHMOD_FLAG OWNER GROUP MODE PATH... (empty = leave alone). Every path in one
 * chown and one chmod (a fork each costs the host more than the round trip); the owner first,
 * since chown clears setuid bits.
 */
export const SET_ATTRS_SCRIPT = `
cf=$1; mf=$2; o=$3; g=$4; m=$5; shift 5
if [ $# -gt 0 ]; then
  if [ -n "$o" ] && [ -n "$g" ]; then chown \${cf:+"$cf"} -- "$o:$g" "$@" || exit 1
  elif [ -n "$o" ]; then chown \${cf:+"$cf"} -- "$o" "$@" || exit 1
  elif [ -n "$g" ]; then chgrp \${cf:+"$cf"} -- "$g" "$@" || exit 1
  fi
  if [ -n "$m" ]; then chmod \${mf:+"$mf"} -- "$m" "$@" || exit 1; fi
fi
`;

export function setAttrsArgs(
  paths: readonly string[],
  set: AttrSet,
  opts: { recurse?: boolean; noDereference?: boolean } = {},
): string[] {
  const cf = opts.recurse ? '-R' : opts.noDereference ? '-h' : '';
  const mf = opts.recurse ? '-R' : '';
  return [cf, mf, set.owner ?? '', set.group ?? '', set.mode ?? '', ...paths];
}

/** chown/chmod one or more paths in one round trip. */
export async function setAttrs(
  ctx: ModuleContext,
  paths: readonly string[],
  set: AttrSet,
  opts: { recurse?: boolean; noDereference?: boolean } = {},
): Promise<void> {
  if (!hasAttrs(set) || paths.length === 0) return;
  await runScript(ctx, `set attributes of ${paths.join(', ')}`, SET_ATTRS_SCRIPT, setAttrsArgs(paths, set, opts));
}

export function prevAttrs(s: StatInfo): PrevAttrs {
  return { mode: s.mode, uid: s.uid, gid: s.gid };
}

/** The AttrSet that puts previous attributes back. */
export function restoreSet(prev: PrevAttrs, noMode = false): AttrSet {
  return { owner: String(prev.uid), group: String(prev.gid), mode: noMode ? undefined : chmodOctal(prev.mode) };
}
