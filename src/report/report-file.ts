import { writeFile, rename } from 'node:fs/promises';
import path from 'node:path';
import type { FileDiff } from '../core/module.js';
import type { RunEvent, TaskStatus } from '../core/types.js';
import { RolloutCollector, type RolloutReport } from './rollout.js';

export interface ReportTask {
  name: string;
  module: string;
  status: TaskStatus;
  handler?: boolean;
  msg?: string;
  changes?: string[];
  diff?: FileDiff[];
  decided_at_run_time?: boolean;
  duration_ms: number;
  /** Commands, transfers and Docker requests sent to the host. */
  round_trips?: number;
}

export interface RunReport {
  playbook: string;
  inventory: string;
  check: boolean;
  started: string;
  duration_ms: number;
  exit: number;
  hosts: Record<string, { status: TaskStatus; tasks: ReportTask[] }>;
  /** Present when a play rolled out (SPEC §6): batches, the failed one, rollbacks, hosts left drained, versions. */
  rollout?: RolloutReport;
  /** Present when the run stopped on an internal error after it started (exit has bit 4). */
  error?: string;
}

const RANK: Record<TaskStatus, number> = { skipped: 0, ok: 1, changed: 2, failed: 3, unreachable: 4 };

/** Collects the run into the `--report FILE` object (task outcomes arrive already censored). */
export class ReportCollector {
  readonly report: RunReport = { playbook: '', inventory: '', check: false, started: '', duration_ms: 0, exit: 0, hosts: {} };

  private readonly rollout = new RolloutCollector();

  readonly subscriber = (e: RunEvent): void => {
    this.rollout.subscriber(e);
    if (this.rollout.seen) this.report.rollout = this.rollout.report;
    switch (e.type) {
      case 'run:start':
        Object.assign(this.report, { playbook: e.playbook, inventory: e.inventory, check: e.check, started: e.time });
        break;
      case 'play:start':
        for (const h of e.hosts) this.report.hosts[h] ??= { status: 'ok', tasks: [] };
        break;
      case 'task:done': {
        const host = (this.report.hosts[e.host] ??= { status: 'ok', tasks: [] });
        const o = e.outcome;
        const status: TaskStatus = o.status === 'failed' && o.ignored ? 'ok' : o.status;
        host.tasks.push({
          name: e.task.name,
          module: e.task.module,
          status,
          ...(e.task.handler ? { handler: true } : {}),
          ...(o.msg ? { msg: o.msg } : {}),
          ...(o.changes?.length ? { changes: o.changes } : {}),
          ...(o.diff?.length ? { diff: o.diff } : {}),
          ...(o.decidedAtRunTime ? { decided_at_run_time: true } : {}),
          duration_ms: o.durationMs,
          ...(o.roundTrips !== undefined ? { round_trips: o.roundTrips } : {}),
        });
        if (RANK[status] > RANK[host.status] && status !== 'skipped') host.status = status;
        break;
      }
      case 'run:end':
        this.report.exit = e.exit;
        this.report.duration_ms = e.durationMs;
        break;
      default:
        break;
    }
  };

  async write(file: string): Promise<void> {
    const tmp = path.join(path.dirname(file), `.${path.basename(file)}.${process.pid}.tmp`);
    await writeFile(tmp, JSON.stringify(this.report, null, 2) + '\n');
    await rename(tmp, file);
  }
}
