import { CommandError } from '../src/core/errors.js';
import { defineModule } from '../src/core/module.js';
import {
  ACCOUNT_NAME_PATTERN,
  groupFactsCommand,
  groupSteps,
  parseGroupFacts,
  runSteps,
  type AccountStep,
  type GroupParams,
} from './_lib/accounts.js';

export default defineModule<GroupParams, AccountStep[]>({
  name: 'group',
  description:
    'Make a local group be there (with a gid) or not, with groupadd/groupmod/groupdel; reads it ' +
    'with getent in one round trip.',
  example: `- name: Group of the app
  group: { name: app, gid: 1500, system: true }
`,
  schema: {
    type: 'object',
    additionalProperties: false,
    properties: {
      name: { type: 'string', pattern: ACCOUNT_NAME_PATTERN, title: 'a group name', description: 'Name of the group.' },
      gid: { type: 'integer', minimum: 0, description: 'Group id.' },
      system: { type: 'boolean', default: false, description: 'A system group (gid from the system range) when creating it.' },
      state: { enum: ['present', 'absent'], default: 'present', description: 'Whether the group exists.' },
    },
    required: ['name'],
  },
  async plan(ctx, params) {
    const r = await ctx.run(groupFactsCommand(params.name));
    if (r.exitCode !== 0) throw new CommandError(ctx.host, `group facts of ${params.name}`, r.exitCode, r.stderr, `cannot look up group ${params.name}`);
    const g = parseGroupFacts(r.stdout);
    const steps = groupSteps(params, g);
    const state = params.state ?? 'present';
    return {
      changes: steps.map((s) => s.change),
      facts: steps,
      result: state === 'absent' ? { name: params.name, state } : { name: params.name, state, gid: params.gid ?? g?.gid },
      summary: steps.map((s) => s.argv.join(' ')).join('; ') || undefined,
    };
  },
  async apply(ctx, params, plan) {
    await runSteps(ctx, 'group', plan.facts!);
    return { result: plan.result };
  },
});
