import type { TaskRef } from '../core/types.js';
import type { PlayContext } from '../executor/context.js';
import { undoEntryContext } from '../executor/task.js';
import type { HostState, UndoEntry } from '../executor/host-state.js';

/** What replaying one host's undo log did. */
export interface UndoReport {
  /** Tasks undone, newest first ("task (module)"). */
  undone: string[];
  /** Tasks whose undo failed, with why. */
  failed: string[];
}


/**
 * Undo what a host's tasks applied, newest first, from its undo log, each on the host and with
 * the become the task had. Every step is reported as a task (`undo: <task>`) in the events and
 * counted in the recap; the log is emptied.
 */
export async function replayUndoLog(pc: PlayContext, host: HostState): Promise<UndoReport> {
  const run = pc.run;
  const report: UndoReport = { undone: [], failed: [] };
  const entries = host.undoLog.splice(0).reverse();
  for (const e of entries) {
    const ref: TaskRef = { id: `${e.taskId}/undo`, name: `undo: ${e.task}`, module: e.module };
    run.bus.emit({ type: 'task:start', play: pc.play.name, host: host.name, task: ref });
    const started = Date.now();
    const mod = run.modules.get(e.module);
    let msg: string | undefined;
    try {
      if (!mod?.undo) throw new Error(`module ${e.module} cannot undo`);
      await mod.undo(
        undoEntryContext(run, host, e, (m) => {
          if (run.verbose) run.bus.emit({ type: 'warning', msg: m, host: host.name });
        }),
        e.params,
        e.undo,
      );
    } catch (err) {
      msg = (err as Error).message ?? String(err);
    }
    const durationMs = Date.now() - started;
    host.counts.timeMs += durationMs;
    const label = `${e.task} (${e.module})`;
    if (msg === undefined) {
      host.counts.changed++;
      report.undone.push(label);
      run.bus.emit({ type: 'task:done', play: pc.play.name, host: host.name, task: ref, outcome: { status: 'changed', result: { undone: true }, msg: `undid ${label}`, durationMs } });
    } else {
      host.counts.failed++;
      host.failed = true;
      report.failed.push(`${label}: ${msg}`);
      run.bus.emit({
        type: 'task:done',
        play: pc.play.name,
        host: host.name,
        task: ref,
        outcome: { status: 'failed', result: {}, msg: `${e.target}: cannot undo task '${e.task}' (${e.module}): ${msg}`, durationMs },
      });
    }
  }
  return report;
}
