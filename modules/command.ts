import { ModuleError } from '../src/core/errors.js';
import { defineModule } from '../src/core/module.js';
import type { Command } from '../src/transport/types.js';
import { CHDIR_EXEC_SCRIPT, guardProperties, planCommand, runCommand, type GuardParams } from './_lib/command.js';
import { displayArgv, splitShellWords, ShellWordsError } from '../src/core/shell-words.js';

export interface CommandParams extends GuardParams {
  cmd?: string;
  argv?: string[];
}

export const commandSchema = {
  type: 'object',
  additionalProperties: false,
  properties: {
    cmd: {
      type: 'string',
      minLength: 1,
      description:
        'The command line, split into words as a shell would (quotes and backslashes honoured) but ' +
        'run without a shell: $VARS, globs, pipes, ; and > are passed literally. Use shell for those.',
    },
    argv: {
      type: 'array',
      minItems: 1,
      items: { type: 'string' },
      description: 'The command as a list of arguments, each passed exactly as given.',
    },
    ...guardProperties,
  },
  oneOf: [{ required: ['cmd'] }, { required: ['argv'] }],
};

/** The argv a task means (cmd split by shell-word rules, or argv as given). */
export function commandArgv(params: CommandParams): string[] {
  let argv: string[];
  if (params.argv !== undefined) argv = [...params.argv];
  else {
    try {
      argv = splitShellWords(params.cmd ?? '');
    } catch (e) {
      if (e instanceof ShellWordsError) throw new ModuleError(`cmd: ${e.message}`);
      throw e;
    }
  }
  if (argv.length === 0) throw new ModuleError('no command given');
  return argv;
}

/** What runs on the host: the argv itself, or argv after `cd CHDIR`. */
export function commandInvocation(params: CommandParams): Command {
  const argv = commandArgv(params);
  if (params.chdir !== undefined) return { script: CHDIR_EXEC_SCRIPT, args: [params.chdir, ...argv] };
  return argv;
}

export default defineModule<CommandParams>({
  name: 'command',
  description:
    'Run a program on the host without a shell. Always reports changed when it runs (use ' +
    'changed_when to say otherwise) and fails on a non-zero exit. `creates`/`removes` make it ' +
    'idempotent and are decided in check mode; otherwise check mode does not run it (unless the ' +
    'task says check_mode: false). Result: rc, stdout, stderr, stdout_lines, stderr_lines, cmd, ' +
    'start, end, delta (stdout/stderr lose their trailing newlines).',
  example: `- name: Kernel release
  command: uname -r
  register: kernel
  changed_when: false
- name: Migrate the database once
  command:
    argv: [/srv/app/bin/migrate, --to, latest]
    chdir: /srv/app
    creates: /srv/app/.migrated
`,
  schema: commandSchema,
  // Its plan reads first (the creates/removes check, when given), so that read may be sent ahead.
  readsFirst: true,
  freeForm: 'cmd',
  opaque: true,
  async plan(ctx, params) {
    const argv = commandArgv(params);
    return planCommand(ctx, params, argv, params.cmd ?? displayArgv(argv));
  },
  async apply(ctx, params) {
    return runCommand(ctx, commandInvocation(params), params, commandArgv(params));
  },
});
