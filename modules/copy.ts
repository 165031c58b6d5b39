import path from 'node:path';
import { ModuleError } from '../src/core/errors.js';
import { defineModule } from '../src/core/module.js';
import { applyContent, contentAttrProperties, planContent, undoContent, type ContentFacts, type ContentUndo } from './_lib/content.js';
import type { ModeSpec } from './_lib/mode.js';
import { predictFactsRead } from './_lib/facts.js';

export interface CopyParams {
  dest: string;
  content?: unknown;
  src?: string;
  mode?: ModeSpec;
  owner?: string | number;
  group?: string | number;
  backup?: boolean;
  force?: boolean;
}

export const copySchema = {
  type: 'object',
  additionalProperties: false,
  properties: {
    dest: {
      type: 'string',
      minLength: 1,
      description:
        'Path of the file on the host. If it ends with / or is an existing directory, the file goes ' +
        'into it under the basename of src (a missing folder given with a trailing / is created).',
    },
    content: {
      description:
        'The file content, literally (no templating beyond the task\'s own). A value that is not a ' +
        'string (a map, a list, a number) is written as JSON.',
    },
    src: {
      type: 'string',
      minLength: 1,
      description:
        "A file on the controller. A relative path is looked up in the playbook's files/ folder, " +
        'then in the playbook folder itself. Folders are not copied recursively.',
    },
    ...contentAttrProperties,
    force: {
      type: 'boolean',
      default: true,
      description:
        'Replace the content of an existing file that differs. With false, an existing dest keeps ' +
        'its content (mode/owner/group are still enforced); only a missing file is written.',
    },
  },
  required: ['dest'],
  oneOf: [{ required: ['content'] }, { required: ['src'] }],
};

/** The bytes a `content` parameter stands for. */
export function contentBytes(content: unknown): Buffer {
  if (typeof content === 'string') return Buffer.from(content, 'utf8');
  if (typeof content === 'number' || typeof content === 'boolean') return Buffer.from(String(content), 'utf8');
  return Buffer.from(JSON.stringify(content ?? null), 'utf8');
}

export default defineModule<CopyParams, ContentFacts>({
  name: 'copy',
  description:
    'Make a file on the host have the given content (from `content` or a controller file `src`) ' +
    'and mode/owner/group. Compares by sha256 in one round trip, writes atomically (temp file + ' +
    'rename), keeps the owner/group/mode of a replaced file unless told otherwise, and reports ' +
    'attribute-only changes without rewriting the file. With --diff it shows the old and new ' +
    'text. Rollback restores the previous content and attributes, or removes a file it created.',
  example: `- name: Home page
  copy:
    dest: /srv/www/index.html
    content: "<h1>{{ inventory_hostname }}</h1>\\n"
    mode: "0644"
- name: Tool from the playbook's files/ folder
  copy: { src: tool.sh, dest: /usr/local/bin/tool, mode: "0755", backup: true }
`,
  schema: copySchema,
  // Its plan reads the path's facts first, so that read may be sent ahead.
  readsFirst: true,
  // Its apply's commands follow from its plan alone (a backup's name is the time of the apply): a loop of it may be fused.
  fusible: (params) => !params.backup,
  // Its read after folders made by earlier items of a fused loop can be told without sending it.
  predictRead: predictFactsRead,
  async plan(ctx, params) {
    let content: Buffer;
    let srcName: string | undefined;
    let src: string | undefined;
    if (params.src !== undefined) {
      if (params.src.endsWith('/')) {
        throw new ModuleError(`src '${params.src}' is a folder: copying folders is not supported`, { src: params.src });
      }
      try {
        const f = await ctx.readLocalFile(params.src, 'files');
        content = f.content;
        src = f.path;
      } catch (e) {
        throw new ModuleError(`src ${params.src}: ${(e as Error).message}`, { src: params.src });
      }
      srcName = path.basename(params.src);
    } else {
      content = contentBytes(params.content);
    }
    return planContent(ctx, {
      dest: params.dest,
      content,
      srcName,
      src,
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
