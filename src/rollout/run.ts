import pLimit from 'p-limit';
import type { RunContext, PlayContext } from '../executor/context.js';
import { HostState } from '../executor/host-state.js';
import { SECTIONS, sectionTasks } from '../executor/select.js';
import { runTask, shareOutcome, taskRef } from '../executor/task.js';
import { hostvarsView } from '../executor/vars.js';
import { groupsMap } from '../inventory/groups.js';
import type { Play } from '../playbook/types.js';
import { loadVarsFile } from '../playbook/vars-file.js';
import { flushHandlers } from '../strategy/handlers.js';
import { free } from '../strategy/free.js';
import { linear } from '../strategy/linear.js';
import type { ScheduledTask, TaskRunner } from '../strategy/types.js';
import { computeBatches, exceedsFailPercentage } from './batches.js';
import { rolloutMaxFail, runRolloutBatch } from './rollout.js';

export interface PlaybookRunResult {
  /** Hosts that took part, by name. */
  hosts: Map<string, HostState>;
  interrupted: boolean;
  /** A batch crossed max_fail_percentage and the run stopped. */
  aborted: boolean;
}

/** Hosts a play targets: its pattern, narrowed by --limit. */
export function playHosts(run: Pick<RunContext, 'inventory'>, play: Play, limit?: string): string[] {
  const hosts = run.inventory.select(play.hosts);
  if (!limit) return hosts;
  const allowed = new Set(run.inventory.select(limit));
  return hosts.filter((h) => allowed.has(h));
}

/** Run every play of the playbook: batches, sections, handlers, fail thresholds. */
export async function runPlaybook(run: RunContext, limitPattern?: string): Promise<PlaybookRunResult> {
  const limit = pLimit(Math.max(1, run.forks));
  let aborted = false;
  const groups = groupsMap(run.inventory);
  // Every inventory host, as in Ansible; hosts not yet in the run show their inventory vars.
  const hostvars = hostvarsView(run.inventory.hostNames, (n) => run.hosts.get(n) ?? { inventoryVars: run.inventory.hostVars(n), registered: {} });

  for (const [playIndex, play] of run.playbook.plays.entries()) {
    if (run.signal.aborted || aborted) break;
    const names = playHosts(run, play, limitPattern);
    for (const n of names) {
      if (!run.hosts.has(n)) run.hosts.set(n, new HostState(n, run.inventory.hostVars(n)));
    }
    run.bus.emit({ type: 'play:start', play: play.name, index: playIndex, hosts: names });
    if (names.length === 0) {
      run.bus.emit({ type: 'warning', msg: `play "${play.name}": no hosts matched '${play.hosts}'${limitPattern ? ` with --limit '${limitPattern}'` : ''}` });
    }
    const varsFilesVars: Record<string, unknown> = {};
    for (const f of play.varsFiles) Object.assign(varsFilesVars, await loadVarsFile(f));

    const strategy = play.strategy === 'free' ? free : linear;
    const handlers: ScheduledTask[] = play.handlers.map((task, i) => ({ task, id: `${playIndex}/handlers/${i}`, handler: true }));
    const batches = computeBatches(names, play.rollout?.batch ?? play.serial);
    // Check mode shows a rollout's batch plan before anything runs.
    if (play.rollout && run.check && batches.length > 0) {
      run.bus.emit({ type: 'rollout:plan', play: play.name, batches: batches.map((b) => b.slice()), notUndoable: notUndoableTasks(play, playIndex, run) });
    }
    for (const [b, batch] of batches.entries()) {
      if (run.signal.aborted || aborted) break;
      if (play.rollout) run.bus.emit({ type: 'rollout:batch', play: play.name, batch: b + 1, total: batches.length, hosts: batch });
      else if (batches.length > 1) run.bus.emit({ type: 'batch:start', play: play.name, batch: b + 1, hosts: batch });
      const pc: PlayContext = {
        run,
        play,
        playIndex,
        playHosts: names,
        batchHosts: batch,
        varsFilesVars,
        groups,
        hostvars,
        // A rollout keeps undo records so a failed batch can be rolled back.
        ...(play.rollout ? { keepUndo: true } : {}),
      };
      const hosts = batch.map((n) => run.hosts.get(n)!).filter((h) => h.active);
      let stopPlay = false;
      const runner: TaskRunner = {
        run: (item, host, coming) => runTask(pc, item.task, taskRef(item.task, item.id, item.handler), host, coming?.map((c) => c.task)),
        share: (item, host, outcome) => shareOutcome(pc, item.task, host, outcome),
        limit: (fn) => limit(fn),
        stopped: () => run.signal.aborted || stopPlay,
        flushHandlers: (hs, bounded) => flushHandlers(handlers, hs, runner, bounded),
      };
      const maxFail = play.rollout ? rolloutMaxFail(play) : play.anyErrorsFatal ? 0 : play.maxFailPercentage;
      const exceeds = (failed: number) => failed > 0 && exceedsFailPercentage(failed, hosts.length, maxFail);
      // Hosts seen inactive, kept as each task run ends so no run counts every host (O(hosts²)
      // per task); a full count confirms a crossing (clear_host_errors may have revived some).
      let inactive = new Set<HostState>();
      const checkThreshold = () => {
        inactive = new Set(hosts.filter((h) => !h.active));
        if (exceeds(inactive.size)) stopPlay = true;
      };
      const noteRun = (host: HostState) => {
        if (host.active || inactive.has(host)) return;
        inactive.add(host);
        if (exceeds(inactive.size)) checkThreshold();
      };
      const sections = async (r: TaskRunner) => {
        for (const section of SECTIONS) {
          const tasks = sectionTasks(play, playIndex, section, run);
          await strategy(tasks, hosts, wrapThreshold(r, noteRun));
          if (stopPlay || run.signal.aborted) break;
          await flushHandlers(handlers, hosts, r);
          checkThreshold();
          if (stopPlay) break;
        }
      };
      if (play.rollout) {
        // The rollout decides (on_failure) whether a failed batch stops the play.
        const res = await runRolloutBatch(pc, hosts, { sections, runner, batch: b + 1 });
        if (res.stop) aborted = true;
        continue;
      }
      await sections(runner);
      // As in Ansible: a batch in which every host failed ends the play (and the run).
      if (hosts.length > 0 && hosts.every((h) => !h.active) && batches.length > 1) stopPlay = true;
      if (stopPlay) {
        aborted = true;
        run.bus.emit({ type: 'warning', msg: `play "${play.name}": too many hosts failed in batch ${b + 1}; no further batches or plays run` });
      }
    }
    run.bus.emit({ type: 'play:end', play: play.name, index: playIndex });
  }
  return { hosts: run.hosts, interrupted: run.signal.aborted, aborted };
}

/** Check the fail threshold after every task run so a linear play stops at the task that crossed it. */
function wrapThreshold(runner: TaskRunner, noteRun: (host: HostState) => void): TaskRunner {
  return {
    ...runner,
    run: async (item, host, coming) => {
      const o = await runner.run(item, host, coming);
      noteRun(host);
      return o;
    },
  };
}

/** The play's tasks whose module keeps no undo record: a rollback could not reverse them (named in the plan). */
function notUndoableTasks(play: Play, playIndex: number, run: RunContext): string[] {
  const names: string[] = [];
  for (const section of SECTIONS) {
    for (const { task } of sectionTasks(play, playIndex, section, run)) {
      const mod = run.modules.get(task.module);
      // Controller-side modules (set_fact, debug, …) change nothing on the host: nothing to undo.
      if (!mod?.undo && !mod?.controller) names.push(`${task.name} (${task.module})`);
    }
  }
  return names;
}
