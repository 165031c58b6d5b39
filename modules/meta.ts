import { defineModule, type MetaAction } from '../src/core/module.js';

export const META_ACTIONS: readonly MetaAction[] = ['flush_handlers', 'end_play', 'end_host', 'clear_host_errors', 'noop'];

export interface MetaParams {
  free_form: MetaAction;
}

export default defineModule<MetaParams>({
  name: 'meta',
  description:
    'Ask the engine for an action: `flush_handlers` runs the handlers notified so far now (on ' +
    'the hosts that notified them, in definition order), `end_host` ends the play for this host ' +
    '(not failed; it runs nothing more in the play, handlers included), `end_play` ends the play ' +
    'for every host of it, `clear_host_errors` lets the failed hosts of the batch run the next ' +
    'tasks again, `noop` does nothing. Other meta actions are refused when the playbook is loaded. ' +
    'Runs on the controller, in check mode too, and reports ok.',
  example: `- name: Restart now, not at the end
  meta: flush_handlers
- name: Nothing more to do on a host already on the release
  meta: end_host
  when: current_release == release
`,
  schema: {
    type: 'object',
    additionalProperties: false,
    properties: {
      free_form: { enum: [...META_ACTIONS], description: 'The action: flush_handlers, end_play, end_host, clear_host_errors or noop.' },
    },
    required: ['free_form'],
  },
  freeForm: 'free_form',
  controller: true,
  async plan(_ctx, params) {
    return { changes: [], result: {}, summary: `meta: ${params.free_form}`, effects: { meta: params.free_form } };
  },
  async apply() {
    return { changed: false };
  },
});
