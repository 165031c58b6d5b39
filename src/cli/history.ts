import { ConfigError } from '../core/errors.js';
import { Journal, type RunRecord } from '../journal/journal.js';
import { runbookHome } from '../journal/home.js';
import { unifiedDiff } from '../report/diff.js';
import type { CliIO } from './play.js';

export interface HistoryOptions {
  last: number;
  json?: boolean;
}

/** `runbook history [ID] [--last N] [--json]`: the run journal. */
export function historyCommand(id: string | undefined, opts: HistoryOptions, io: Pick<CliIO, 'cwd' | 'out'>): number {
  const journal = Journal.open(runbookHome(io.cwd));
  try {
    if (id) {
      const found = journal.get(id);
      if (!found) throw new ConfigError(`no run '${id}' in the journal ${journal.file} (see runbook history)`);
      if (opts.json) io.out(JSON.stringify(found, null, 2));
      else {
        const { run, tasks } = found;
        io.out(`run ${run.id}: ${run.kind}, exit ${run.exit ?? '(unfinished)'}`);
        io.out(`  command:   ${run.command}`);
        io.out(`  user:      ${run.user}`);
        io.out(`  started:   ${run.started}`);
        io.out(`  ended:     ${run.ended ?? '(unfinished)'}`);
        io.out(`  playbook:  ${run.playbook}`);
        io.out(`  inventory: ${run.inventory}`);
        let pass = '';
        for (const t of tasks) {
          if (t.pass !== pass) {
            pass = t.pass;
            io.out(`\n  ${pass}:`);
          }
          const kind = t.change_kind ? ` [${t.change_kind}]` : '';
          io.out(`    ${t.status.padEnd(11)} ${t.host}  ${t.task} (${t.module})${kind}${t.changes?.length ? `: ${t.changes.join('; ')}` : ''}`);
          for (const d of t.diff ?? []) io.out(`      ${unifiedDiff(d).split('\n').join('\n      ')}`);
        }
      }
      return 0;
    }
    const runs = journal.list(opts.last);
    if (opts.json) io.out(JSON.stringify(runs, null, 2));
    else if (!runs.length) io.out(`no runs recorded yet in ${journal.file}`);
    else for (const r of runs) io.out(historyLine(r));
    return 0;
  } finally {
    journal.close();
  }
}

/** One line per run: id, start, kind, exit, what changed and why. */
export function historyLine(r: RunRecord): string {
  const s = r.summary;
  let what = '';
  if (s) {
    const parts: string[] = [];
    if (r.kind === 'play' && s.changed) parts.push(`${s.changed} changed (intentional)`);
    if (s.drifted.length) parts.push(`${s.drifted.length} drifted`);
    if (s.corrected.length) parts.push(`${s.corrected.length} corrected (corrective)`);
    if (s.not_converging.length) parts.push(`${s.not_converging.length} not converging`);
    what = parts.join(', ') || 'no changes';
  }
  const exit = r.exit === undefined ? 'running' : `exit ${r.exit}`;
  return `${r.id}  ${r.started}  ${r.kind.padEnd(5)}  ${exit.padEnd(7)}  ${String(Object.keys(s?.hosts ?? {}).length).padStart(3)} hosts  ${what}  ${r.command}`;
}
