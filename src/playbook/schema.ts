import type { JsonSchema } from '../core/module.js';
import { rolloutSchema } from '../rollout/config.js';

/*
 * JSON Schemas of playbooks, plays and tasks (draft-07, for ajv). `description` feeds
 * `runbook doc`; `title` is the short human name of the expected type, used in error
 * messages ("expected a string or list of strings, found a number").
 *
 * Tasks allow additional properties: the one key that is not a task keyword names the
 * module, and is checked by the loader against the known modules and their own schemas.
 */

const str = (description: string): JsonSchema => ({ type: 'string', title: 'a string', description });

const boolish = (description: string): JsonSchema => ({
  title: 'a boolean (true/false, yes/no)',
  description,
  anyOf: [
    { type: 'boolean' },
    { type: 'string', enum: ['yes', 'no', 'true', 'false', 'True', 'False', 'on', 'off', 'y', 'n'] },
  ],
});

const stringList = (description: string): JsonSchema => ({
  title: 'a string or list of strings',
  description,
  anyOf: [{ type: 'string' }, { type: 'array', items: { type: 'string', title: 'a string' } }],
});

const condition = (description: string): JsonSchema => ({
  title: 'a string or list of strings',
  description,
  anyOf: [
    { type: ['string', 'boolean'] },
    { type: 'array', items: { type: ['string', 'boolean'], title: 'a string' } },
  ],
});

const tags: JsonSchema = {
  title: 'a tag or list of tags',
  description: 'Tags selecting this with --tags / --skip-tags: a list, or a string (comma-separated).',
  anyOf: [
    { type: ['string', 'number'] },
    { type: 'array', items: { type: ['string', 'number'], title: 'a tag (string)' } },
  ],
};

const loop = (description: string): JsonSchema => ({
  title: 'a list or a template yielding one',
  description,
  type: ['array', 'string'],
});

const varName = (description: string): JsonSchema => ({
  type: 'string',
  title: 'a variable name (letters, digits, _)',
  pattern: '^[A-Za-z_][A-Za-z0-9_]*$',
  description,
});

const map = (description: string): JsonSchema => ({
  type: 'object',
  title: 'a map',
  description,
});

const roleTask = (description: string): JsonSchema => ({
  title: 'a map with name (and tasks_from, vars_from, defaults_from, handlers_from)',
  description,
  anyOf: [
    { type: 'string' },
    {
      type: 'object',
      properties: {
        name: str('The role: a name found in roles/ next to the playbook, RUNBOOK_ROLES_PATH or ANSIBLE_ROLES_PATH, or a path.'),
        tasks_from: str('File of the role\'s tasks/ to run instead of main.yml.'),
        vars_from: str('File of the role\'s vars/ to read instead of main.yml.'),
        defaults_from: str('File of the role\'s defaults/ to read instead of main.yml.'),
        handlers_from: str('File of the role\'s handlers/ to read instead of main.yml.'),
        public: boolish('Whether the rest of the play sees the role\'s defaults and vars (import_role: yes, include_role: no).'),
        allow_duplicates: boolish('Accepted: import_role and include_role run the role every time.'),
        rolespec_validate: boolish('Accepted; argument specs are not checked.'),
        apply: { description: 'Not supported: put the keywords on the task itself.' },
      },
      required: ['name'],
      additionalProperties: false,
    },
  ],
});

const roleEntry: JsonSchema = {
  title: 'a role name, or a map with role (and vars, tags, when, parameters)',
  anyOf: [
    { type: 'string' },
    {
      type: 'object',
      properties: {
        role: str('The role: a name found in roles/ next to the playbook, RUNBOOK_ROLES_PATH or ANSIBLE_ROLES_PATH, or a path.'),
        name: str('Same as role.'),
        vars: map('Role parameters: seen by the role\'s tasks above everything but -e.'),
        when: condition('Run the role\'s tasks only when the expression(s) hold.'),
        tags,
      },
      description: 'Other keys are role parameters too, as in Ansible.',
      additionalProperties: true,
    },
  ],
};

