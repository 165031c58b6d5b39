import { ModuleError } from '../../src/core/errors.js';
import type { ModuleContext, Plan } from '../../src/core/module.js';
import { applyContent, decideContent, undoContent, type ContentFacts, type ContentUndo } from './content.js';
import { CONTENT_LIMIT, gatherFileFacts } from './facts.js';
import { modeSchema, type ModeSpec } from './mode.js';

/*
 * What lineinfile and blockinfile share: the file is read once, a pure function computes its
 * new text, and copy's content helpers decide, write (atomically, keeping mode and owner), diff
 * and undo. The modules differ only in that function and their own parameters.
 */

/** The file an in-place text edit is about, for a module's schema (first among its parameters). */
export const editFileTarget = {
  path: { type: 'string', minLength: 1, description: 'The file to edit (alias dest).' },
  dest: { type: 'string', minLength: 1, description: 'Alias of path.' },
};

/** Where new text goes and how a missing file is made (after the module's own parameters). */
export const editFilePlacement = {
  insertafter: { type: 'string', format: 'js-regex', title: 'a regular expression, EOF or BOF', description: 'Insert after the last line matching this regex (or EOF, BOF).' },
  insertbefore: { type: 'string', format: 'js-regex', title: 'a regular expression or BOF', description: 'Insert before the first line matching this regex (or BOF).' },
  create: { type: 'boolean', default: false, description: 'Create the file when it is missing.' },
  mode: modeSchema('the file'),
};

/** Schema rule: one place for new text, not two (put beside the module's `properties`). */
export const onePlacement = {
  not: { required: ['insertafter', 'insertbefore'], title: 'insertafter together with insertbefore (give one of them)' },
};

export interface EditFileParams {
  path?: string;
  dest?: string;
  insertafter?: string;
  insertbefore?: string;
  create?: boolean;
  mode?: ModeSpec;
}

export interface EditFileSpec {
  module: string;
  params: EditFileParams;
  /** Regular expressions among the parameters, checked before the host is read. */
  regexps: (string | undefined)[];
  /** When the file is missing: a plan meaning "nothing to do" (e.g. removing from no file), or undefined to go on. */
  whenMissing?: (path: string) => Plan<ContentFacts> | undefined;
  /** The file's new text from its current text ('' for a missing file). */
  edit(text: string): string;
}

/** The file (path or dest) an edit is about; throws when neither is given. */
export function editPath(module: string, params: EditFileParams): string {
  const path = params.path ?? params.dest;
  if (!path) throw new ModuleError(`${module} needs path (or dest)`, {});
  return path;
}

export async function planFileEdit(ctx: ModuleContext, spec: EditFileSpec): Promise<Plan<ContentFacts>> {
  const path = editPath(spec.module, spec.params);
  for (const r of [...spec.regexps, spec.params.insertafter, spec.params.insertbefore]) {
    if (r === undefined || r === 'EOF' || r === 'BOF') continue;
    try {
      new RegExp(r);
    } catch (e) {
      throw new ModuleError(`bad regular expression ${JSON.stringify(r)}: ${(e as Error).message}`, { path });
    }
  }
  const facts = await gatherFileFacts(ctx, [path], { hash: true, contentMax: CONTENT_LIMIT });
  const pf = facts.paths[0];
  let text = '';
  if (pf.exists && pf.lstat?.type === 'file') {
    if (pf.unreadable) throw new ModuleError(`cannot read ${path} (permission denied; use become)`, { path });
    if (!pf.content) throw new ModuleError(`${path} is larger than ${CONTENT_LIMIT} bytes`, { path });
    text = pf.content.toString('utf8');
  } else if (!pf.exists) {
    const nothing = spec.whenMissing?.(path);
    if (nothing) return nothing;
    if (!spec.params.create) throw new ModuleError(`${path} does not exist (use create: true)`, { path });
  }
  const next = spec.edit(text);
  return decideContent({ dest: path, content: Buffer.from(next, 'utf8'), mode: spec.params.mode }, facts, ctx.diff, ctx.check);
}

/** apply and undo of an in-place edit: those of copy's content. */
export const fileEditApply = {
  apply(ctx: ModuleContext, _params: unknown, plan: Plan<ContentFacts>) {
    return applyContent(ctx, plan);
  },
  undo(ctx: ModuleContext, _params: unknown, undo: unknown) {
    return undoContent(ctx, undo as ContentUndo);
  },
};
