import path from 'node:path';
import { ModuleError } from '../src/core/errors.js';
import { defineModule, type Change, type FileDiff, type Footprint, type ModuleContext, type Plan } from '../src/core/module.js';
import {
  compareAttrs,
  compareTree,
  groupSchema,
  hasAttrs,
  ownerSchema,
  prevAttrs,
  restoreSet,
  SET_ATTRS_SCRIPT,
  setAttrs,
  setAttrsArgs,
  type AttrParams,
  type AttrSet,
  type PrevAttrs,
} from './_lib/attrs.js';
import { RELINK_SCRIPT } from './_lib/content.js';
import { factsReads, gatherFileFacts, predictFactsRead, type FileFacts, type StatInfo } from './_lib/facts.js';
import { chmodArg, formatMode, ModeError, modeSchema, type ModeSpec } from './_lib/mode.js';
import { ATOMIC_LINK_FN, outputFields, runScript, UNDO_DIR_FN } from './_lib/remote.js';

export type FileState = 'file' | 'directory' | 'link' | 'absent' | 'touch';

export interface FileParams extends AttrParams {
  path?: string;
  dest?: string;
  name?: string;
  state?: FileState;
  src?: string;
  mode?: ModeSpec;
  recurse?: boolean;
  force?: boolean;
}

const pathDescription = 'Path on the host the task is about.';

export const fileSchema = {
  type: 'object',
  additionalProperties: false,
  properties: {
    path: { type: 'string', minLength: 1, description: pathDescription },
    dest: { type: 'string', minLength: 1, description: 'Alias of path.' },
    name: { type: 'string', minLength: 1, description: 'Alias of path.' },
    state: {
      enum: ['file', 'directory', 'link', 'absent', 'touch'],
      description:
        'file: the path must already be a file (or a link to one); only its attributes are managed. ' +
        'directory: create it and missing parents (each created folder gets mode/owner/group). ' +
        'link: a symbolic link to src. absent: remove it (a directory recursively). touch: create ' +
        'an empty file if missing; unlike Ansible, an existing path is left alone (its mtime is not ' +
        'updated) and the task is ok when its attributes already match, so touch is idempotent. ' +
        'Default: what the path currently is (a link counts as what it points to); a missing path ' +
        'without state is an error.',
    },
    src: {
      type: 'string',
      minLength: 1,
      description:
        'Target of the link (state: link), stored as given; a relative target is relative to the ' +
        "link's folder. It must exist unless force is true.",
    },
    mode: modeSchema('the path (not allowed for links)'),
    owner: ownerSchema,
    group: groupSchema,
    recurse: {
      type: 'boolean',
      default: false,
      description:
        'With state: directory, set mode/owner/group on everything inside too (symbolic links ' +
        "inside are left alone). Use a symbolic mode like 'u=rwX,go=rX' to keep files non-executable.",
    },
    force: {
      type: 'boolean',
      default: false,
      description:
        'With state: link, replace an existing regular file by the link and allow a link to a ' +
        'missing src.',
    },
  },
  oneOf: [{ required: ['path'] }, { required: ['dest'] }, { required: ['name'] }],
  if: { properties: { state: { const: 'link' } }, required: ['state'] },
  then: { required: ['src'] },
};

type Action = 'none' | 'create-file' | 'mkdir' | 'link' | 'remove';

export interface FilePlanFacts {
  path: string;
  state: FileState;
  action: Action;
  /** mkdir: folders to create, outermost first. */
  created?: string[];
  /** link: its target; what was there before. */
  link?: { src: string; replaces?: 'link' | 'file'; prevTarget?: string };
  /** remove: what is there. */
  removes?: StatInfo['type'];
  /** create-file: attributes for the new file. */
  put?: { mode?: number; owner?: string; group?: string };
  /** Attributes to set: on an existing path, the created folders or the new link. */
  attrs: AttrSet;
  /** Where attributes go when not the path itself (a link to a directory, with recurse). */
  attrPath?: string;
  recurse: boolean;
  noDereference: boolean;
  prev?: PrevAttrs;
}