/** Ansible play keywords runbook refuses at load time, each with what to do instead. */
export const UNSUPPORTED_PLAY_KEYWORDS: Readonly<Record<string, string>> = {
  vars_prompt: 'pass values with -e',
  environment: 'pass variables in the command (env VAR=x cmd) or the module (docker_container env)',
  order: 'hosts run in inventory order',
  force_handlers: 'handlers of a failed host do not run',
  module_defaults: 'give the parameters on each task',
  collections: 'modules are built in; write their short names',
  port: 'set ansible_port in the inventory',
  fact_path: 'there are no local facts',
  throttle: 'use serial or --forks',
  check_mode: 'use --check for the run',
  diff: 'use --diff for the run',
  no_log: 'set no_log on the tasks',
  timeout: 'set ansible_timeout in the inventory for connections',
  ignore_errors: 'set ignore_errors on the tasks',
  ignore_unreachable: 'an unreachable host stops',
  debugger: 'there is no task debugger',
};

/** Keywords of a task (every other key names the module). */
export const taskSchema: JsonSchema = {
  type: 'object',
  title: 'a task (a map with one module key)',
  description: 'A task: one module key with its arguments, plus task keywords.',
  properties: {
    name: str('Name shown in output; default: the module and a summary of its arguments.'),
    when: condition('Run only when the expression(s) hold (all of a list). Safe expressions, no {{ }}.'),
    register: varName('Store the result in this variable (changed, failed, skipped + module fields).'),
    loop: loop('Run once per item; the item is `item` (or loop_control.loop_var).'),
    with_items: loop('Ansible loop form: like loop, with lists in the list flattened one level.'),
    with_list: loop('Ansible alias of loop.'),
    with_dict: {
      title: 'a map or a template yielding one',
      description: 'Ansible loop form: one item per key of a map, as item.key and item.value.',
      type: ['object', 'string'],
    },
    with_nested: loop('Ansible loop form: every combination of the given lists (item[0], item[1], …).'),
    with_first_found: {
      title: 'a list of file names, or a map with files and paths',
      description: 'Ansible loop form: item is the first of the files that exists on the controller (in the role, then the playbook folder, each with files/, templates/, vars/, tasks/); skip: true runs nothing when none does.',
      type: ['array', 'string', 'object'],
    },
    loop_control: {
      type: 'object',
      title: 'a map (loop_var, index_var, label)',
      description: 'Loop settings.',
      properties: {
        loop_var: varName('Name of the loop variable (default item).'),
        index_var: varName('Name of a variable holding the 0-based index of the item.'),
        label: { title: 'a string', description: 'How an item is shown in output (a template).', type: ['string', 'number'] },
        pause: { type: 'number', title: 'a number of seconds', minimum: 0, description: 'Accepted; not used.' },
        extended: boolish('Accepted; ansible_loop is always set.'),
      },
      additionalProperties: false,
    },
    notify: stringList('Handler names (or listen topics) to run at the end of the section when this task changed something.'),
    changed_when: condition('Override `changed` with an expression over the result.'),
    failed_when: condition('Override `failed` with an expression over the result.'),
    ignore_errors: boolish('A failure of this task does not stop the host.'),
    tags,
    vars: map('Variables for this task only.'),
    become: boolish('Run as another user (sudo).'),
    become_user: str('User to become (default root).'),
    become_method: { type: 'string', title: "'sudo'", enum: ['sudo'], description: 'Only sudo is supported.' },
    delegate_to: str('Run on this host instead (inventory name, or localhost).'),
    run_once: boolish('Run on the first host of the batch only; the result is shared.'),
    retries: { type: 'integer', title: 'an integer', minimum: 0, description: 'With until: how many more attempts (default 3).' },
    delay: { type: 'number', title: 'a number of seconds', minimum: 0, description: 'With until: seconds between attempts (default 5).' },
    until: condition('Retry until the expression(s) hold.'),
    no_log: boolish('Hide arguments and results from every output, report and journal.'),
    check_mode: boolish('Force check mode on (true) or off (false, e.g. read-only commands) for this task.'),
    diff: boolish('Force --diff on or off for this task.'),
    listen: stringList('Handlers only: extra topics this handler answers to.'),
    args: map('Module arguments (merged under those given with the module key).'),
    block: { type: 'array', title: 'a list of tasks', items: { $ref: '#/definitions/task' }, description: 'Tasks sharing the keywords of the block (when, tags, vars, become, …).' },
    rescue: { type: 'array', title: 'a list of tasks', items: { $ref: '#/definitions/task' }, description: 'With block: tasks run on a host when a task of the block failed on it; the host is no longer failed if they succeed (ansible_failed_task, ansible_failed_result).' },
    always: { type: 'array', title: 'a list of tasks', items: { $ref: '#/definitions/task' }, description: 'With block: tasks run on every host after the block (and rescue), failed or not.' },
    import_tasks: str('Tasks from another file (relative to this file, the playbook folder, or its tasks/ folder), imported at load time.'),
    include_tasks: str('Same as import_tasks (imported at load time). With a loop written out as a list, the file is imported once per item.'),
    import_role: roleTask('Run a role here: its tasks (tasks_from), with its defaults and vars, read at load time; the play sees its variables.'),
    include_role: roleTask('Same as import_role, read at load time; its variables stay its own unless public: true. With a loop written out as a list, once per item.'),
  },
  additionalProperties: true,
};

