import { defineModule } from '../src/core/module.js';
import {
  applyService,
  planService,
  serviceProperties,
  undoService,
  type ServiceParams,
  type ServicePlanFacts,
} from './_lib/service.js';

export default defineModule<ServiceParams, ServicePlanFacts>({
  name: 'service',
  description:
    'Start, stop, restart or reload a service and choose whether it starts at boot. Finds the ' +
    'init system in one round trip: systemd (systemctl) when it runs, else the sysvinit script ' +
    '/etc/init.d/NAME (through `service`, with update-rc.d for enabled). `started` and `stopped` ' +
    'change only what needs it; rollback puts back a start/stop and enabled.',
  example: `- name: Nginx runs and starts at boot
  service: { name: nginx, state: started, enabled: true }
- name: Pick up the new config
  service: { name: nginx, state: reloaded }
`,
  schema: {
    type: 'object',
    additionalProperties: false,
    properties: { ...serviceProperties },
    required: ['name'],
    anyOf: [{ required: ['state'] }, { required: ['enabled'] }],
  },
  plan: (ctx, params) => planService('service', ctx, params),
  apply: (ctx, params, plan) => applyService('service', ctx, params, plan),
  undo: (ctx, params, undo) => undoService('service', ctx, params, undo),
});
