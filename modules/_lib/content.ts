import { createHash } from 'node:crypto';
import path from 'node:path';
import { ModuleError } from '../../src/core/errors.js';
import type { ApplyResult, Change, FileDiff, ModuleContext, Plan } from '../../src/core/module.js';
import {
  compareAttrs,
  groupSchema,
  ownerSchema,
  prevAttrs,
  restoreSet,
  setAttrs,
  type AttrParams,
  type AttrSet,
  type PrevAttrs,
} from './attrs.js';
import { CONTENT_LIMIT, factsReads, gatherFileFacts, joinPath, posixCksum, type FileFacts } from './facts.js';
import { chmodOctal, formatMode, modeSchema, ModeError } from './mode.js';
import { ATOMIC_LINK_FN, outputFields, runScript, UNDO_DIR_FN } from './remote.js';

/**
 * The machinery behind `copy` and `template`: make one file on the host have given content and
 * attributes. Plan reads the facts in one round trip and decides; apply writes atomically
 * (transport.put) or only fixes attributes; undo puts the previous state back.
 */

export interface ContentRequest extends AttrParams {
  dest: string;
  content: Buffer;
  /** File name to use when dest is a folder (basename of copy/template src). */
  srcName?: string;
  /** Controller path the content came from (result field). */
  src?: string;
  backup?: boolean;
  force?: boolean;
}

export interface ContentFacts {
  path: string;
  /** New content, base64. */
  content: string;
  writeContent: boolean;
  /** Folder to create first (dest given as 'dir/' that does not exist). */
  mkdir?: string;
  /** What was there before. */
  existed: 'file' | 'link' | false;
  prev?: PrevAttrs;
  prevLink?: string;
  /** Previous content (base64) when it was read during plan; kept for undo. */
  prevContent?: string;
  /** Attributes to fix when the content stays. */
  attrs: AttrSet;
  /** Attributes the written file gets. */
  put: { mode?: number; owner?: string; group?: string };
  backup: boolean;
  result: Record<string, unknown>;
}

export type ContentUndo =
  | { kind: 'remove'; path: string; rmdir?: string }
  | { kind: 'relink'; path: string; target: string }
  | { kind: 'restore'; path: string; prev: PrevAttrs; content?: string; hostCopy?: string; tempDir?: string }
  | { kind: 'attrs'; path: string; prev: PrevAttrs };

/** Schema properties shared by copy and template. */
export const contentAttrProperties = {
  mode: modeSchema('the file'),
  owner: ownerSchema,
  group: groupSchema,
  backup: {
    type: 'boolean',
    default: false,
    description:
      'Before overwriting, keep a copy of the old file next to it as DEST.YYYY-MM-DD@HH:MM:SS~ ' +
      '(its path is the result field backup_file).',
  },
};

export function sha256(b: Buffer): string {
  return createHash('sha256').update(b).digest('hex');
}

function sha1(b: Buffer): string {
  return createHash('sha1').update(b).digest('hex');
}

const utf8 = new TextDecoder('utf-8', { fatal: true });

/** The text of a file for a diff, or a one-line placeholder for binary/large content. */
export function diffText(b: Buffer): string {
  if (b.length > CONTENT_LIMIT) return `(${b.length} bytes, not shown)\n`;
  if (b.includes(0)) return `(binary, ${b.length} bytes, sha256 ${sha256(b).slice(0, 16)})\n`;
  try {
    return utf8.decode(b);
  } catch {
    return `(binary, ${b.length} bytes, sha256 ${sha256(b).slice(0, 16)})\n`;
  }
}

function short(sha: string, size: number): string {
  return `sha256:${sha.slice(0, 12)} (${size} bytes)`;
}

/** Facts to gather for a request (one round trip). */
export function contentFactsRequest(req: ContentRequest, diff: boolean) {
  return {
    paths: [req.dest],
    opts: { hash: true, join: req.srcName, contentMax: diff ? CONTENT_LIMIT : 0 },
  };
}