/** A play. */
export const playSchema: JsonSchema = {
  type: 'object',
  title: 'a play (a map with hosts and tasks)',
  description: 'A play: which hosts, which variables, which tasks.',
  properties: {
    name: str('Name shown in output; default: the hosts pattern.'),
    hosts: stringList('Host pattern: all, names, groups, globs (web*), a:b, a:&b, a:!b; a list is a union.'),
    vars: map('Play variables.'),
    vars_files: stringList('Variable files (YAML), relative to the playbook folder; later files win.'),
    serial: {
      title: 'an integer, a percentage like "50%", or a list of them',
      description: 'Batches of hosts: a size, a percentage, or a list of either (the last repeats).',
      anyOf: [
        { type: 'integer', minimum: 0 },
        { type: 'string', pattern: '^\\s*\\d+(\\.\\d+)?\\s*%?\\s*$' },
        {
          type: 'array',
          minItems: 1,
          items: {
            title: 'an integer or a percentage like "50%"',
            anyOf: [{ type: 'integer', minimum: 1 }, { type: 'string', pattern: '^\\s*\\d+(\\.\\d+)?\\s*%?\\s*$' }],
          },
        },
      ],
    },
    max_fail_percentage: { type: 'number', title: 'a percentage (0-100)', minimum: 0, maximum: 100, description: 'Stop the play when more than this share of a batch failed.' },
    any_errors_fatal: boolish('Any failed host stops the play for all.'),
    strategy: { type: 'string', title: "'linear' or 'free'", enum: ['linear', 'free'], description: 'linear: tasks in lockstep; free: each host runs ahead.' },
    become: boolish('Run tasks as another user (sudo).'),
    become_user: str('User to become (default root).'),
    become_method: { type: 'string', title: "'sudo'", enum: ['sudo'], description: 'Only sudo is supported.' },
    remote_user: str('SSH user for every host of the play (overrides ansible_user).'),
    connection: { type: 'string', title: "'ssh' or 'local'", enum: ['ssh', 'local'], description: 'Connection for every host of the play.' },
    gather_facts: boolish("Gather the hosts' common facts (ansible_distribution, ansible_default_ipv4, …) first, with the setup module, as 'Gathering Facts'. Off by default (Ansible's default is on)."),
    tags,
    rollout: rolloutSchema,
    pre_tasks: { type: ['array', 'null'], title: 'a list of tasks', items: { $ref: '#/definitions/task' }, description: 'Tasks run before tasks (with their own handlers flush).' },
    tasks: { type: ['array', 'null'], title: 'a list of tasks', items: { $ref: '#/definitions/task' }, description: 'The tasks.' },
    post_tasks: { type: ['array', 'null'], title: 'a list of tasks', items: { $ref: '#/definitions/task' }, description: 'Tasks run after tasks (with their own handlers flush).' },
    handlers: { type: ['array', 'null'], title: 'a list of handlers', items: { $ref: '#/definitions/task' }, description: 'Tasks run once per host at the end of a section that notified them.' },
    roles: {
      type: ['array', 'null'],
      title: 'a list of roles',
      items: roleEntry,
      description: 'Roles run after pre_tasks and before tasks: each role\'s dependencies (meta/main.yml), then its tasks; each runs once per play unless its parameters differ.',
    },
    gather_subset: { description: 'Accepted with gather_facts; the common facts are always gathered.' },
    gather_timeout: { description: 'Accepted with gather_facts.' },
    ...Object.fromEntries(Object.entries(UNSUPPORTED_PLAY_KEYWORDS).map(([k, why]) => [k, { description: `Not supported: ${why}.` }])),
  },
  required: ['hosts'],
  additionalProperties: false,
};

