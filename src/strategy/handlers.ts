import type { HostState } from '../executor/host-state.js';
import type { Task } from '../playbook/types.js';
import type { ScheduledTask, TaskRunner } from './types.js';

/** Whether a handler answers any topic a host notified (its name or one of its `listen`s). */
export function handlerNotified(handler: Task, host: HostState): boolean {
  return host.notified.has(handler.name) || handler.listen.some((l) => host.notified.has(l));
}

/**
 * Run notified handlers once per host, in definition order, then forget the notifications.
 * A handler may notify later handlers, as in Ansible.
 */
export async function flushHandlers(handlers: ScheduledTask[], hosts: HostState[], runner: TaskRunner, bounded = true): Promise<void> {
  for (const item of handlers) {
    if (runner.stopped()) break;
    const due = hosts.filter((h) => h.active && handlerNotified(item.task, h));
    await Promise.all(due.map((h) => (bounded ? runner.limit(() => runner.run(item, h)) : runner.run(item, h))));
  }
  for (const h of hosts) h.notified.clear();
}