export async function planContent(ctx: ModuleContext, req: ContentRequest): Promise<Plan<ContentFacts>> {
  const { paths, opts } = contentFactsRequest(req, ctx.diff);
  const facts = await gatherFileFacts(ctx, paths, opts);
  const plan = decideContent(req, facts, ctx.diff, ctx.check);
  // What it read and writes (Plan.footprint): not when it makes a folder, whose missing parents a path alone does not tell.
  const reads = facts.paths.length === 1 && !plan.facts!.mkdir ? factsReads(facts.paths[0]!) : undefined;
  return reads ? { ...plan, footprint: { reads, writes: plan.changes.length === 0 ? [] : [plan.facts!.path] } } : plan;
}

/** Decide from facts (pure; fixture-tested). `check`: a missing parent folder is planned for, not an error. */
export function decideContent(req: ContentRequest, facts: FileFacts, diff: boolean, check = false): Plan<ContentFacts> {
  const pf = facts.paths[0];
  const me = facts.me;
  const want: AttrParams = { mode: req.mode, owner: req.owner, group: req.group };
  const force = req.force ?? true;
  let target = pf.path;
  let mkdir: string | undefined;
  if (req.dest.endsWith('/') && !pf.joined) {
    if (!req.srcName) {
      throw new ModuleError(`dest '${req.dest}' names a folder; with content, give the file's full path`, { dest: req.dest });
    }
    if (pf.exists) throw new ModuleError(`dest '${req.dest}' exists and is not a directory`, { dest: req.dest });
    target = joinPath(req.dest, req.srcName);
    mkdir = req.dest;
  }
  const cur = mkdir ? undefined : pf;
  const type = cur?.exists ? cur.lstat?.type : undefined;
  if (cur?.exists && !cur.lstat) throw new ModuleError(`cannot stat ${target}`, { dest: target });
  if (type === 'directory') {
    throw new ModuleError(
      req.srcName
        ? `dest ${target} is a directory`
        : `dest ${target} is a directory: content needs a file path (or end dest with / and use src)`,
      { dest: target },
    );
  }
  if (type === 'other') throw new ModuleError(`dest ${target} exists and is not a regular file`, { dest: target });
  // In check mode an earlier task may be about to create the folder: plan the write anyway
  // and say so, rather than failing a preview that a real run would pass.
  const parentPending = !type && !mkdir && pf.parent !== 'dir';
  if (parentPending && !check) {
    throw new ModuleError(`destination directory ${path.posix.dirname(target)} does not exist`, { dest: target });
  }

  const content = req.content;
  const newSha = sha256(content);
  const changes: Change[] = parentPending
    ? [{ field: 'folder', after: `${path.posix.dirname(target)} (not there yet: an earlier task must create it)` }]
    : [];
  const fileDiff: FileDiff[] = [];
  let writeContent = false;
  let attrs: AttrSet = {};
  const put: ContentFacts['put'] = {};
  let finalMode: number | undefined;
  let cmp: ReturnType<typeof compareAttrs>;
  try {
    cmp = compareAttrs(want, type === 'file' ? cur!.lstat : undefined, { isDir: false, umask: me.umask });
  } catch (e) {
    if (e instanceof ModeError) throw new ModuleError(e.message, { dest: target });
    throw e;
  }

  if (type === 'file') {
    const st = cur!.lstat!;
    if (force) {
      if (cur!.unreadable) {
        throw new ModuleError(`cannot read ${target} to compare its content (permission denied; use become)`, { dest: target });
      }
      const same = cur!.sha256
        ? cur!.sha256 === newSha
        : cur!.cksum
          ? cur!.cksum.crc === posixCksum(content) && cur!.cksum.size === content.length
          : false;
      writeContent = !same;
    }
    if (writeContent) {
      changes.push({
        field: 'content',
        before: cur!.sha256 ? short(cur!.sha256, st.size) : `${st.size} bytes`,
        after: short(newSha, content.length),
      });
      changes.push(...cmp.changes);
      put.mode = cmp.mode ?? st.mode;
      put.owner = req.owner !== undefined ? String(req.owner) : st.uid !== me.uid ? String(st.uid) : undefined;
      put.group = req.group !== undefined ? String(req.group) : st.gid !== me.gid ? String(st.gid) : undefined;
    } else {
      changes.push(...cmp.changes);
      attrs = cmp.set;
    }
    finalMode = cmp.mode ?? st.mode;
  } else if (type === 'link' && !force) {
    // force: false leaves whatever is there alone.
  } else {
    writeContent = true;
    changes.push({ field: 'state', before: type ?? 'absent', after: 'file' });
    if (type === 'link') changes.push({ field: 'link', before: cur!.linkTarget, after: undefined });
    changes.push(...cmp.changes);
    put.mode = cmp.mode;
    put.owner = req.owner !== undefined ? String(req.owner) : undefined;
    put.group = req.group !== undefined ? String(req.group) : undefined;
    finalMode = cmp.mode ?? 0o644;
  }

  if (diff && writeContent) {
    let before = '';
    if (type === 'file') before = cur!.content ? diffText(cur!.content) : `(${cur!.lstat!.size} bytes, not shown)\n`;
    else if (type === 'link') before = `(symbolic link to ${cur!.linkTarget})\n`;
    fileDiff.push({ label: target, before, after: diffText(content) });
  }

  const st = type === 'file' ? cur!.lstat : undefined;
  const result: Record<string, unknown> = {
    dest: target,
    ...(req.src !== undefined ? { src: req.src } : {}),
    checksum: sha1(content),
    sha256: newSha,
    size: content.length,
    state: 'file',
    ...(finalMode !== undefined ? { mode: formatMode(finalMode) } : {}),
    owner: req.owner !== undefined ? String(req.owner) : (st?.owner ?? me.user),
    group: req.group !== undefined ? String(req.group) : (st?.group ?? me.group),
  };
  if (type === 'file' && !writeContent && !force) {
    // Content was not compared: report what is there, not what we would have written.
    delete result.checksum;
    delete result.sha256;
    result.size = st!.size;
  }

  const facts2: ContentFacts = {
    path: target,
    content: content.toString('base64'),
    writeContent,
    mkdir,
    existed: type === 'file' ? 'file' : type === 'link' ? 'link' : false,
    prev: st ? prevAttrs(st) : undefined,
    prevLink: type === 'link' ? cur!.linkTarget : undefined,
    prevContent: type === 'file' && cur!.content ? cur!.content.toString('base64') : undefined,
    attrs,
    put,
    backup: req.backup ?? false,
    result,
  };
  return {
    changes,
    diff: fileDiff.length > 0 ? fileDiff : undefined,
    facts: facts2,
    result,
    summary: changes.length === 0 ? undefined : writeContent ? `write ${target}` : `set attributes of ${target}`,
  };
}

