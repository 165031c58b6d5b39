import type { TaskOutcome } from '../core/types.js';
import type { HostState } from '../executor/host-state.js';
import type { ScheduledTask, Strategy, TaskRunner } from './types.js';

/** How many of the next tasks a strategy names to the runner (to read ahead for). */
export const COMING = 4;

/** Each task on every active host (in parallel up to forks) before the next task starts. */
export const linear: Strategy = async (tasks, hosts, runner) => {
  for (const [i, item] of tasks.entries()) {
    if (runner.stopped()) break;
    const coming = tasks.slice(i + 1, i + 1 + COMING);
    const active = hosts.filter((h) => h.active);
    if (active.length === 0) break;
    const outcomes = item.task.runOnce
      ? [await runOnce(item, active, runner)]
      : await Promise.all(active.map((h) => runner.limit(() => runner.run(item, h, coming))));
    // meta: flush_handlers runs every notified handler now, once all hosts reached it.
    if (outcomes.some((o) => o.meta === 'flush_handlers') && runner.flushHandlers && !runner.stopped()) {
      await runner.flushHandlers(hosts);
    }
  }
  settleBlockFailures(hosts);
};

/** Hosts whose block failure no rescue caught are failed once the section's tasks are done. */
export function settleBlockFailures(hosts: HostState[]): void {
  for (const h of hosts) {
    if (h.failedPending) {
      h.failedPending = false;
      h.failed = true;
    }
  }
}

async function runOnce(item: ScheduledTask, active: HostState[], runner: TaskRunner): Promise<TaskOutcome> {
  const [first, ...rest] = active;
  const outcome: TaskOutcome = await runner.limit(() => runner.run(item, first));
  for (const h of rest) runner.share(item, h, outcome);
  return outcome;
}
