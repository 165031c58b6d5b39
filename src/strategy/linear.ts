import type { TaskOutcome } from '../core/types.js';
import type { HostState } from '../executor/host-state.js';
import type { ScheduledTask, Strategy, TaskRunner } from './types.js';

/** Each task on every active host (in parallel up to forks) before the next task starts. */
export const linear: Strategy = async (tasks, hosts, runner) => {
  for (const item of tasks) {
    if (runner.stopped()) return;
    const active = hosts.filter((h) => h.active);
    if (active.length === 0) return;
    if (item.task.runOnce) {
      await runOnce(item, active, runner);
      continue;
    }
    await Promise.all(active.map((h) => runner.limit(() => runner.run(item, h))));
  }
};

async function runOnce(item: ScheduledTask, active: HostState[], runner: TaskRunner): Promise<void> {
  const [first, ...rest] = active;
  const outcome: TaskOutcome = await runner.limit(() => runner.run(item, first));
  for (const h of rest) runner.share(item, h, outcome);
}
