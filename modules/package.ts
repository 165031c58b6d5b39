import { defineModule } from '../src/core/module.js';
import { applyApt, planApt, type AptParams, type AptPlanFacts } from './_lib/apt.js';
import { aptNameProperty } from './apt.js';

export default defineModule<AptParams, AptPlanFacts>({
  name: 'package',
  description:
    'Install or remove packages with the host\'s package manager, by the same names on every host. ' +
    'Hosts with apt (Debian, Ubuntu) are supported, exactly like the apt module; others fail with a clear message.',
  example: `- name: Curl is installed
  package: { name: curl, state: present }
`,
  schema: {
    type: 'object',
    additionalProperties: false,
    properties: {
      name: aptNameProperty,
      state: {
        enum: ['present', 'absent', 'latest', 'installed', 'removed'],
        default: 'present',
        description: '`present` (installed, any version), `latest`, `absent`.',
      },
    },
    required: ['name'],
  },
  plan: (ctx, params) => planApt('package', ctx, params),
  apply: (ctx, _params, plan) => applyApt('package', ctx, plan),
});
