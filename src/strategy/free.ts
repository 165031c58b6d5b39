import type { TaskOutcome } from '../core/types.js';
import { COMING, settleBlockFailures } from './linear.js';
import type { Strategy } from './types.js';

/**
 * Each host runs through the tasks at its own pace; forks bound how many hosts work at
 * once. A run_once task runs on whichever host reaches it first; the others wait for it.
 */
export const free: Strategy = async (tasks, hosts, runner) => {
  const once = new Map<string, Promise<TaskOutcome>>();
  await Promise.all(
    hosts.map((h) =>
      runner.limit(async () => {
        for (const [i, item] of tasks.entries()) {
          if (runner.stopped() || !h.active) return;
          if (item.task.runOnce) {
            const pending = once.get(item.id);
            if (pending) {
              runner.share(item, h, await pending);
              continue;
            }
            const p = runner.run(item, h);
            once.set(item.id, p);
            await p;
            continue;
          }
          const o = await runner.run(item, h, tasks.slice(i + 1, i + 1 + COMING));
          // meta: flush_handlers: this host's notified handlers, now.
          if (o.meta === 'flush_handlers' && runner.flushHandlers && !runner.stopped()) await runner.flushHandlers([h], false);
        }
      }),
    ),
  );
  settleBlockFailures(hosts);
};