export type FileUndo =
  | { kind: 'remove'; path: string }
  | { kind: 'rmdir'; dirs: string[] }
  | { kind: 'relink'; path: string; target: string }
  | { kind: 'restore-move'; path: string; hostCopy: string; tempDir: string }
  | { kind: 'attrs'; path: string; prev: PrevAttrs; noDereference: boolean };

/** The path parameter (path, dest or name), with repeated and trailing slashes dropped. */
export function filePath(params: FileParams): string {
  const raw = params.path ?? params.dest ?? params.name ?? '';
  const p = raw.replace(/\/{2,}/g, '/');
  return p.length > 1 ? p.replace(/\/+$/, '') || '/' : p;
}

/** The facts request for a task: the path, and a link's src (resolved against the link's folder). */
export function fileFactsRequest(params: FileParams): { paths: string[]; recurse: boolean } {
  const p = filePath(params);
  const paths = [p];
  if (params.state === 'link' && params.src !== undefined && !params.force) {
    paths.push(path.posix.isAbsolute(params.src) ? params.src : path.posix.join(path.posix.dirname(p), params.src));
  }
  const wantsAttrs = params.mode !== undefined || params.owner !== undefined || params.group !== undefined;
  const recurse = !!params.recurse && wantsAttrs && (params.state === 'directory' || params.state === undefined);
  return { paths, recurse };
}

function missingDirs(p: string, ancestor: string | undefined): string[] {
  const out: string[] = [];
  let cur = p;
  while (cur !== ancestor && cur !== '/' && cur !== '.' && cur !== '') {
    out.unshift(cur);
    const up = path.posix.dirname(cur);
    if (up === cur) break;
    cur = up;
  }
  return out;
}

function show(v: unknown): string {
  return typeof v === 'string' ? v : JSON.stringify(v);
}

/** A before/after text of the fields that change, for --diff. */
function changesDiff(label: string, changes: Change[]): FileDiff {
  const lines = (side: 'before' | 'after') =>
    changes
      .filter((c) => c[side] !== undefined)
      .map((c) => `${c.field}: ${show(c[side])}\n`)
      .join('');
  return { label, before: lines('before'), after: lines('after') };
}

function describeType(s: StatInfo | undefined, lt: StatInfo['type'] | undefined): string {
  if (lt === 'link') return s ? `a symbolic link to a ${s.type === 'other' ? 'special file' : s.type}` : 'a dangling symbolic link';
  return s?.type === 'other' ? 'a special file' : `a ${s?.type ?? 'missing path'}`;
}

