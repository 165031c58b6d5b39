import { ModuleError } from '../src/core/errors.js';
import { defineModule } from '../src/core/module.js';
import type { ContentFacts } from './_lib/content.js';
import { editFilePlacement, editFileTarget, onePlacement, editPath, fileEditApply, planFileEdit, type EditFileParams } from './_lib/edit-file.js';
import { editLines } from './_lib/lines.js';

export interface LineinfileParams extends EditFileParams {
  line?: string;
  regexp?: string;
  state?: 'present' | 'absent';
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
  // Its plan reads the file's facts first, so that read may be sent ahead.
  readsFirst: true,
  schema: {
    type: 'object',
    additionalProperties: false,
    properties: {
      ...editFileTarget,
      line: { type: 'string', description: 'The line to have in the file (state present).' },
      regexp: { type: 'string', format: 'js-regex', title: 'a regular expression', description: 'Regular expression picking the line to replace or remove.' },
      state: { type: 'string', enum: ['present', 'absent'], default: 'present', description: 'Whether the line is there.' },
      ...editFilePlacement,
    },
    ...onePlacement,
    if: { properties: { state: { const: 'absent' } }, required: ['state'] },
    then: { anyOf: [{ required: ['line'] }, { required: ['regexp'] }] },
    else: { required: ['line'] },
  },
  async plan(ctx, params) {
    const path = editPath('lineinfile', params);
    const state = params.state ?? 'present';
    if (state === 'present' && params.line === undefined) throw new ModuleError('state present needs line', { path });
    if (state === 'absent' && params.line === undefined && params.regexp === undefined) {
      throw new ModuleError('state absent needs line or regexp', { path });
    }
    return planFileEdit(ctx, {
      module: 'lineinfile',
      params,
      regexps: [params.regexp],
      whenMissing: () => (state === 'absent' ? { changes: [], result: { path, found: 0 } } : undefined),
      edit: (text) => editLines(text, { ...params, state }),
    });
  },
  ...fileEditApply,
});
