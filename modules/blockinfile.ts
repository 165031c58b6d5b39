import { ModuleError } from '../src/core/errors.js';
import { defineModule } from '../src/core/module.js';
import { applyContent, decideContent, undoContent, type ContentFacts, type ContentUndo } from './_lib/content.js';
import { CONTENT_LIMIT, gatherFileFacts } from './_lib/facts.js';
import { editBlock, type BlockEdit } from './_lib/lines.js';
import { modeSchema, type ModeSpec } from './_lib/mode.js';

export interface BlockinfileParams extends BlockEdit {
  path: string;
  create?: boolean;
  mode?: ModeSpec;
}

export default defineModule<BlockinfileParams, ContentFacts>({
  name: 'blockinfile',
  description:
    'Keep a block of lines between marker lines in a file (or remove it with state: absent or an ' +
    'empty block). A new block goes at EOF or after/before the line matching insertafter/insertbefore. ' +
    'One read, an atomic write keeping mode and owner, a diff, and rollback to the old text.',
  example: `- name: Extra hosts
  blockinfile:
    path: /etc/hosts
    block: |
      10.0.0.5 db
      10.0.0.6 cache
`,
  schema: {
    type: 'object',
    additionalProperties: false,
    properties: {
      path: { type: 'string', minLength: 1, description: 'The file to edit (alias dest).' },
      dest: { type: 'string', minLength: 1, description: 'Alias of path.' },
      block: { type: 'string', default: '', description: 'The lines to keep between the markers.' },
      marker: { type: 'string', default: '# {mark} ANSIBLE MANAGED BLOCK', description: 'Marker line template; {mark} becomes marker_begin/marker_end.' },
      marker_begin: { type: 'string', default: 'BEGIN', description: 'Word for {mark} in the first marker.' },
      marker_end: { type: 'string', default: 'END', description: 'Word for {mark} in the last marker.' },
      state: { type: 'string', enum: ['present', 'absent'], default: 'present', description: 'Whether the block is there.' },
      insertafter: { type: 'string', description: 'Insert after the last line matching this regex (or EOF, BOF).' },
      insertbefore: { type: 'string', description: 'Insert before the first line matching this regex (or BOF).' },
      create: { type: 'boolean', default: false, description: 'Create the file when it is missing.' },
      mode: modeSchema('the file'),
    },
  },
  async plan(ctx, raw) {
    const params = raw as BlockinfileParams & { dest?: string };
    const path = params.path ?? params.dest;
    if (!path) throw new ModuleError('blockinfile needs path (or dest)', {});
    for (const r of [params.insertafter, params.insertbefore]) {
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
      if (params.state === 'absent' || !params.block) return { changes: [], result: { path } };
      if (!params.create) throw new ModuleError(`${path} does not exist (use create: true)`, { path });
    }
    const next = editBlock(text, params);
    return decideContent({ dest: path, content: Buffer.from(next, 'utf8'), mode: params.mode }, facts, ctx.diff, ctx.check);
  },
  apply(ctx, _params, plan) {
    return applyContent(ctx, plan);
  },
  undo(ctx, _params, undo) {
    return undoContent(ctx, undo as ContentUndo);
  },
});
