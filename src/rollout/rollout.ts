import type { TaskOutcome } from '../core/types.js';
import type { PlayContext } from '../executor/context.js';
import type { HostState } from '../executor/host-state.js';
import { discardUndoLog, runTask, taskRef, taskVars } from '../executor/task.js';
import type { Play, Task } from '../playbook/types.js';
import { isTemplated, renderString } from '../template/render.js';
import type { TaskRunner } from '../strategy/types.js';
import { exceedsFailPercentage } from './batches.js';
import type { RolloutConfig } from './config.js';
import { replayUndoLog } from './undo.js';

/** A task the rollout builds in code (drain, health gate, re-enable): run like any other. */
export function builtTask(play: Play, name: string, module: string, args: Record<string, unknown>, extra: Partial<Task> = {}): Task {
  return {
    name,
    module,
    args,
    argPos: {},
    when: [],
    loopVar: 'item',
    notify: [],
    changedWhen: [],
    failedWhen: [],
    ignoreErrors: false,
    tags: [],
    vars: {},
    runOnce: false,
    until: [],
    noLog: false,
    listen: [],
    pos: play.pos,
    ...extra,
  };
}

/** The nginx_lb task that drains or re-enables this host's backend, delegated to the LB host. */
export function lbTask(play: Play, r: RolloutConfig, state: 'drained' | 'active', lbName = r.drain?.lbHost): Task | undefined {
  if (!r.drain) return undefined;
  const verb = state === 'drained' ? 'drain' : 're-enable';
  return builtTask(play, `rollout: ${verb} on ${lbName} (${r.drain.site})`, 'nginx_lb', { name: r.drain.site, backend: r.drain.backend, state }, { delegateTo: r.drain.lbHost });
}

/** The LB host's name as a host sees it (for the task name; the executor renders delegate_to itself). */
function lbNameFor(pc: PlayContext, h: HostState): string | undefined {
  const raw = pc.play.rollout?.drain?.lbHost;
  if (!raw || !isTemplated(raw)) return raw;
  try {
    return String(renderString(raw, taskVars(pc, undefined, h), { pos: pc.play.pos, task: 'rollout drain' }));
  } catch {
    return raw;
  }
}

/** The health gate task of a rollout. */
export function healthTask(play: Play, r: RolloutConfig): Task | undefined {
  if (!r.healthCheck) return undefined;
  return builtTask(play, 'rollout: health gate', 'health_check', structuredClone(r.healthCheck));
}

/** The share of a batch that may fail: any_errors_fatal 0, else the rollout's, else the play's, else 0. */
export function rolloutMaxFail(play: Play): number {
  if (play.anyErrorsFatal) return 0;
  return play.rollout?.maxFailPercentage ?? play.maxFailPercentage ?? 0;
}

export interface BatchResult {
  /** The batch failed past max_fail_percentage. */
  failed: boolean;
  /** Start no further batch. */
  stop: boolean;
  /** Hosts left drained on the LB. */
  leftDrained: string[];
  /** Per host: tasks rolled back, and changed tasks that could not be undone. */
  rolledBack: Record<string, string[]>;
  cannotUndo: Record<string, string[]>;
}

export interface BatchSteps {
  /** Run the play's sections on the batch through this runner (the caller's strategy and handlers). */
  sections(runner: TaskRunner): Promise<void>;
  runner: TaskRunner;
  /** The batch number (1-based), for messages. */
  batch: number;
}

const sleep = (ms: number, signal: AbortSignal) =>
  new Promise<void>((resolve) => {
    const t = setTimeout(done, ms);
    function done() {
      clearTimeout(t);
      signal.removeEventListener('abort', done);
      resolve();
    }
    signal.addEventListener('abort', done, { once: true });
  });

/**
 * One rollout batch (SPEC §6): drain each host's backend on the LB (one after the other: they
 * edit the same site), wait the drain timeout, run the play's tasks keeping undo records, pass
 * the health gate, re-enable. When more than max_fail_percentage of the batch failed:
 * `halt` and `continue` leave the failed hosts drained (halt starts no further batch);
 * `rollback` undoes every change of the batch newest first, health-checks the restored hosts
 * and re-enables the healthy ones, and starts no further batch.
 */