/** Decide from facts (pure; fixture-tested). */
/** `check`: a missing parent folder is planned for (an earlier task may create it), not an error. */
export function decideFile(params: FileParams, facts: FileFacts, diff: boolean, check = false): Plan<FilePlanFacts> {
  const p = filePath(params);
  const pf = facts.paths[0];
  const me = facts.me;
  const want: AttrParams = { mode: params.mode, owner: params.owner, group: params.group };
  const lt = pf.exists ? pf.lstat?.type : undefined;
  const t = pf.stat;
  const fail = (msg: string): never => {
    throw new ModuleError(msg, { path: p, state: lt ? (lt === 'directory' ? 'directory' : lt === 'link' ? 'link' : 'file') : 'absent' });
  };
  if (pf.exists && !pf.lstat) fail(`cannot stat ${p}`);

  let state = params.state;
  if (state === undefined) {
    if (!pf.exists) {
      if (params.recurse) state = 'directory';
      else fail(`file (${p}) is absent, cannot continue (give state: file, directory, link, touch or absent)`);
    } else if (lt === 'link') state = t?.type === 'directory' ? 'directory' : t ? 'file' : 'link';
    else state = lt === 'directory' ? 'directory' : 'file';
  }

  const facts2: FilePlanFacts = {
    path: p,
    state: state!,
    action: 'none',
    attrs: {},
    recurse: false,
    noDereference: false,
  };
  const changes: Change[] = [];
  const cmp = (cur: StatInfo | undefined, isDir: boolean, base?: number) => {
    try {
      return compareAttrs(want, cur, { isDir, umask: me.umask, base });
    } catch (e) {
      if (e instanceof ModeError) return fail(e.message);
      throw e;
    }
  };
  let final: { mode?: number; owner?: string; group?: string } = {};
  const finalFrom = (s: StatInfo | undefined, mode: number | undefined) => ({
    mode: mode ?? s?.mode,
    owner: want.owner !== undefined ? String(want.owner) : s?.owner,
    group: want.group !== undefined ? String(want.group) : s?.group,
  });

  switch (state) {
    case 'absent':
      if (pf.exists) {
        facts2.action = 'remove';
        facts2.removes = lt;
        changes.push({ field: 'state', before: lt === 'other' ? 'special file' : lt, after: 'absent' });
      }
      break;

    case 'file': {
      if (!pf.exists) fail(`file (${p}) is absent, cannot continue`);
      if (!t) fail(`file (${p}) is a dangling symbolic link, cannot continue`);
      if (t!.type !== 'file') fail(`file (${p}) is ${describeType(t, lt)}, cannot continue`);
      const c = cmp(t, false);
      changes.push(...c.changes);
      facts2.attrs = c.set;
      facts2.prev = prevAttrs(t!);
      final = finalFrom(t, c.mode);
      break;
    }

    case 'touch': {
      if (!pf.exists) {
        if (pf.parent !== 'dir' && !check) fail(`cannot create ${p}: folder ${path.posix.dirname(p)} does not exist`);
        const c = cmp(undefined, false, 0o644);
        facts2.action = 'create-file';
        facts2.put = {
          mode: c.mode,
          owner: want.owner !== undefined ? String(want.owner) : undefined,
          group: want.group !== undefined ? String(want.group) : undefined,
        };
        changes.push({ field: 'state', before: 'absent', after: 'file' }, ...c.changes);
        final = { mode: c.mode ?? 0o644, owner: facts2.put.owner ?? me.user, group: facts2.put.group ?? me.group };
      } else {
        if (!t) fail(`${p} is a dangling symbolic link`);
        const c = cmp(t, t!.type === 'directory');
        changes.push(...c.changes);
        facts2.attrs = c.set;
        facts2.prev = prevAttrs(t!);
        final = finalFrom(t, c.mode);
      }
      break;
    }

    case 'directory': {
      if (!pf.exists) {
        const created = missingDirs(p, pf.ancestor);
        const c = cmp(undefined, true);
        facts2.action = 'mkdir';
        facts2.created = created;
        facts2.attrs = c.set;
        changes.push({ field: 'state', before: 'absent', after: 'directory' }, ...c.changes);
        if (created.length > 1) changes.push({ field: 'created', after: created.join(', ') });
        final = { mode: c.mode, owner: c.set.owner ?? me.user, group: c.set.group ?? me.group };
      } else {
        if (!t || t.type !== 'directory') fail(`${p} exists and is ${describeType(t, lt)}, not a directory`);
        const c = cmp(t, true);
        changes.push(...c.changes);
        facts2.attrs = { ...c.set };
        facts2.prev = prevAttrs(t!);
        final = finalFrom(t, c.mode);
        if (params.recurse && pf.tree && pf.tree.length > 1) {
          let tc: ReturnType<typeof compareTree>;
          try {
            tc = compareTree(want, pf.tree.slice(1), me.umask);
          } catch (e) {
            if (e instanceof ModeError) fail(e.message);
            throw e;
          }
          changes.push(...tc!.changes);
          if (hasAttrs(tc!.set)) {
            // chmod -R / chown -R fix the folder and everything inside in one go; entries that
            // already match are set to what they are.
            const top = c.set;
            facts2.recurse = true;
            // chown -R does not follow a link given on its command line; a trailing / does.
            if (lt === 'link') facts2.attrPath = `${p}/`;
            facts2.attrs = {
              mode: top.mode !== undefined || tc!.set.mode !== undefined ? chmodArg(want.mode!) : undefined,
              owner: top.owner ?? tc!.set.owner,
              group: top.group ?? tc!.set.group,
            };
          }
        }
      }
      break;
    }

    case 'link': {
      const src = params.src;
      if (src === undefined) fail('src is required with state: link');
      if (params.mode !== undefined) fail('mode cannot be set on a symbolic link (set it on the target)');
      if (!params.force && facts.paths[1] && !facts.paths[1].exists && !check) {
        fail(`src file does not exist, use force: true if you really want to create the link: ${facts.paths[1].path}`);
      }
      const asMe: StatInfo = { type: 'link', mode: 0o777, uid: me.uid, gid: me.gid, owner: me.user, group: me.group, size: 0 };
      if (!pf.exists) {
        if (pf.parent !== 'dir' && !check) fail(`cannot create ${p}: folder ${path.posix.dirname(p)} does not exist`);
        const c = cmp(asMe, false);
        facts2.action = 'link';
        facts2.link = { src: src! };
        facts2.attrs = c.set;
        facts2.noDereference = true;
        changes.push({ field: 'state', before: 'absent', after: 'link' }, { field: 'src', after: src }, ...c.changes);
      } else if (lt === 'link') {
        if (pf.linkTarget === src) {
          const c = cmp(pf.lstat, false);
          changes.push(...c.changes);
          facts2.attrs = c.set;
          facts2.noDereference = true;
          facts2.prev = prevAttrs(pf.lstat!);
        } else {
          const c = cmp(asMe, false);
          facts2.action = 'link';
          facts2.link = { src: src!, replaces: 'link', prevTarget: pf.linkTarget };
          facts2.attrs = c.set;
          facts2.noDereference = true;
          changes.push({ field: 'src', before: pf.linkTarget, after: src }, ...c.changes);
        }
      } else if (lt === 'file') {
        if (!params.force) fail(`refusing to convert from file to symlink for ${p} (force: true replaces the file)`);
        const c = cmp(asMe, false);
        facts2.action = 'link';
        facts2.link = { src: src!, replaces: 'file' };
        facts2.attrs = c.set;
        facts2.noDereference = true;
        changes.push({ field: 'state', before: 'file', after: 'link' }, { field: 'src', after: src }, ...c.changes);
      } else {
        fail(`refusing to convert from ${lt === 'other' ? 'special file' : lt} to symlink for ${p}`);
      }
      final = {
        owner: want.owner !== undefined ? String(want.owner) : pf.lstat?.type === 'link' && facts2.action === 'none' ? pf.lstat.owner : me.user,
        group: want.group !== undefined ? String(want.group) : pf.lstat?.type === 'link' && facts2.action === 'none' ? pf.lstat.group : me.group,
      };
      break;
    }
  }

  const result: Record<string, unknown> = {
    path: p,
    state: state === 'touch' ? (t?.type === 'directory' ? 'directory' : 'file') : state,
    ...(state === 'link' ? { src: params.src } : {}),
    ...(state !== 'absent' && final.mode !== undefined ? { mode: formatMode(final.mode) } : {}),
    ...(state !== 'absent' && final.owner !== undefined ? { owner: final.owner } : {}),
    ...(state !== 'absent' && final.group !== undefined ? { group: final.group } : {}),
  };
  const verb: Record<Action, string> = {
    none: 'set attributes of',
    'create-file': 'create file',
    mkdir: 'create directory',
    link: 'link',
    remove: 'remove',
  };
  return {
    changes,
    diff: diff && changes.length > 0 ? [changesDiff(p, changes)] : undefined,
    facts: facts2,
    result,
    summary:
      changes.length === 0
        ? undefined
        : facts2.action === 'link'
          ? `link ${p} -> ${params.src}`
          : `${verb[facts2.action]} ${p}`,
  };
}