/** A playbook file: a list of plays. */
export const playbookSchema: JsonSchema = {
  $id: 'runbook:playbook',
  title: 'a list of plays',
  description: 'A playbook: a list of plays, run in order.',
  type: 'array',
  items: { $ref: '#/definitions/play' },
  definitions: { play: playSchema, task: taskSchema },
};

/** A task file (import_tasks): a list of tasks. */
export const taskFileSchema: JsonSchema = {
  $id: 'runbook:tasks',
  title: 'a list of tasks',
  description: 'A task file: a list of tasks.',
  type: ['array', 'null'],
  items: { $ref: '#/definitions/task' },
  definitions: { task: taskSchema },
};

/** Task keywords: every key of a task that is not its module. */
export const TASK_KEYWORDS: ReadonlySet<string> = new Set(Object.keys(taskSchema.properties as object));

/** Ansible task keywords runbook recognises but does not support, with what to do instead. */
export const UNSUPPORTED_TASK_KEYWORDS: Readonly<Record<string, string>> = {
  environment: 'environment is not supported: pass variables in the command (env VAR=x cmd) or the module (docker_container env)',
  async: 'async tasks are not supported',
  poll: 'async tasks are not supported',
  throttle: 'throttle is not supported: use serial or --forks',
  local_action: "local_action is not supported: use delegate_to: localhost",
  action: 'action is not supported: write the module as the key (copy: …)',
  connection: 'connection is not supported on tasks: set it on the play or in the inventory',
  remote_user: 'remote_user is not supported on tasks: set it on the play or in the inventory',
  with_fileglob: 'with_fileglob is not supported',
  with_together: 'with_together is not supported',
  with_sequence: 'with_sequence is not supported',
  with_subelements: 'with_subelements is not supported',
  with_indexed_items: 'with_indexed_items is not supported: use loop with loop_control.index_var',
  import_playbook: 'import_playbook is a playbook item, not a task: write it at the top level of a playbook (- import_playbook: other.yml)',
  debugger: 'debugger is not supported',
  any_errors_fatal: 'any_errors_fatal is supported on plays only',
  ignore_unreachable: 'ignore_unreachable is not supported',
  timeout: 'timeout is not supported on tasks',
  collections: 'collections are not supported: modules are built in; write their short names',
  module_defaults: 'module_defaults is not supported: give the parameters on the task',
  delegate_facts: 'delegate_facts is not supported',
};
