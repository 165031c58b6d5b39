import { ModuleError } from '../src/core/errors.js';
import { defineModule } from '../src/core/module.js';

export interface FailParams {
  msg?: unknown;
}

export default defineModule<FailParams>({
  name: 'fail',
  description:
    'Fail the task with `msg` (default "Failed as requested from task"); use it with `when`. ' +
    'Runs on the controller, in check mode too.',
  example: `- name: Refuse an unknown environment
  fail:
    msg: "env must be prod or staging, found {{ env }}"
  when: env not in ['prod', 'staging']
`,
  schema: {
    type: 'object',
    additionalProperties: false,
    properties: {
      msg: { description: 'Message of the failure (not a string is shown as JSON).' },
    },
  },
  controller: true,
  async plan(_ctx, params) {
    const msg = params.msg === undefined ? 'Failed as requested from task' : typeof params.msg === 'string' ? params.msg : JSON.stringify(params.msg);
    throw new ModuleError(msg);
  },
  async apply() {
    return { changed: false };
  },
});
