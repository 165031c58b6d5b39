import { createRequire } from 'node:module';
import type { ListrTaskWrapper } from 'listr2';
import type { HostCounts, RunEvent, TaskOutcome } from '../core/types.js';
import { emptyCounts, shownTaskName } from '../core/types.js';
import { outcomeDetail, type TextOptions } from './plain.js';
import { rolloutEventLine } from './rollout.js';
import { formatMs, statusColor, type Style } from './style.js';

interface HostRow {
  counts: HostCounts;
  current?: string;
  wrapper?: ListrTaskWrapper<unknown, any, any>;
  finish: (err?: Error) => void;
  done: Promise<void>;
  lastFailure?: string;
  /** The rollout batch the host is in ("batch 1/3"). */
  batch?: string;
  /** A task has started on the host (a later batch's hosts wait, and may never start). */
  started?: boolean;
  ended?: boolean;
  /** When the current task started (its elapsed time ticks on the row). */
  taskStartedAt?: number;
  /** Tasks finished on the host in this play. */
  tasksDone: number;
}

/**
 * A listr2 list per play, one row per host: the task it is on while running, its tallies when
 * done. Details (failures, changes, diffs) print under the list when the play ends, so the
 * live area stays small.
 */
export class LiveReporter {
  private rows = new Map<string, HostRow>();
  private listrRun: Promise<unknown> = Promise.resolve();
  private details: string[] = [];
  /** Finished-task details of the current play, grouped: identical details on many hosts print once. */
  private grouped = new Map<string, { head: (hosts: string) => string; hosts: string[]; body: string[] }>();
  /** Re-draws running rows so their elapsed time moves between events. */
  private ticker?: NodeJS.Timeout;

  constructor(
    private readonly write: (s: string) => void,
    private readonly opts: TextOptions,
    private readonly style: Style,
  ) {}

  readonly subscriber = (e: RunEvent): void => {
    switch (e.type) {
      case 'run:start':
        this.write(this.style.dim(`${e.check ? 'CHECK ' : ''}${e.playbook} on ${e.inventory}`));
        break;
      case 'play:start':
        this.startPlay(e.play, e.hosts);
        break;
      case 'task:start': {
        const row = this.rows.get(e.host);
        if (row) {
          row.current = e.task.handler ? `handler ${shownTaskName(e.task)}` : shownTaskName(e.task);
          row.started = true;
          row.taskStartedAt = Date.now();
          this.retitle(e.host, row);
        }
        break;
      }
      case 'task:done':
        this.taskDone(e.host, shownTaskName(e.task), e.task.handler === true, e.outcome);
        break;
      case 'play:end':
        clearInterval(this.ticker);
        for (const g of this.grouped.values()) {
          const order = [...this.rows.keys()];
          g.hosts.sort((a, b) => order.indexOf(a) - order.indexOf(b));
          this.details.push(g.head(g.hosts.join(', ')), ...g.body);
        }
        this.grouped = new Map();
        for (const [host, row] of this.rows) {
          row.current = undefined;
          row.ended = true;
          this.retitle(host, row);
          // A host of a batch that never started is shown as skipped, not as a success.
          if (!row.started && row.wrapper?.title) row.wrapper.skip(row.wrapper.title);
          row.finish(row.counts.failed || row.counts.unreachable ? new Error(row.lastFailure ?? 'failed') : undefined);
        }
        break;
      case 'warning':
        this.details.push(this.style.yellow(`warning: ${e.host ? `${e.host}: ` : ''}${e.msg}`));
        break;
      case 'rollout:plan':
        // Every row shows its batch before anything runs; the plan prints under the list.
        for (const [i, b] of e.batches.entries()) for (const h of b) this.setBatch(h, `batch ${i + 1}/${e.batches.length}`);
        this.details.push(rolloutEventLine(e, this.style)!);
        break;
      case 'rollout:batch':
        for (const h of e.hosts) this.setBatch(h, `batch ${e.batch}/${e.total}`);
        break;
      case 'rollout:failed':
      case 'rollout:rolled_back':
      case 'rollout:drained_left':
        this.details.push(rolloutEventLine(e, this.style)!);
        break;
      default:
        break;
    }
  };

  /** Wait for the current list to finish drawing, then print what it held back. */
  async flush(): Promise<void> {
    await this.listrRun.catch(() => undefined);
    if (this.details.length) this.write(this.details.join('\n'));
    this.details = [];
  }

