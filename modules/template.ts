import path from 'node:path';
import { ModuleError, RunbookError } from '../src/core/errors.js';
import { defineModule } from '../src/core/module.js';
import { applyContent, contentAttrProperties, planContent, undoContent, type ContentFacts, type ContentUndo } from './_lib/content.js';
import type { ModeSpec } from './_lib/mode.js';
import { isJ2Template, renderJ2 } from '../src/template/j2render.js';
import { predictFactsRead } from './_lib/facts.js';

export interface TemplateParams {
  src: string;
  dest: string;
  mode?: ModeSpec;
  owner?: string | number;
  group?: string | number;
  backup?: boolean;
  force?: boolean;
}

export const templateSchema = {
  type: 'object',
  additionalProperties: false,
  properties: {
    src: {
      type: 'string',
      minLength: 1,
      description:
        "A template on the controller. A relative path is looked up in the playbook's " +
        'templates/ folder, then in the playbook folder itself. A `.hbs` file is rendered as Handlebars; ' +
        "any other (`.j2`) as Jinja with Ansible's settings (trim_blocks on, lstrip_blocks off, a " +
        '`#jinja2:` first line may change them). Rendered with the task\'s variables, strictly (an ' +
        'undefined variable is an error naming file:line:col) and without HTML escaping.',
    },
    dest: {
      type: 'string',
      minLength: 1,
      description:
        'Path of the file on the host. If it ends with / or is an existing directory, the file goes ' +
        'into it under the basename of src.',
    },
    ...contentAttrProperties,
    force: {
      type: 'boolean',
      default: true,
      description: 'Replace the content of an existing file that differs. With false, only a missing file is written.',
    },
  },
  required: ['src', 'dest'],
};

export default defineModule<TemplateParams, ContentFacts>({
  name: 'template',
  description:
    'Render a Jinja (`.j2`, Ansible semantics) or Handlebars (`.hbs`) template from the controller ' +
    'and make a file on the host have that ' +
    'content and mode/owner/group; otherwise exactly like copy (sha256 comparison in one round ' +
    'trip, atomic write, --diff before/after, rollback to the previous content).',
  example: `- name: Site config
  template: { src: site.conf.j2, dest: /etc/site.conf, mode: "0640", owner: root }
  notify: reload site
`,
  schema: templateSchema,
  // Its plan reads the path's facts first, so that read may be sent ahead.
  readsFirst: true,
  // Its apply's commands follow from its plan alone (a backup's name is the time of the apply): a loop of it may be fused.
  fusible: (params) => !params.backup,
  // Its read after folders made by earlier items of a fused loop can be told without sending it.
  predictRead: predictFactsRead,
  async plan(ctx, params) {
    let file: { path: string; content: Buffer };
    try {
      file = await ctx.readLocalFile(params.src, 'templates');
    } catch (e) {
      throw new ModuleError(`src ${params.src}: ${(e as Error).message}`, { src: params.src });
    }
    let text: string;
    try {
      const source = file.content.toString('utf8');
      text = isJ2Template(file.path) ? renderJ2(source, ctx.vars, { file: file.path }) : ctx.render(source, file.path);
    } catch (e) {
      if (e instanceof RunbookError) throw e;
      throw new ModuleError(`template ${file.path}: ${(e as Error).message}`, { src: file.path });
    }
    return planContent(ctx, {
      dest: params.dest,
      content: Buffer.from(text, 'utf8'),
      srcName: path.basename(params.src),
      src: file.path,
      mode: params.mode,
      owner: params.owner,
      group: params.group,
      backup: params.backup,
      force: params.force,
    });
  },
  apply(ctx, _params, plan) {
    return applyContent(ctx, plan);
  },
  undo(ctx, _params, undo) {
    return undoContent(ctx, undo as ContentUndo);
  },
});
