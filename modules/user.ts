import { defineModule } from '../src/core/module.js';
import {
  ACCOUNT_NAME_PATTERN,
  gatherUserFacts,
  runSteps,
  userSteps,
  type AccountStep,
  type UserFacts,
  type UserParams,
} from './_lib/accounts.js';

interface UserPlanFacts {
  facts: UserFacts;
  steps: AccountStep[];
}

function resultOf(params: UserParams, facts: UserFacts): Record<string, unknown> {
  const state = params.state ?? 'present';
  if (state === 'absent') return { name: params.name, state };
  const u = facts.user;
  return {
    name: params.name,
    state,
    uid: params.uid ?? u?.uid,
    shell: params.shell ?? u?.shell,
    home: params.home ?? u?.home,
    ...(params.group !== undefined || facts.primary !== undefined ? { group: params.group ?? facts.primary } : {}),
  };
}

export default defineModule<UserParams, UserPlanFacts>({
  name: 'user',
  description:
    'Make a local user account be there (with uid, primary group, supplementary groups, shell, ' +
    'home, comment, password hash) or not, with useradd/usermod/userdel. Reads the account in one ' +
    'round trip (getent, id). `groups` replaces the supplementary groups unless `append`. The ' +
    'password is a crypt hash, given to chpasswd -e on stdin: never in a command line or any output.',
  example: `- name: The app's account
  user:
    name: app
    uid: 1500
    shell: /usr/sbin/nologin
    groups: [adm]
    append: true
    system: true
- name: Gone, with its home
  user: { name: olduser, state: absent, remove: true }
`,
  schema: {
    type: 'object',
    additionalProperties: false,
    properties: {
      name: { type: 'string', pattern: ACCOUNT_NAME_PATTERN, title: 'a user name', description: 'Login name.' },
      state: { enum: ['present', 'absent'], default: 'present', description: 'Whether the account exists.' },
      uid: { type: 'integer', minimum: 0, description: 'User id.' },
      group: { type: 'string', minLength: 1, description: 'Primary group (name or gid); it must exist.' },
      groups: {
        anyOf: [{ type: 'array', items: { type: 'string', minLength: 1 } }, { type: 'string' }],
        description: 'Supplementary groups (a list or a comma-separated string); they must exist. An empty list removes them all.',
      },
      append: { type: 'boolean', default: false, description: 'Add `groups` to the current ones instead of replacing them.' },
      shell: { type: 'string', minLength: 1, description: 'Login shell.' },
      home: { type: 'string', minLength: 1, description: 'Home directory (changing it does not move files).' },
      create_home: { type: 'boolean', default: true, description: 'Make the home directory when creating the account.' },
      system: { type: 'boolean', default: false, description: 'A system account (uid from the system range) when creating it.' },
      comment: { type: 'string', description: 'The GECOS field (full name).' },
      password: {
        type: 'string',
        pattern: '^[^:\\n]*$',
        title: 'a crypt password hash',
        description: 'The password as a crypt hash (e.g. from `mkpasswd -m sha-512`), never plain text; `*` or `!` locks it.',
      },
      update_password: {
        enum: ['always', 'on_create'],
        default: 'always',
        description: '`always`: set the hash when it differs; `on_create`: only for a new account.',
      },
      remove: { type: 'boolean', default: false, description: 'With state absent: also remove the home directory and mail spool.' },
    },
    required: ['name'],
  },
  async plan(ctx, params) {
    const facts = await gatherUserFacts(ctx, params);
    const steps = userSteps(params, facts);
    return {
      changes: steps.map((s) => s.change),
      facts: { facts, steps },
      result: resultOf(params, facts),
      summary: steps.filter((s) => s.argv.length).map((s) => s.argv.join(' ')).join('; ') || undefined,
    };
  },
  async apply(ctx, params, plan) {
    await runSteps(ctx, 'user', plan.facts!.steps, params);
    return { result: resultOf(params, plan.facts!.facts) };
  },
});
