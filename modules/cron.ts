import { ModuleError } from '../src/core/errors.js';
import { defineModule } from '../src/core/module.js';
import { ACCOUNT_NAME_PATTERN } from './_lib/accounts.js';
import { CRON_FIELD_PATTERN, cronSchedule, cronTarget, editCrontab, readCrontab, writeCrontab, type CronParams } from './_lib/crontab.js';

interface CronFacts {
  before: string;
  after: string;
  exists: boolean;
}

const field = (what: string) => ({
  anyOf: [{ type: 'string', pattern: CRON_FIELD_PATTERN, title: 'a cron field' }, { type: 'integer', minimum: 0 }],
  default: '*',
  description: `${what} (a cron field: *, 5, */10, 1-5, mon…).`,
});

export default defineModule<CronParams, CronFacts>({
  name: 'cron',
  description:
    'Manage one named crontab entry (the `#Ansible: NAME` comment line above it, as Ansible ' +
    'writes it, so entries made by either are recognised): schedule fields or special_time, ' +
    'job, user (crontab -u, or the spool file when the host has no crontab), or a cron_file in ' +
    '/etc/cron.d; `disabled` comments it out. The schedule is checked before anything runs; ' +
    'shows a diff; rollback restores the old crontab.',
  example: `- name: Rotate the app's cache every night
  cron:
    name: app cache
    minute: "30"
    hour: "2"
    job: /usr/local/bin/app-rotate >/dev/null 2>&1
    user: app
- name: Warm up after boot, from /etc/cron.d/app
  cron: { name: warmup, special_time: reboot, job: /usr/local/bin/app-warm, cron_file: app, user: root }
`,
  schema: {
    type: 'object',
    additionalProperties: false,
    properties: {
      name: { type: 'string', minLength: 1, pattern: '^[^\\n]*$', description: 'Name of the entry (its `#Ansible: NAME` marker).' },
      job: { type: 'string', minLength: 1, pattern: '^[^\\n]*$', description: 'The command to run.' },
      minute: field('Minute'),
      hour: field('Hour'),
      day: field('Day of the month'),
      month: field('Month'),
      weekday: field('Day of the week'),
      special_time: {
        enum: ['reboot', 'yearly', 'annually', 'monthly', 'weekly', 'daily', 'hourly'],
        description: 'Instead of the five fields: @reboot, @daily…',
      },
      user: { type: 'string', pattern: ACCOUNT_NAME_PATTERN, title: 'a user name', description: 'Whose crontab (default: the connecting user, after become).' },
      cron_file: {
        type: 'string',
        pattern: '^(/[^\\n]*|[A-Za-z0-9_-]+)$',
        title: 'a file name in /etc/cron.d or an absolute path',
        description: 'Put the entry in /etc/cron.d/NAME (or this absolute path) instead of a user crontab; removed when it ends up empty.',
      },
      state: { enum: ['present', 'absent'], default: 'present', description: 'Whether the entry exists.' },
      disabled: { type: 'boolean', default: false, description: 'Keep the entry commented out.' },
    },
    required: ['name'],
    if: { properties: { state: { const: 'absent' } }, required: ['state'] },
    then: {},
    else: { required: ['job'] },
    not: {
      anyOf: [
        { required: ['special_time', 'minute'] },
        { required: ['special_time', 'hour'] },
        { required: ['special_time', 'day'] },
        { required: ['special_time', 'month'] },
        { required: ['special_time', 'weekday'] },
      ],
    },
  },
  async plan(ctx, params) {
    if ((params.state ?? 'present') === 'present' && !params.job) throw new ModuleError(`cron ${params.name}: state present needs job`);
    if ((params.state ?? 'present') === 'present') cronSchedule(params); // a bad schedule fails before the host is read
    const current = await readCrontab(ctx, params);
    const after = editCrontab(current.text, params);
    const [, file] = cronTarget(params);
    const label = file || `crontab of ${params.user ?? 'the connecting user'}`;
    const result = { name: params.name, state: params.state ?? 'present', ...(file ? { cron_file: file } : {}) };
    if (after === current.text) return { changes: [], result, facts: { before: current.text, after, exists: current.exists } };
    return {
      changes: [{ field: 'cron', before: current.text.includes(`#Ansible: ${params.name}\n`) ? 'entry' : '(absent)', after: (params.state ?? 'present') === 'present' ? 'entry' : '(absent)' }],
      diff: [{ label, before: current.text, after }],
      facts: { before: current.text, after, exists: current.exists },
      result,
      summary: `${(params.state ?? 'present') === 'present' ? 'set' : 'remove'} cron entry ${params.name} in ${label}`,
    };
  },
  async apply(ctx, params, plan) {
    await writeCrontab(ctx, params, plan.facts!.after);
    return { result: plan.result, undo: { text: plan.facts!.before } };
  },
  async undo(ctx, params, undo) {
    await writeCrontab(ctx, params, (undo as { text: string }).text);
  },
});