/** Args: MKDIR BACKUP_TO KEEP_UNDO(0|1) PATH. Prints `undo DIR` when it kept a copy. */
const PRE_WRITE_SCRIPT = `${UNDO_DIR_FN}
mk=$1; bk=$2; keep=$3; p=$4
if [ -n "$mk" ]; then mkdir -p -- "$mk" || exit 1; fi
if [ -n "$bk" ]; then cp -p -- "$p" "$bk" || exit 1; fi
if [ "$keep" = 1 ]; then
  d=$(undo_dir) || { echo "cannot create a folder for the undo copy" >&2; exit 1; }
  cp -p -- "$p" "$d/file" || exit 1
  printf 'undo %s\\n' "$d"
fi
`;

export function backupName(file: string, now = new Date()): string {
  const p = (n: number) => String(n).padStart(2, '0');
  const ts = `${now.getFullYear()}-${p(now.getMonth() + 1)}-${p(now.getDate())}@${p(now.getHours())}:${p(now.getMinutes())}:${p(now.getSeconds())}`;
  return `${file}.${ts}~`;
}

export async function applyContent(ctx: ModuleContext, plan: Plan<ContentFacts>): Promise<ApplyResult> {
  const f = plan.facts!;
  if (!f.writeContent) {
    await setAttrs(ctx, [f.path], f.attrs);
    return { result: f.result, undo: { kind: 'attrs', path: f.path, prev: f.prev! } satisfies ContentUndo };
  }
  const backupFile = f.backup && f.existed === 'file' ? backupName(f.path) : undefined;
  const keepUndo = ctx.keepUndo && f.existed === 'file' && f.prevContent === undefined && !backupFile;
  let undoDir: string | undefined;
  if (f.mkdir || backupFile || keepUndo) {
    const r = await runScript(ctx, `prepare writing ${f.path}`, PRE_WRITE_SCRIPT, [
      f.mkdir ?? '',
      backupFile ?? '',
      keepUndo ? '1' : '0',
      f.path,
    ]);
    undoDir = outputFields(r.stdout).undo || undefined;
  }
  await ctx.transport.put(f.path, Buffer.from(f.content, 'base64'), { ...f.put, become: ctx.become });
  let undo: ContentUndo;
  if (f.existed === 'file' && !keepUndo && f.prevContent === undefined && !backupFile) {
    undo = { kind: 'attrs', path: f.path, prev: f.prev! }; // content not kept: attributes only
  } else if (f.existed === 'file') {
    undo = {
      kind: 'restore',
      path: f.path,
      prev: f.prev!,
      content: f.prevContent,
      hostCopy: f.prevContent !== undefined ? undefined : (backupFile ?? `${undoDir}/file`),
      tempDir: undoDir,
    };
  } else if (f.existed === 'link') {
    undo = { kind: 'relink', path: f.path, target: f.prevLink ?? '' };
  } else {
    undo = { kind: 'remove', path: f.path, rmdir: f.mkdir };
  }
  return { result: { ...f.result, ...(backupFile ? { backup_file: backupFile } : {}) }, undo };
}

