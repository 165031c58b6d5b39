import { ModuleError } from '../src/core/errors.js';
import { defineModule } from '../src/core/module.js';
import { decideContent, undoContent, applyContent, type ContentFacts, type ContentUndo } from './_lib/content.js';
import { CONTENT_LIMIT, gatherFileFacts } from './_lib/facts.js';
import { editLines } from './_lib/lines.js';
import { modeSchema, type ModeSpec } from './_lib/mode.js';

export interface LineinfileParams {
  path: string;
  line?: string;
  regexp?: string;
  state?: 'present' | 'absent';
  insertafter?: string;
  insertbefore?: string;
  create?: boolean;
  mode?: ModeSpec;
}

export default defineModule<LineinfileParams, ContentFacts>({
  name: 'lineinfile',
  description:
    'Make sure one line is in a file (or is not). With regexp, the last matching line is replaced, ' +
    'or every matching line removed with state: absent. A new line goes at EOF, or after/before ' +
    'the line matching insertafter/insertbefore (BOF and EOF too). Reads the file in one round ' +
    'trip, writes atomically keeping mode and owner, shows a diff, and rollback restores the old text.',
  example: `- name: Listen on 8080
  lineinfile:
    path: /etc/app.conf
    regexp: "^port="
    line: "port=8080"
    create: true
- name: No debug flag
  lineinfile: { path: /etc/app.conf, regexp: "^debug", state: absent }
`,
  schema: {
    type: 'object',
    additionalProperties: false,
    properties: {
      path: { type: 'string', minLength: 1, description: 'The file to edit (alias dest).' },
      dest: { type: 'string', minLength: 1, description: 'Alias of path.' },
      line: { type: 'string', description: 'The line to have in the file (state present).' },
      regexp: { type: 'string', description: 'Regular expression picking the line to replace or remove.' },
      state: { type: 'string', enum: ['present', 'absent'], default: 'present', description: 'Whether the line is there.' },
      insertafter: { type: 'string', description: 'Insert after the last line matching this regex (or EOF, BOF).' },
      insertbefore: { type: 'string', description: 'Insert before the first line matching this regex (or BOF).' },
      create: { type: 'boolean', default: false, description: 'Create the file when it is missing.' },
      mode: modeSchema('the file'),
    },
  },
  async plan(ctx, raw) {
    const params = raw as LineinfileParams & { dest?: string };
    const path = params.path ?? params.dest;
    if (!path) throw new ModuleError('lineinfile needs path (or dest)', {});
    const state = params.state ?? 'present';
    if (state === 'present' && params.line === undefined) throw new ModuleError('state present needs line', { path });
    if (state === 'absent' && params.line === undefined && params.regexp === undefined) {
      throw new ModuleError('state absent needs line or regexp', { path });
    }
    for (const r of [params.regexp, params.insertafter, params.insertbefore]) {
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
      if (state === 'absent') return { changes: [], result: { path, found: 0 } };
      if (!params.create) throw new ModuleError(`${path} does not exist (use create: true)`, { path });
    }
    const next = editLines(text, { ...params, state });
    return decideContent({ dest: path, content: Buffer.from(next, 'utf8'), mode: params.mode }, facts, ctx.diff, ctx.check);
  },
  apply(ctx, _params, plan) {
    return applyContent(ctx, plan);
  },
  undo(ctx, _params, undo) {
    return undoContent(ctx, undo as ContentUndo);
  },
});
