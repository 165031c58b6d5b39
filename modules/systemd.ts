import { defineModule } from '../src/core/module.js';
import {
  applyService,
  planService,
  serviceProperties,
  serviceSchemaTail,
  undoService,
  type ServiceParams,
  type ServicePlanFacts,
} from './_lib/service.js';

export default defineModule<ServiceParams, ServicePlanFacts>({
  name: 'systemd',
  description:
    'Like `service`, plus daemon_reload (`systemctl daemon-reload` before anything else, after ' +
    'a unit file changed). On a host without systemd it uses the sysvinit script the same way ' +
    'and daemon_reload has nothing to do.',
  example: `- name: Load the new unit and start it
  systemd: { name: app.service, daemon_reload: true, state: started, enabled: true }
`,
  schema: {
    type: 'object',
    additionalProperties: false,
    properties: {
      ...serviceProperties,
      daemon_reload: {
        type: 'boolean',
        default: false,
        description: 'Run `systemctl daemon-reload` first (counts as a change on a systemd host).',
      },
    },
    required: ['name'],
    ...serviceSchemaTail,
  },
  plan: (ctx, params) => planService('systemd', ctx, params),
  apply: (ctx, params, plan) => applyService('systemd', ctx, params, plan),
  undo: (ctx, params, undo) => undoService('systemd', ctx, params, undo),
});