const REMOVE_SCRIPT = `
rm -f -- "$1" || exit 1
if [ -n "$2" ]; then rmdir -- "$2" 2>/dev/null; fi
exit 0
`;

/** Args: PATH TARGET. Makes PATH a symlink to TARGET again, atomically. */
export const RELINK_SCRIPT = `${ATOMIC_LINK_FN}
atomic_link "$2" "$1"
`;

/** Args: COPY PATH UID GID MODE TEMPDIR. Puts a kept copy back, atomically. */
const RESTORE_COPY_SCRIPT = `${ATOMIC_LINK_FN}
src=$1; p=$2
t=$(mktemp "$(dirname -- "$p")/.runbook-restore.XXXXXX") || exit 1
cp -p -- "$src" "$t" || { rm -f -- "$t"; exit 1; }
chown -- "$3:$4" "$t" && chmod -- "$5" "$t" && replace_path "$t" "$p" || { rm -f -- "$t"; exit 1; }
if [ -n "$6" ]; then rm -rf -- "$6"; fi
exit 0
`;

export async function undoContent(ctx: ModuleContext, undo: ContentUndo): Promise<void> {
  switch (undo.kind) {
    case 'remove':
      await runScript(ctx, `remove ${undo.path}`, REMOVE_SCRIPT, [undo.path, undo.rmdir ?? '']);
      return;
    case 'relink':
      await runScript(ctx, `restore link ${undo.path}`, RELINK_SCRIPT, [undo.path, undo.target]);
      return;
    case 'attrs':
      await setAttrs(ctx, [undo.path], restoreSet(undo.prev));
      return;
    case 'restore':
      if (undo.content !== undefined) {
        await ctx.transport.put(undo.path, Buffer.from(undo.content, 'base64'), {
          mode: undo.prev.mode,
          owner: String(undo.prev.uid),
          group: String(undo.prev.gid),
          become: ctx.become,
        });
      } else if (undo.hostCopy) {
        await runScript(ctx, `restore ${undo.path}`, RESTORE_COPY_SCRIPT, [
          undo.hostCopy,
          undo.path,
          String(undo.prev.uid),
          String(undo.prev.gid),
          chmodOctal(undo.prev.mode),
          undo.tempDir ?? '',
        ]);
      }
      return;
  }
}