  private startPlay(play: string, hosts: string[]): void {
    const previous = this.listrRun;
    const held = this.details;
    this.details = [];
    this.rows = new Map();
    for (const h of hosts) {
      let finish!: (err?: Error) => void;
      const done = new Promise<void>((resolve, reject) => {
        finish = (err) => (err ? reject(err) : resolve());
      });
      done.catch(() => undefined);
      this.rows.set(h, { counts: emptyCounts(), finish, done, tasksDone: 0 });
    }
    const rows = this.rows;
    clearInterval(this.ticker);
    this.ticker = setInterval(() => {
      for (const [host, row] of rows) if (row.current) this.retitle(host, row);
    }, 250);
    this.ticker.unref();
    // listr2 is loaded when a live view starts, not by every command.
    const { Listr } = createRequire(import.meta.url)('listr2') as typeof import('listr2');
    const list = new Listr(
      [...rows.entries()].map(([host, row]) => ({
        title: host,
        task: async (_ctx: unknown, wrapper: ListrTaskWrapper<unknown, any, any>) => {
          row.wrapper = wrapper;
          this.retitle(host, row);
          await row.done;
        },
      })),
      {
        concurrent: true,
        exitOnError: false,
        collectErrors: false,
        registerSignalListeners: false,
        rendererOptions: { collapseErrors: true, showErrorMessage: false },
      } as never,
    );
    this.listrRun = previous.then(async () => {
      if (held.length) this.write(held.join('\n'));
      this.write(`\n${this.style.bold(`PLAY ${play}`)}${hosts.length ? '' : this.style.dim(' (no hosts)')}`);
      await list.run().catch(() => undefined);
      if (this.details.length) this.write(this.details.join('\n'));
      this.details = [];
    });
  }

  private setBatch(host: string, label: string): void {
    const row = this.rows.get(host);
    if (!row) return;
    row.batch = label;
    this.retitle(host, row);
  }

  private retitle(host: string, row: HostRow): void {
    if (!row.wrapper) return;
    const c = row.counts;
    const tallies = [
      c.ok ? this.style.green(`ok ${c.ok}`) : '',
      c.changed ? this.style.yellow(`${this.opts.check ? 'would change' : 'changed'} ${c.changed}`) : '',
      c.failed ? this.style.red(`failed ${c.failed}`) : '',
      c.unreachable ? this.style.red('unreachable') : '',
      c.skipped ? this.style.cyan(`skipped ${c.skipped}`) : '',
    ].filter(Boolean);
    const now = row.current
      ? this.style.dim(` ▸ ${row.current} (task ${row.tasksDone + 1}, ${formatMs(Date.now() - (row.taskStartedAt ?? Date.now()))})`)
      : this.style.dim(row.started ? ` ${formatMs(c.timeMs)}` : row.ended ? ' not run' : ' waiting');
    const width = Math.max(...[...this.rows.keys()].map((h) => h.length));
    const batch = row.batch ? this.style.dim(`[${row.batch}] `) : '';
    row.wrapper.title = `${host.padEnd(width)}  ${batch}${tallies.join(' · ')}${now}`;
  }

  private taskDone(host: string, task: string, handler: boolean, o: TaskOutcome): void {
    const row = this.rows.get(host);
    if (!row) return;
    const c = row.counts;
    if (o.status === 'failed' && !o.ignored && !o.rescued) c.failed++;
    else if (o.status === 'failed') c.ok++;
    else c[o.status]++;
    c.timeMs += o.durationMs;
    row.tasksDone++;
    // Between tasks the row shows the host's time so far, not the finished task as if running.
    if (row.current === task || row.current === `handler ${task}`) row.current = undefined;
    if (o.status === 'failed' || o.status === 'unreachable') row.lastFailure = `${task}: ${o.msg ?? o.status}`;
    this.retitle(host, row);
    const detail = outcomeDetail(o, this.opts, this.style);
    if (detail.length && (o.status !== 'ok' || this.opts.verbose || o.message !== undefined)) {
      const status = o.ignored ? 'ignored' : o.rescued ? 'rescued' : o.status;
      const body = detail.map((l) => `    ${l.split('\n').join('\n    ')}`);
      const key = [status, handler, task, ...body].join('\0');
      const group = this.grouped.get(key);
      if (group) group.hosts.push(host);
      else {
        const label = statusColor(this.style, status)(status);
        this.grouped.set(key, { head: (hosts) => `${label} ${hosts}  ${handler ? 'handler ' : ''}${task}`, hosts: [host], body });
      }
    }
  }
}
