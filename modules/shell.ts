import { defineModule } from '../src/core/module.js';
import type { Command } from '../src/transport/types.js';
import { CHDIR_EXEC_SCRIPT, guardProperties, planCommand, runCommand, type GuardParams } from './_lib/command.js';

export interface ShellParams extends GuardParams {
  cmd: string;
  executable?: string;
}

export const shellSchema = {
  type: 'object',
  additionalProperties: false,
  properties: {
    cmd: {
      type: 'string',
      minLength: 1,
      description: 'A shell script, run as `sh -c CMD` (or `EXECUTABLE -c CMD`): pipes, redirections, $VARS and globs work.',
    },
    executable: {
      type: 'string',
      minLength: 1,
      description: 'The shell to run cmd with, e.g. /bin/bash (default: sh).',
    },
    ...guardProperties,
  },
  required: ['cmd'],
};

/** What runs on the host for a shell task. */
export function shellInvocation(params: ShellParams): Command {
  if (params.chdir !== undefined) {
    return { script: CHDIR_EXEC_SCRIPT, args: [params.chdir, params.executable ?? '/bin/sh', '-c', params.cmd] };
  }
  if (params.executable !== undefined) return [params.executable, '-c', params.cmd];
  return { script: params.cmd };
}

export default defineModule<ShellParams>({
  name: 'shell',
  description:
    'Run a command through the shell on the host (sh -c, or `executable`). Like command: ' +
    'reports changed when it runs, fails on a non-zero exit, `creates`/`removes` make it ' +
    'idempotent and are decided in check mode; otherwise check mode does not run it. Result: ' +
    'rc, stdout, stderr, stdout_lines, stderr_lines, cmd, start, end, delta.',
  example: `- name: Count log lines
  shell: grep -c ERROR /var/log/app.log || true
  register: errors
  changed_when: false
`,
  schema: shellSchema,
  // Its plan reads first (the creates/removes check, when given), so that read may be sent ahead.
  readsFirst: true,
  freeForm: 'cmd',
  opaque: true,
  async plan(ctx, params) {
    return planCommand(ctx, params, params.cmd, params.cmd);
  },
  async apply(ctx, params) {
    return runCommand(ctx, shellInvocation(params), params, params.cmd);
  },
});