/**
 * Args: PATH then SET_ATTRS args (for the created folders, outermost first). With an octal mode
 * alone, one `mkdir -m` makes them all with it (as mkdir -p then chmod would, set-group-ID bit
 * included: five digits clear it in both); a folder that appeared meanwhile falls back to that.
 * A symbolic mode is not given to mkdir, which reads it against a=rwx, not the new folder's mode.
 */
const MKDIR_SCRIPT = `
p=$1; shift
if [ -z "$1$2$3$4" ] && [ $# -gt 5 ]; then
  case $5 in
    *[!0-7]*|'') ;;
    *) m=$5; shift 5
      mkdir -m "$m" -- "$@" 2>/dev/null && exit 0
      mkdir -p -- "$p" && chmod -- "$m" "$@" || exit 1
      exit 0 ;;
  esac
fi
mkdir -p -- "$p" || exit 1
${SET_ATTRS_SCRIPT}`;

/** Args: PATH SRC KEEP(0|1) then SET_ATTRS args (chown -h of the link). */
const LINK_SCRIPT = `${UNDO_DIR_FN}${ATOMIC_LINK_FN}
p=$1; s=$2; keep=$3; shift 3
if [ "$keep" = 1 ]; then
  d=$(undo_dir) || { echo "cannot create a folder for the undo copy" >&2; exit 1; }
  cp -p -- "$p" "$d/file" || exit 1
  printf 'undo %s\\n' "$d"
fi
atomic_link "$s" "$p" || exit 1
${SET_ATTRS_SCRIPT}`;