export async function runRolloutBatch(pc: PlayContext, hosts: HostState[], steps: BatchSteps): Promise<BatchResult> {
  const { run, play } = pc;
  const r = play.rollout!;
  const out: BatchResult = { failed: false, stop: false, leftDrained: [], rolledBack: {}, cannotUndo: {} };
  // Drain, gate and re-enable keep no undo records: a rollback must not re-enable before the gate.
  const lbPc: PlayContext = { ...pc, keepUndo: false };
  const runBuilt = async (task: Task | undefined, id: string, h: HostState, ctx = lbPc): Promise<TaskOutcome | undefined> =>
    task ? runTask(ctx, task, taskRef(task, `${pc.playIndex}/rollout/${id}`), h) : undefined;
  const drain = (h: HostState) => lbTask(play, r, 'drained', lbNameFor(pc, h));
  const enable = (h: HostState) => lbTask(play, r, 'active', lbNameFor(pc, h));
  const gate = healthTask(play, r);
  const drained = new Set<string>();

  for (const h of hosts) {
    if (run.signal.aborted || !h.active) continue;
    const o = await runBuilt(drain(h), 'drain', h);
    if (o && o.status !== 'failed' && o.status !== 'unreachable') drained.add(h.name);
  }
  if (r.drain && drained.size > 0 && r.drain!.timeout > 0 && !run.check) await sleep(r.drain!.timeout * 1000, run.signal);

  // Changed tasks that left no undo record cannot be rolled back: name them.
  const cannotUndo = new Map<string, string[]>();
  const tracking: TaskRunner = {
    ...steps.runner,
    run: async (item, host, coming) => {
      const before = host.undoLog.length;
      const o = await steps.runner.run(item, host, coming);
      if (!run.check && o.status === 'changed' && host.undoLog.length === before) {
        cannotUndo.set(host.name, [...(cannotUndo.get(host.name) ?? []), `${item.task.name} (${item.task.module})`]);
      }
      return o;
    },
  };
  await steps.sections(tracking);
  if (run.signal.aborted) {
    // Interrupted: nothing new starts, not even a re-enable; say which backends are still out.
    out.stop = true;
    out.leftDrained = [...drained];
    if (drained.size > 0) run.bus.emit({ type: 'rollout:drained_left', play: play.name, batch: steps.batch, hosts: out.leftDrained, reason: 'interrupted' });
    return out;
  }

  const gated = async (list: HostState[]) => {
    for (const h of list) {
      if (run.signal.aborted || !h.active) continue;
      await runBuilt(gate, 'health', h);
    }
  };
  await gated(hosts);

  const failedHosts = hosts.filter((h) => !h.active);
  out.failed = failedHosts.length > 0 && exceedsFailPercentage(failedHosts.length, hosts.length, rolloutMaxFail(play));
  const reenable = async (list: HostState[]) => {
    for (const h of list) {
      if (run.signal.aborted || h.unreachable) continue;
      const o = await runBuilt(enable(h), 'enable', h);
      if (o && (o.status === 'failed' || o.status === 'unreachable')) out.leftDrained.push(h.name);
      else drained.delete(h.name);
    }
  };

  if (!out.failed || r.onFailure !== 'rollback') {
    await reenable(hosts.filter((h) => h.active));
    for (const h of hosts) if (h.undoLog.length > 0) await discardUndoLog(run, h);
    for (const h of hosts) if (drained.has(h.name) && !out.leftDrained.includes(h.name)) out.leftDrained.push(h.name);
    if (out.failed) {
      out.stop = r.onFailure === 'halt';
      run.bus.emit({ type: 'rollout:failed', play: play.name, batch: steps.batch, hosts: failedHosts.map((h) => h.name), action: out.stop ? 'halt' : 'continue' });
      if (out.leftDrained.length) run.bus.emit({ type: 'rollout:drained_left', play: play.name, batch: steps.batch, hosts: out.leftDrained, reason: 'failed' });
    }
    return out;
  }

  // rollback: every host of the batch, newest change first.
  run.bus.emit({ type: 'rollout:failed', play: play.name, batch: steps.batch, hosts: failedHosts.map((h) => h.name), action: 'rollback' });
  for (const h of hosts) {
    const rep = await replayUndoLog(pc, h);
    if (rep.undone.length) out.rolledBack[h.name] = rep.undone;
    const lost = cannotUndo.get(h.name);
    if (lost?.length) out.cannotUndo[h.name] = lost;
    if (rep.undone.length || rep.failed.length || lost?.length) {
      run.bus.emit({ type: 'rollout:rolled_back', play: play.name, batch: steps.batch, host: h.name, undone: rep.undone, notUndoable: lost ?? [], undoFailed: rep.failed });
    }
  }
  // The restored hosts pass the gate before they take traffic again (a failed host stays failed).
  const healthy: HostState[] = [];
  for (const h of hosts) {
    if (run.signal.aborted || h.unreachable) continue;
    const o = await runBuilt(gate, 'health-after-rollback', h);
    if (!o || o.status === 'ok' || o.status === 'changed') healthy.push(h);
  }
  await reenable(healthy);
  for (const h of hosts) if (drained.has(h.name) && !out.leftDrained.includes(h.name)) out.leftDrained.push(h.name);
  out.stop = true;
  if (out.leftDrained.length) run.bus.emit({ type: 'rollout:drained_left', play: play.name, batch: steps.batch, hosts: out.leftDrained, reason: 'failed' });
  return out;
}
