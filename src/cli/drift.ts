import path from 'node:path';
import { EXIT } from '../core/types.js';
import { prepare } from '../engine/prepare.js';
import { runPass, writeJson, type PassResult } from '../engine/pass.js';
import { withSession } from '../engine/session.js';
import { hostSummary } from '../journal/journal.js';
import { notify } from '../report/notify.js';
import { unifiedDiff } from '../report/diff.js';
import type { ReportTask, RunReport } from '../report/report-file.js';
import { colorDiff, makeStyle } from '../report/style.js';
import { answeredBeforeRun, checkReportPath, sessionOptions, splitList, type CliIO, type PlayOptions } from './play.js';

export interface DriftOptions extends Omit<PlayOptions, 'check' | 'detailedExitcode'> {
  fix?: boolean;
  notify?: string;
}

export interface DriftedTask {
  task: string;
  module: string;
  changes?: string[];
  diff?: ReportTask['diff'];
}

/** The JSON report of a drift run (`--report`, `--notify`). */
export interface DriftReport extends RunReport {
  run_id: string;
  kind: 'drift';
  /** Host → the tasks that would change: exactly the drifted ones. */
  drift: Record<string, DriftedTask[]>;
  fix?: {
    hosts: RunReport['hosts'];
    corrected: Array<{ host: string; task: string }>;
    not_converging: Array<{ host: string; task: string }>;
  };
}


/** Tasks of a check pass that would change, per host (handlers are consequences, not drift). */
export function driftedTasks(report: RunReport): Record<string, DriftedTask[]> {
  const out: Record<string, DriftedTask[]> = {};
  for (const [host, h] of Object.entries(report.hosts)) {
    const tasks = h.tasks
      .filter((t) => t.status === 'changed' && !t.handler)
      .map((t) => ({ task: t.name, module: t.module, ...(t.changes ? { changes: t.changes } : {}), ...(t.diff ? { diff: t.diff } : {}) }));
    if (tasks.length) out[host] = tasks;
  }
  return out;
}

const pairs = (d: Record<string, DriftedTask[]>) => Object.entries(d).flatMap(([host, ts]) => ts.map((t) => ({ host, task: t.task })));

/** `runbook drift`: check every host, report what would change; with --fix, correct and re-check. */
export async function driftCommand(playbookArg: string, opts: DriftOptions, io: CliIO): Promise<number> {
  const { playbook, inventory, extraVars } = await prepare(playbookArg, opts, io);
  const answered = answeredBeforeRun(playbook, inventory, opts, io);
  if (answered !== undefined) return answered;
  const style = makeStyle(io.color && opts.output === 'text');
  const text = opts.output === 'text';
  if (opts.report) checkReportPath(opts.report, io.cwd);
  return withSession(
    sessionOptions('drift', playbook, inventory, opts, io),
    async ({ runId, journal }) => {
      const started = Date.now();
      const pass = (check: boolean, limit: string | undefined): Promise<PassResult> =>
        runPass(
          {
            playbook,
            inventory,
            extraVars,
            check,
            diff: true,
            showDiff: !!opts.diff,
            verbose: opts.verbose > 0,
            forks: opts.forks,
            tags: splitList(opts.tags),
            skipTags: splitList(opts.skipTags),
            limit,
            output: opts.output,
            detailedExitcode: false,
            runId,
          },
          io,
        );
      const check = await pass(true, opts.limit);
      const drift = driftedTasks(check.report);
      journal.recordPass(runId, 'check', check.report, () => 'drift');
      let bits = check.exit;
      let interrupted = check.interrupted;
      const report: DriftReport = { ...check.report, run_id: runId, kind: 'drift', drift };
      const driftedHosts = Object.keys(drift);
      if (text) printDrift(drift, io, style);
      if (opts.fix && driftedHosts.length > 0 && !check.interrupted) {
        if (text) io.out(style.bold(`\nFIX ${driftedHosts.join(', ')}`));
        const fix = await pass(false, driftedHosts.join(','));
        journal.recordPass(runId, 'fix', fix.report, () => 'corrective');
        bits |= fix.exit;
        interrupted ||= fix.interrupted;
        let notConverging: Array<{ host: string; task: string }> = [];
        if (!fix.interrupted) {
          if (text) io.out(style.bold(`\nRECHECK ${driftedHosts.join(', ')}`));
          const recheck = await pass(true, driftedHosts.join(','));
          journal.recordPass(runId, 'recheck', recheck.report, () => 'drift');
          bits |= recheck.exit;
          interrupted ||= recheck.interrupted;
          notConverging = pairs(driftedTasks(recheck.report));
        }
        if (notConverging.length) bits |= EXIT.FAILED;
        const corrected = Object.entries(fix.report.hosts).flatMap(([host, h]) =>
          h.tasks.filter((t) => t.status === 'changed' && !t.handler).map((t) => ({ host, task: t.name })),
        );
        report.fix = { hosts: fix.report.hosts, corrected, not_converging: notConverging };
        if (text) {
          for (const n of notConverging) io.out(style.red(`not converging: ${n.host}  ${n.task} still wants to change after --fix (the playbook or a module is not idempotent)`));
          if (!notConverging.length && !(fix.exit & EXIT.FAILED)) io.out(style.green(`fixed: ${corrected.length} task(s) on ${driftedHosts.length} host(s) converged`));
        }
      }
      const exit = interrupted ? EXIT.INTERRUPTED : (bits & (EXIT.FAILED | EXIT.UNREACHABLE)) | (driftedHosts.length ? EXIT.CHANGED : 0);
      report.exit = exit;
      report.duration_ms = Date.now() - started;
      if (opts.report) await writeJson(path.resolve(io.cwd, opts.report), report);
      // JSON lines: each pass ends with its own summary; the run ends with the drift verdict.
      if (!text) io.out(JSON.stringify({ type: 'drift', run_id: runId, drift, ...(report.fix ? { fix: { corrected: report.fix.corrected, not_converging: report.fix.not_converging } } : {}), exit }));
      if (opts.notify && exit !== EXIT.OK && exit !== EXIT.INTERRUPTED) {
        const r = await notify(opts.notify, report);
        if (r.ok) io.err(`notify: POST ${opts.notify}: ${r.status}`);
        else io.err(`warning: notify: POST ${opts.notify} failed after ${r.attempts} attempt(s): ${r.error} (the exit code is unchanged)`);
      }
      return {
        exit,
        summary: {
          hosts: hostSummary(report.fix ? { ...check.report, hosts: { ...check.report.hosts, ...report.fix.hosts } } : check.report),
          changed: report.fix?.corrected.length ?? 0,
          drifted: pairs(drift),
          corrected: report.fix?.corrected ?? [],
          not_converging: report.fix?.not_converging ?? [],
        },
      };
    },
  );
}

function printDrift(drift: Record<string, DriftedTask[]>, io: CliIO, style: ReturnType<typeof makeStyle>): void {
  const hosts = Object.keys(drift);
  io.out('');
  if (!hosts.length) {
    io.out(style.green('no drift'));
    return;
  }
  io.out(style.yellow(`drift on ${hosts.length} host(s), ${pairs(drift).length} task(s):`));
  for (const h of hosts) {
    io.out(`  ${style.bold(h)}`);
    for (const t of drift[h]!) {
      io.out(`    ${t.task} (${t.module})${t.changes?.length ? `: ${t.changes.join('; ')}` : ''}`);
      for (const d of t.diff ?? []) io.out(`      ${colorDiff(style, unifiedDiff(d)).split('\n').join('\n      ')}`);
    }
  }
}
