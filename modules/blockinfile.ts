import { defineModule } from '../src/core/module.js';
import type { ContentFacts } from './_lib/content.js';
import { editFilePlacement, editFileTarget, onePlacement, fileEditApply, planFileEdit, type EditFileParams } from './_lib/edit-file.js';
import { editBlock, type BlockEdit } from './_lib/lines.js';

export interface BlockinfileParams extends BlockEdit, EditFileParams {}

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
  // Its plan reads the file's facts first, so that read may be sent ahead.
  readsFirst: true,
  schema: {
    type: 'object',
    additionalProperties: false,
    properties: {
      ...editFileTarget,
      block: { type: 'string', default: '', description: 'The lines to keep between the markers.' },
      marker: { type: 'string', default: '# {mark} ANSIBLE MANAGED BLOCK', description: 'Marker line template; {mark} becomes marker_begin/marker_end.' },
      marker_begin: { type: 'string', default: 'BEGIN', description: 'Word for {mark} in the first marker.' },
      marker_end: { type: 'string', default: 'END', description: 'Word for {mark} in the last marker.' },
      state: { type: 'string', enum: ['present', 'absent'], default: 'present', description: 'Whether the block is there.' },
      ...editFilePlacement,
    },
    ...onePlacement,
  },
  plan(ctx, params) {
    return planFileEdit(ctx, {
      module: 'blockinfile',
      params,
      regexps: [],
      whenMissing: (path) => (params.state === 'absent' || !params.block ? { changes: [], result: { path } } : undefined),
      edit: (text) => editBlock(text, params),
    });
  },
  ...fileEditApply,
});