/** Args: PATH KEEP(0|1). A file or link is moved aside for undo; a directory is deleted. */
const REMOVE_SCRIPT = `${UNDO_DIR_FN}
p=$1
if [ "$2" = 1 ]; then
  d=$(undo_dir) || { echo "cannot create a folder for the undo copy" >&2; exit 1; }
  mv -f -- "$p" "$d/file" || exit 1
  printf 'undo %s\\n' "$d"
else
  rm -rf -- "$p" || exit 1
fi
`;

async function applyFile(ctx: ModuleContext, plan: Plan<FilePlanFacts>): Promise<{ undo?: FileUndo }> {
  const f = plan.facts!;
  switch (f.action) {
    case 'none':
      await setAttrs(ctx, [f.attrPath ?? f.path], f.attrs, { recurse: f.recurse, noDereference: f.noDereference });
      return f.prev ? { undo: { kind: 'attrs', path: f.path, prev: f.prev, noDereference: f.noDereference } } : {};
    case 'create-file':
      await ctx.transport.put(f.path, Buffer.alloc(0), { ...f.put, become: ctx.become });
      return { undo: { kind: 'remove', path: f.path } };
    case 'mkdir': {
      const created = f.created && f.created.length > 0 ? f.created : [f.path];
      await runScript(ctx, `create directory ${f.path}`, MKDIR_SCRIPT, [
        f.path,
        ...(hasAttrs(f.attrs) ? setAttrsArgs(created, f.attrs) : setAttrsArgs([], {})),
      ]);
      return { undo: { kind: 'rmdir', dirs: [...created].reverse() } };
    }
    case 'link': {
      const link = f.link!;
      const keep = ctx.keepUndo && link.replaces === 'file';
      const r = await runScript(ctx, `link ${f.path}`, LINK_SCRIPT, [
        f.path,
        link.src,
        keep ? '1' : '0',
        ...setAttrsArgs(hasAttrs(f.attrs) ? [f.path] : [], f.attrs, { noDereference: true }),
      ]);
      if (link.replaces === 'link') return { undo: { kind: 'relink', path: f.path, target: link.prevTarget ?? '' } };
      if (keep) {
        const d = outputFields(r.stdout).undo;
        return { undo: { kind: 'restore-move', path: f.path, hostCopy: `${d}/file`, tempDir: d } };
      }
      if (link.replaces === 'file') return {}; // the replaced file was not kept: no undo
      return { undo: { kind: 'remove', path: f.path } };
    }
    case 'remove': {
      const keep = ctx.keepUndo && f.removes !== 'directory';
      const r = await runScript(ctx, `remove ${f.path}`, REMOVE_SCRIPT, [f.path, keep ? '1' : '0']);
      if (!keep) return {};
      const d = outputFields(r.stdout).undo;
      return { undo: { kind: 'restore-move', path: f.path, hostCopy: `${d}/file`, tempDir: d } };
    }
  }
}

