import type { TaskOutcome } from '../core/types.js';
import type { HostState } from '../executor/host-state.js';
import type { Task } from '../playbook/types.js';

export interface ScheduledTask {
  task: Task;
  id: string;
  handler?: boolean;
}

/** What a strategy may do: run a task on a host, and hand a run_once outcome to others. */
export interface TaskRunner {
  /** `coming`: the tasks scheduled after this one for the host (their reads may be sent early). */
  run(item: ScheduledTask, host: HostState, coming?: readonly ScheduledTask[]): Promise<TaskOutcome>;
  share(item: ScheduledTask, host: HostState, outcome: TaskOutcome): void;
  /** Bound concurrency (p-limit over --forks). */
  limit<T>(fn: () => Promise<T>): Promise<T>;
  /** Stop scheduling new work (interrupt, or a fail threshold crossed). */
  stopped(): boolean;
  /**
   * Run the handlers the given hosts notified so far, now (meta: flush_handlers). `bounded`
   * false: the caller already holds a --forks slot for the host (free strategy).
   */
  flushHandlers?(hosts: HostState[], bounded?: boolean): Promise<void>;
}

export type Strategy = (tasks: ScheduledTask[], hosts: HostState[], runner: TaskRunner) => Promise<void>;
