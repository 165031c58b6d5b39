import path from 'node:path';

/**
 * Where runbook keeps its run journal, locks and cron logs: `$RUNBOOK_HOME` when set, else
 * `.runbook/` in the directory runbook is run from (the project folder, as with ansible.cfg).
 */
export function runbookHome(cwd: string, env: NodeJS.ProcessEnv = process.env): string {
  const h = env.RUNBOOK_HOME;
  return h ? path.resolve(cwd, h) : path.join(cwd, '.runbook');
}