const UNDO_REMOVE_SCRIPT = `if [ -L "$1" ] || [ -f "$1" ]; then rm -f -- "$1"; fi; exit 0`;
const UNDO_RMDIR_SCRIPT = `for d in "$@"; do rmdir -- "$d" 2>/dev/null || break; done; exit 0`;
const UNDO_MOVE_BACK_SCRIPT = `${ATOMIC_LINK_FN}
replace_path "$1" "$2" || exit 1
rm -rf -- "$3"
exit 0
`;

export async function undoFile(ctx: ModuleContext, undo: FileUndo): Promise<void> {
  switch (undo.kind) {
    case 'remove':
      await runScript(ctx, `remove ${undo.path}`, UNDO_REMOVE_SCRIPT, [undo.path]);
      return;
    case 'rmdir':
      await runScript(ctx, `remove ${undo.dirs.join(', ')}`, UNDO_RMDIR_SCRIPT, undo.dirs);
      return;
    case 'relink':
      await runScript(ctx, `restore link ${undo.path}`, RELINK_SCRIPT, [undo.path, undo.target]);
      return;
    case 'restore-move':
      await runScript(ctx, `restore ${undo.path}`, UNDO_MOVE_BACK_SCRIPT, [undo.hostCopy, undo.path, undo.tempDir]);
      return;
    case 'attrs':
      await setAttrs(ctx, [undo.path], restoreSet(undo.prev, undo.noDereference), { noDereference: undo.noDereference });
      return;
  }
}

/** What the plan read and its apply writes (Plan.footprint); none for links and trees, which a path alone does not tell. */
export function fileFootprint(facts: FileFacts, plan: Plan<FilePlanFacts>): Footprint | undefined {
  const f = plan.facts!;
  const reads = facts.paths.length === 1 ? factsReads(facts.paths[0]!) : undefined;
  if (!reads || f.recurse || f.action === 'link' || f.attrPath !== undefined) return undefined;
  if (plan.changes.length === 0) return { reads, writes: [] };
  if (f.action === 'mkdir') {
    const dirs = [...new Set([...(f.created ?? []), f.path])];
    return { reads, writes: dirs, dirs };
  }
  return { reads, writes: [f.path] };
}

export default defineModule<FileParams, FilePlanFacts>({
  name: 'file',
  description:
    'Manage a path on the host: a file\'s attributes, a directory (with parents), a symbolic ' +
    'link, an empty file (touch), or its absence, with mode/owner/group. All facts come in one ' +
    'round trip; the task is ok when nothing differs (touch included). Rollback removes what it ' +
    'created, puts back a removed file or link (kept aside on the host), an old link target, or ' +
    'previous attributes; a removed directory is not restored.',
  example: `- name: Release folder
  file: { path: /srv/app/releases, state: directory, mode: "0755" }
- name: Current release
  file: { path: /srv/app/current, src: /srv/app/releases/v2, state: link }
- name: No stale lock
  file: { path: /srv/app/app.lock, state: absent }
`,
  schema: fileSchema,
  // Its plan reads the path's facts first, so that read may be sent ahead.
  readsFirst: true,
  // Its apply's commands follow from its plan alone: a loop of it may be fused.
  fusible: true,
  // Its read after folders made by earlier items of a fused loop can be told without sending it.
  predictRead: predictFactsRead,
  async plan(ctx, params) {
    const req = fileFactsRequest(params);
    const facts = await gatherFileFacts(ctx, req.paths, { recurse: req.recurse });
    const plan = decideFile(params, facts, ctx.diff, ctx.check);
    const footprint = fileFootprint(facts, plan);
    return footprint ? { ...plan, footprint } : plan;
  },
  async apply(ctx, _params, plan) {
    const r = await applyFile(ctx, plan);
    return { result: plan.result, undo: r.undo };
  },
  undo(ctx, _params, undo) {
    return undoFile(ctx, undo as FileUndo);
  },
});
