import { ConnectionError, ModuleError, RunbookError, TemplateError } from '../core/errors.js';
import { registerSecret } from '../vault/secrets.js';
import type { ApplyResult, MetaAction, ModuleContext, ModuleDefinition, Plan } from '../core/module.js';
import type { TaskOutcome, TaskRef } from '../core/types.js';
import type { Located, Task } from '../playbook/types.js';
import { evalCondition, evalExpr } from '../template/expr.js';
import { DecidedAtRunTime, renderDeep, renderString, runtimeUnknown } from '../template/render.js';
import { renderHbsText } from '../template/hbs.js';
import { defineLookups } from './lookups.js';
import { ReadAhead, readKey } from '../transport/read-ahead.js';
import type { Become, ExecResult, FusedStep, ReadStep, Transport } from '../transport/types.js';
import { needsGuard, ReplayTransport, SpecStop, SpeculativeTransport } from './fused-loop.js';
import type { PlayContext, RunContext } from './context.js';
import { readLocalFile } from './context.js';
import { dockerOver } from './docker.js';
import type { HostState, UndoEntry } from './host-state.js';
import { OMIT, validateParams } from './params.js';
import { countedDocker, countedTransport, type RoundTrips } from './round-trips.js';
import type { Vars } from './vars.js';
import { layeredVars, withVars } from './vars.js';
import { firstFoundDirs, loopFormItems } from '../playbook/loops.js';
import { parseVars } from '../playbook/vars-file.js';

export const CENSORED = 'the output has been hidden due to no_log: true';

export function taskRef(task: Task, id: string, handler = false): TaskRef {
  return { id, name: task.name, module: task.module, pos: task.pos, handler, ...(task.role ? { role: task.role.name } : {}) };
}

/** The variables a task sees on a host, by SPEC §3 precedence. */
export function taskVars(pc: PlayContext, task: Task | undefined, host: HostState, loop?: Vars): Vars {
  const run = pc.run;
  const inv = run.inventory;
  const vars = layeredVars({
    roleDefaults: task?.role?.defaults ?? pc.play.roleDefaults,
    inventory: host.inventoryVars,
    play: pc.play.vars,
    varsFiles: pc.varsFilesVars,
    roleVars: task?.role?.vars ?? pc.play.roleVars,
    task: task?.vars ?? {},
    includedVars: host.includedVars,
    registered: host.registered,
    roleParams: task?.role?.params,
    extra: run.extraVars,
    loop,
    magic: {
      inventory_hostname: host.name,
      inventory_hostname_short: host.name.split('.')[0],
      groups: pc.groups,
      group_names: inv.groupsOf(host.name),
      hostvars: pc.hostvars,
      play_hosts: pc.batchHosts,
      ansible_play_hosts: pc.playHosts,
      ansible_play_hosts_all: pc.playHosts,
      ansible_play_batch: pc.batchHosts,
      ansible_play_name: pc.play.name,
      ansible_check_mode: run.check,
      ansible_diff_mode: run.diff,
      playbook_dir: run.playbook.dir,
      inventory_file: inv.source,
      omit: OMIT,
    },
  });
  return defineLookups(vars, { baseDir: task?.baseDir ?? run.playbook.dir, roleDir: task?.role?.dir });
}

/**
 * Run one task on one host: loop, when, template, validate, plan, apply (unless checking),
 * changed_when/failed_when, retries; then register and notify. Never throws: every failure
 * becomes the outcome's status.
 */
export async function runTask(pc: PlayContext, task: Task, ref: TaskRef, host: HostState, coming: readonly Task[] = []): Promise<TaskOutcome> {
  // meta end_host / end_play: nothing more runs (or is shown) for this host in this play.
  if (host.endedPlay === pc.playIndex) return { status: 'skipped', result: { skipped: true, skip_reason: 'the play ended for this host' }, durationMs: 0 };
  // block/rescue/always: a task of a block part the host's failure left behind is not run (nor shown).
  if (!blockAllows(task, host)) return { status: 'skipped', result: { skipped: true, skip_reason: 'not run after a failure in its block' }, durationMs: 0 };
  const bus = pc.run.bus;
  bus.emit({ type: 'task:start', play: pc.play.name, host: host.name, task: ref });
  const started = Date.now();
  let outcome: TaskOutcome;
  try {
    outcome = await runWithLoop(pc, task, host, ref, coming);
  } catch (e) {
    outcome = outcomeFromError(e, started);
  }
  outcome.durationMs = Date.now() - started;
  record(task, host, outcome);
  if (outcome.meta && outcome.status !== 'failed' && outcome.status !== 'skipped') metaEffect(pc, host, outcome.meta);
  // What a no_log task read or set (a password it printed, a fact) stays masked wherever later tasks use it.
  if (task.noLog) registerSecret([outcome.result?.stdout, outcome.result?.stderr, outcome.result?.ansible_facts]);
  const shown = task.noLog ? censor(outcome) : outcome;
  if (outcome.status === 'unreachable') {
    bus.emit({ type: 'host:unreachable', play: pc.play.name, host: host.name, task: ref, msg: outcome.msg ?? '' });
  }
  bus.emit({ type: 'task:done', play: pc.play.name, host: host.name, task: ref, outcome: shown });
  return outcome;
}

/** Give other hosts the outcome of a `run_once` task, as Ansible does (registered on all). */
export function shareOutcome(pc: PlayContext, task: Task, host: HostState, outcome: TaskOutcome): void {
  if (task.register) host.registered[task.register] = registeredValue(outcome);
  if (outcome.status === 'changed') for (const n of task.notify) host.notified.add(n);
  // As in Ansible, a run_once set_fact or include_vars sets its variables on every host of the batch.
  const vars = outcome.status === 'ok' ? outcome.result.ansible_facts : undefined;
  if (vars && typeof vars === 'object' && !outcome.items) {
    if (task.module === 'set_fact') Object.assign(host.registered, vars);
    else if (task.module === 'include_vars') Object.assign(host.includedVars, vars);
  }
}

/** What meta end_host, end_play and clear_host_errors do to the hosts (flush_handlers is the strategy's). */
function metaEffect(pc: PlayContext, host: HostState, action: MetaAction): void {
  const batch = () => pc.batchHosts.map((n) => pc.run.hosts.get(n)).filter((h): h is HostState => h !== undefined);
  if (action === 'end_host') host.endedPlay = pc.playIndex;
  else if (action === 'end_play') {
    for (const n of pc.playHosts) {
      const h = pc.run.hosts.get(n);
      if (h) h.endedPlay = pc.playIndex;
    }
  } else if (action === 'clear_host_errors') {
    for (const h of batch()) h.failed = false;
  }
}

/**
 * Whether a host runs a task, given the failures it had in the task's blocks: a block part
 * stops at a failure, a rescue part runs only after one in its block, an always part always
 * runs (unless a task of it failed). A host whose failure no rescue caught is failed once it
 * reaches a task outside the failed blocks.
 */
export function blockAllows(task: Task, host: HostState): boolean {
  const frames = task.blocks ?? [];
  if (host.failedPending && !frames.some((f) => host.blockErrors.has(f.id))) {
    host.failedPending = false;
    host.failed = true;
    return false;
  }
  for (const [i, f] of frames.entries()) {
    const e = host.blockErrors.get(f.id);
    // A failure inside an inner block stops this block, but the inner block's always part still runs.
    const innerAlways = () => frames.slice(i + 1).some((g) => g.part === 'always' && host.blockErrors.has(g.id) && host.blockErrors.get(g.id) !== 'always');
    if (f.part === 'block' && e !== undefined && !innerAlways()) return false;
    if (f.part === 'rescue' && e !== 'block') return false;
    if (f.part === 'always' && e === 'always') return false;
  }
  return true;
}

/**
 * A task failed inside blocks: mark the blocks from the innermost out until one with a rescue
 * catches it. `rescued`: the host goes on with that rescue; `pending`: an always part is still
 * to run before the host counts as failed; `failed`: nothing catches it.
 */
export function catchInBlocks(task: Task, host: HostState): 'rescued' | 'pending' | 'failed' {
  const frames = task.blocks ?? [];
  let alwaysAhead = false;
  for (let i = frames.length - 1; i >= 0; i--) {
    const f = frames[i];
    host.blockErrors.set(f.id, f.part);
    if (f.part === 'block' && f.hasRescue) return 'rescued';
    if (f.part !== 'always' && f.hasAlways) alwaysAhead = true;
  }
  return alwaysAhead ? 'pending' : 'failed';
}

function outcomeFromError(e: unknown, started: number): TaskOutcome {
  const durationMs = Date.now() - started;
  if (e instanceof ConnectionError) return { status: 'unreachable', result: {}, msg: e.message, durationMs };
  if (e instanceof DecidedAtRunTime) {
    return { status: 'skipped', result: { skipped: true }, msg: e.message, decidedAtRunTime: true, durationMs };
  }
  if (e instanceof ModuleError) return { status: 'failed', result: e.result, msg: e.message, durationMs };
  if (e instanceof RunbookError) return { status: 'failed', result: {}, msg: e.message, durationMs };
  const err = e as Error;
  return { status: 'failed', result: {}, msg: err?.message ?? String(e), durationMs };
}

async function runWithLoop(pc: PlayContext, task: Task, host: HostState, ref: TaskRef, coming: readonly Task[]): Promise<TaskOutcome> {
  if (!task.loop) return runOnce(pc, task, host, taskVars(pc, task, host), ref, () => comingSteps(pc, host, coming));
  const baseVars = taskVars(pc, task, host);
  const items = loopItems(task.loop, baseVars, task, pc.run.playbook.dir);
  const fused = await runFusedItems(pc, task, host, ref, items, coming);
  const results: TaskOutcome[] = fused.done;
  let uncounted = fused.trips;
  for (let i = results.length; i < items.length; i++) {
    if (pc.run.signal.aborted) break;
    const item = items[i];
    const vars = itemVars(pc, task, host, items, i);
    // The items left of this loop come first, then the tasks after it.
    const ahead = () =>
      comingSteps(pc, host, coming, items.slice(i + 1, i + 1 + READ_AHEAD_STEPS).map((_, j) => ({ task, vars: itemVars(pc, task, host, items, i + 1 + j) })));
    let one: TaskOutcome;
    try {
      one = await runOnce(pc, task, host, vars, ref, ahead);
    } catch (e) {
      one = outcomeFromError(e, Date.now());
    }
    one.item = item;
    one.roundTrips = (one.roundTrips ?? 0) + uncounted;
    uncounted = 0;
    results.push(one);
    if (one.status === 'unreachable') break;
  }
  const lastOne = results.at(-1);
  if (lastOne) lastOne.roundTrips = (lastOne.roundTrips ?? 0) + uncounted;
  return combineItems(results);
}

function fusibleWith(mod: ModuleDefinition<any, any>, params: Record<string, unknown>): boolean {
  return typeof mod.fusible === 'function' ? mod.fusible(params) : mod.fusible === true;
}

/**
 * The first items of a loop, fused (see fused-loop.ts): their facts read in one round trip,
 * their changes made in one more, each item's outcome exactly what it would be alone. Where a
 * guard finds an item's facts changed by the items before it (a folder made by one is the
 * parent of the next), the script reads them again and the items from there go in another
 * round. Returns the outcomes of the items done so (none when the loop cannot be fused), and
 * the round trips made for them not yet counted in one; the rest of the items run one by one.
 */
/** Whether a loop task's items may be fused (runFusedItems), as far as the task alone tells. */
function loopFuses(pc: PlayContext, task: Task): boolean {
  const mod = pc.run.modules.get(task.module);
  return Boolean(mod?.readsFirst && mod.fusible && !task.delegateTo && !task.runOnce && task.until.length === 0);
}

async function runFusedItems(pc: PlayContext, task: Task, host: HostState, ref: TaskRef, items: unknown[], coming: readonly Task[]): Promise<{ done: TaskOutcome[]; trips: number }> {
  const none = { done: [], trips: 0 };
  const mod = pc.run.modules.get(task.module);
  if (items.length < 2 || !mod || !loopFuses(pc, task)) return none;
  const steps = items.map((_, i) => ({ task, vars: itemVars(pc, task, host, items, i) }));
  const pooled = pc.run.transportFor(host.name, connectionVars(pc, steps[0]!.vars));
  if (!(pooled instanceof ReadAhead) || !pooled.fuses) return none;

  const guessed = await Promise.all(steps.map((st) => guessRead(pc, host, st)));
  const reads = guessed.filter((r): r is ReadStep => r !== undefined);
  const facts = new Map<string, ExecResult>();
  let trips = 0;
  if (reads.length > 0) {
    // What comes after the loop is read with it: on a rerun nothing is sent in between.
    await expectAhead(pc, host, pooled, comingSteps(pc, host, coming));
    const pre = await pooled.readAll(reads);
    reads.forEach((r, i) => facts.set(readKey(r.cmd, r.opts), pre.results[i]!));
    trips += pre.sent ? 1 : 0;
  }
  const done: TaskOutcome[] = [];
  const finish = (one: TaskOutcome) => {
    one.roundTrips = (one.roundTrips ?? 0) + trips;
    trips = 0;
    done.push(one);
  };
  // The writes of each item whose ops were sent, in order (undefined: not known), and for each
  // item how many of them had been sent when its facts in hand were read. A rollout keeps undo
  // copies in temporary folders no footprint names: there every item after a write is guarded.
  const writesLog: Written[] = [];
  const readAt: number[] = items.map(() => 0);
  const footprints = !(pc.keepUndo ?? pc.run.keepUndo ?? false);
  while (done.length < items.length && !pc.run.signal.aborted) {
    const at = done.length;
    // Speculatively, in order: where an item cannot be fused, this round ends before it. Each
    // item's guard is decided here, from what was written since its facts were read.
    const specs: SpeculativeTransport[] = [];
    const guards: boolean[] = [];
    const planned: TaskOutcome[] = [];
    const pending: Written[] = [];
    const wrote: Written[] = [];
    const speculate = async (i: number, known: ReadonlyMap<string, ExecResult>) => {
      const spec = new SpeculativeTransport((st) => pooled.canRunInSteps(st), known, host.name);
      try {
        const one = await runOnce(pc, task, host, steps[i]!.vars, ref, undefined, { via: spec, speculative: true, onPlan: (p) => (spec.footprint = p.footprint) });
        return spec.stopped !== undefined || one.status === 'failed' || one.status === 'unreachable' ? undefined : { spec, one };
      } catch {
        return undefined;
      }
    };
    for (let i = at; i < items.length; i++) {
      const since = [...writesLog.slice(readAt[i]), ...pending];
      let got = await speculate(i, facts);
      if (!got) break;
      let guard = needsGuard(got.spec.footprint?.reads, since.map((w) => w?.writes));
      // Folders made since: plan from the facts the read would give now, when the module can tell them.
      const read = got.spec.read;
      const dirs = since.every((w) => w !== undefined) ? since.flatMap((w) => w!.dirs) : [];
      if (guard && read && dirs.length > 0 && mod.predictRead) {
        const predicted = mod.predictRead(read.step, read.result, dirs);
        const again = predicted && (await speculate(i, new Map(facts).set(readKey(read.step.cmd, read.step.opts), predicted)));
        const made = new Set(dirs);
        if (again && !needsGuard(again.spec.footprint?.reads, since.map((w) => w!.writes.filter((p) => !made.has(p))))) {
          got = again;
          guard = false;
        }
      }
      got.one.item = items[i];
      specs.push(got.spec);
      guards.push(guard);
      planned.push(got.one);
      const fp = got.spec.footprint;
      wrote.push(footprints && fp ? { writes: fp.writes, dirs: fp.dirs ?? [] } : undefined);
      if (got.spec.ops.length > 0) pending.push(wrote.at(-1));
    }
    // Items before the first that changes anything, planned from facts nothing has changed since, are final.
    let first = 0;
    while (first < specs.length && specs[first]!.ops.length === 0 && !guards[first]) first++;
    planned.slice(0, first).forEach(finish);
    if (first === specs.length) break;

    const fusedSteps: FusedStep[] = [];
    const stepsOf: number[][] = [];
    for (let k = first; k < specs.length; k++) {
      const own = specs[k]!.steps(guards[k]!);
      stepsOf[k] = own.map((_, j) => fusedSteps.length + j);
      fusedSteps.push(...own);
    }
    // What the tasks after the loop read rides along, as with any command.
    await expectAhead(pc, host, pooled, comingSteps(pc, host, coming));
    const ran = await pooled.runSteps(fusedSteps, []);
    trips++;
    let failed = false;
    for (let k = first; k < specs.length; k++) {
      const idx = stepsOf[k]!;
      // The script stopped before this item (a guard did not hold, an op before it failed, or the script was full).
      if (idx.length > 0 && ran.steps[idx[0]!] === undefined) break;
      const last = !ran.steps.slice((idx.at(-1) ?? -1) + 1).some((r) => r !== undefined);
      const results = specs[k]!.ops.length === 0 ? [] : idx.map((j) => ran.steps[j]);
      failed = results.some((r) => r === undefined || (r.op === 'exec' && r.result.exitCode !== 0) || (r.op === 'put' && r.error !== undefined));
      let one: TaskOutcome;
      try {
        one = await runOnce(pc, task, host, steps[at + k]!.vars, ref, undefined, { via: new ReplayTransport(pooled, specs[k]!, results, last) });
      } catch (e) {
        one = outcomeFromError(e, Date.now());
      }
      one.item = items[at + k];
      finish(one);
      if (specs[k]!.ops.length > 0) writesLog.push(wrote[k]);
      if (one.status === 'unreachable' || failed) return { done, trips };
    }
    if (done.length === at && ran.stale === undefined) break;
    // A guard that did not hold read the facts again: plan the rest from them.
    ran.stale?.forEach((r, j) => {
      const g = fusedSteps[j]!.guard;
      if (!r || !g) return;
      facts.set(readKey(g.read.cmd, g.read.opts), r);
      const k = stepsOf.findIndex((idx) => idx?.includes(j));
      if (k >= 0) readAt[at + k] = writesLog.length;
    });
  }
  return { done, trips };
}

/** What an item whose ops were sent wrote (Footprint.writes) and the folders it made; undefined: not known. */
type Written = { writes: readonly string[]; dirs: readonly string[] } | undefined;

/** The variables of a loop's item `i`. */
function itemVars(pc: PlayContext, task: Task, host: HostState, items: unknown[], i: number): Vars {
  const loopVars: Vars = {
    [task.loopVar]: items[i],
    ansible_loop: { index: i + 1, index0: i, first: i === 0, last: i === items.length - 1, length: items.length },
  };
  if (task.indexVar) loopVars[task.indexVar] = i;
  return taskVars(pc, task, host, loopVars);
}

/**
 * Coming steps whose reads are guessed ahead: the next one is carried (ReadAhead), the one
 * after stands in when the next's read is held already. Each guess is a dry plan on this side.
 */
const READ_AHEAD_STEPS = 2;

/** Items of a coming fused loop whose reads are carried together (its first round reads them all at once). */
const FUSED_AHEAD_STEPS = 16;

/** Expect the coming steps' reads: the next one, or all of a coming fused loop's (more steps than READ_AHEAD_STEPS). */
async function expectAhead(pc: PlayContext, host: HostState, pooled: ReadAhead, steps: readonly ComingStep[]): Promise<void> {
  const reads = await guessReads(pc, host, steps);
  pooled.expect(reads, steps.length > READ_AHEAD_STEPS ? reads.length : undefined);
}

/**
 * `first` (the rest of the current loop), then the steps of the tasks scheduled after the
 * current one on this host, with the variables they would see now: at most READ_AHEAD_STEPS.
 */
function comingSteps(pc: PlayContext, host: HostState, coming: readonly Task[], first: ComingStep[] = []): ComingStep[] {
  const out = first.slice(0, READ_AHEAD_STEPS);
  for (const t of coming) {
    if (out.length >= READ_AHEAD_STEPS) break;
    try {
      if (!t.loop) {
        out.push({ task: t, vars: taskVars(pc, t, host) });
        continue;
      }
      const items = loopItems(t.loop, taskVars(pc, t, host), t, pc.run.playbook.dir);
      // A fused loop next reads all its items' facts at once: all of them are carried (see expectAhead).
      const all = out.length === 0 && loopFuses(pc, t) ? Math.min(items.length, FUSED_AHEAD_STEPS) : READ_AHEAD_STEPS;
      for (let i = 0; i < items.length && out.length < all; i++) out.push({ task: t, vars: itemVars(pc, t, host, items, i) });
      if (all > READ_AHEAD_STEPS) break;
    } catch {
      // its loop cannot be known yet
    }
  }
  return out;
}

function loopItems(loop: Located<unknown>, vars: Vars, task: Task, playbookDir: string): unknown[] {
  const where = { pos: loop.pos, task: task.name };
  const value = typeof loop.value === 'string' ? renderString(loop.value, vars, where) : renderDeep(loop.value, vars, where);
  if (task.loopForm) {
    try {
      return loopFormItems(task.loopForm, value, firstFoundDirs(task.role?.dir, task.baseDir ?? playbookDir));
    } catch (e) {
      throw new TemplateError((e as Error).message, loop.pos);
    }
  }
  if (Array.isArray(value)) return value;
  if (value && typeof value === 'object') {
    throw new TemplateError(`loop must be a list, found a map (use a list of items)`, loop.pos);
  }
  throw new TemplateError(`loop must be a list, found ${JSON.stringify(value)}`, loop.pos);
}

function combineItems(items: TaskOutcome[]): TaskOutcome {
  const statuses = items.map((i) => i.status);
  const status = statuses.includes('unreachable')
    ? 'unreachable'
    : statuses.includes('failed')
      ? 'failed'
      : statuses.includes('changed')
        ? 'changed'
        : items.length > 0 && statuses.every((s) => s === 'skipped')
          ? 'skipped'
          : 'ok';
  const failed = items.find((i) => i.status === 'failed' || i.status === 'unreachable');
  const messages = items.filter((i) => i.message !== undefined);
  const meta = items.find((i) => i.meta && i.status !== 'failed' && i.status !== 'skipped')?.meta;
  return {
    ...(messages.length ? { message: messages.map((i) => `[${itemLabelOf(i.item)}] ${i.message}`).join('\n') } : {}),
    ...(meta ? { meta } : {}),
    status,
    result: { results: items.map(itemResult) },
    msg: failed?.msg ?? (items.length === 0 ? 'no items' : undefined),
    diff: items.flatMap((i) => i.diff ?? []),
    changes: items.flatMap((i) => i.changes ?? []),
    decidedAtRunTime: items.some((i) => i.decidedAtRunTime) || undefined,
    roundTrips: items.reduce((n, i) => n + (i.roundTrips ?? 0), 0),
    durationMs: 0,
    items,
  };
}

function itemLabelOf(item: unknown): string {
  if (item === null || typeof item !== 'object') return String(item);
  const s = JSON.stringify(item);
  return s.length > 40 ? `${s.slice(0, 37)}...` : s;
}

function evalConditions(conds: Located[], vars: Vars, task: Task, guess = false): boolean {
  for (const c of conds) {
    if (!evalCondition(c.value, vars, { pos: c.pos, task: task.name, guess })) return false;
  }
  return true;
}

function resolveBecome(pc: PlayContext, task: Task, vars: Vars): Become | undefined {
  const on = task.become ?? pc.play.become ?? asBool(vars.ansible_become);
  if (!on) return undefined;
  const user = task.becomeUser ?? pc.play.becomeUser ?? (vars.ansible_become_user as string | undefined) ?? 'root';
  return { user };
}

/** Connection variables of a delegate_to target: its inventory vars, or a bare name (localhost is local). */
function delegateVars(pc: PlayContext, name: string): Vars {
  const run = pc.run;
  const known = run.hosts.get(name)?.inventoryVars ?? (run.inventory.hasHost(name) ? run.inventory.hostVars(name) : undefined);
  const inventory = known ?? { ansible_connection: name === 'localhost' || name === '127.0.0.1' ? 'local' : 'ssh' };
  return layeredVars({ inventory, play: {}, varsFiles: {}, task: {}, registered: {}, extra: {}, magic: {} });
}

function asBool(v: unknown): boolean {
  if (typeof v === 'string') return ['yes', 'true', 'on', '1'].includes(v.toLowerCase());
  return Boolean(v);
}

/** How a loop item of a fused loop runs (fused-loop.ts): on which transport, and whether speculatively. */
interface FusedRun {
  via: Transport;
  /** The speculative pass: nothing is kept (undo records) or logged, and a module's fusible() is asked. */
  speculative?: boolean;
  /** Told the item's plan. */
  onPlan?: (plan: Plan) => void;
}

/**
 * A task's variables with the play's remote_user/connection where the inventory sets nothing
 * (as in Ansible, the host's ansible_user/ansible_connection win over play keywords).
 */
function connectionVars(pc: PlayContext, vars: Vars): Vars {
  return withVars(vars, {
    ansible_user: vars.ansible_user ?? pc.play.remoteUser,
    ansible_connection: vars.ansible_connection ?? pc.play.connection,
  });
}

async function runOnce(pc: PlayContext, task: Task, host: HostState, vars: Vars, ref: TaskRef, ahead?: () => ComingStep[], fused?: FusedRun): Promise<TaskOutcome> {
  const run = pc.run;
  const started = Date.now();
  if (!evalConditions(task.when, vars, task)) {
    return { status: 'skipped', result: { skipped: true, skip_reason: 'conditional result was false' }, msg: 'conditional result was false', durationMs: 0 };
  }
  const mod = run.modules.get(task.module);
  if (!mod) throw new ModuleError(`unknown module '${task.module}'`);
  const rendered = renderDeep(task.args, vars, { pos: task.pos, task: task.name, valuePos: task.templatePos }) as Record<string, unknown>;
  const checked = validateParams(mod, rendered);
  if (!checked.ok) throw new ModuleError(`invalid parameters for ${mod.name}: ${checked.message}`);
  const params = checked.params;
  if (fused?.speculative && !fusibleWith(mod, params)) throw new SpecStop(`${mod.name} with these parameters`);

  const check = task.checkMode ?? run.check;
  const diff = task.diff ?? run.diff;
  const become = resolveBecome(pc, task, vars);
  let targetName = host.name;
  let targetVars = connectionVars(pc, vars);
  if (task.delegateTo) {
    targetName = String(renderString(task.delegateTo, vars, { pos: task.pos, task: task.name }));
    targetVars = delegateVars(pc, targetName);
  }
  // A controller-side module never touches the host: the pooled transport connects on first use only.
  const roundTrips: RoundTrips = { n: 0 };
  const pooled = run.transportFor(targetName, targetVars);
  const transport = countedTransport(fused?.via ?? pooled, roundTrips);
  // Rollouts ask for undo records (per play or batch); plain runs leave nothing on hosts.
  const keepUndo = pc.keepUndo ?? run.keepUndo ?? false;
  const keep = (undo: unknown) =>
    host.undoLog.push({ taskId: ref.id, task: ref.name, module: mod.name, params, undo, target: targetName, transport: pooled, ...(become ? { become } : {}) });
  const ctx = moduleContext(pc, task, host, vars, {
    target: targetName,
    transport,
    become,
    check,
    diff,
    keepUndo,
    docker: async () =>
      countedDocker(await (run.docker && !fused ? run.docker.get(targetName, pooled, become) : dockerOver(fused?.via ?? pooled, become ? { become } : {})), roundTrips),
    log: (m) => {
      if (run.verbose && !fused?.speculative) run.bus.emit({ type: 'warning', msg: m, host: host.name });
    },
  });
  // What the host's next tasks will read rides along with this task's commands (not when this
  // one goes to another host: those reads are the host's own).
  if (pooled instanceof ReadAhead && ahead && targetName === host.name) await expectAhead(pc, host, pooled, ahead());

  const attempts = task.until.length > 0 ? Math.max(1, (task.retries ?? 3) + 1) : 1;
  let outcome!: TaskOutcome;
  for (let attempt = 1; attempt <= attempts; attempt++) {
    outcome = await planAndApply(mod, ctx, params, check, task, vars, host, keepUndo && !fused?.speculative ? keep : undefined, fused?.onPlan);
    if (task.until.length === 0 || outcome.status === 'skipped') break;
    outcome.result.attempts = attempt;
    const reg = itemRegistered(outcome);
    const withResult = withVars(vars, { ...reg, ...(task.register ? { [task.register]: reg } : {}) });
    if (evalConditions(task.until, withResult, task)) break;
    if (attempt === attempts) {
      outcome = { ...outcome, status: 'failed', msg: `retries exhausted (${attempts} attempts): until condition still false` };
      break;
    }
    await sleep((task.delay ?? 5) * 1000, run.signal);
  }
  outcome.durationMs = Date.now() - started;
  outcome.roundTrips = roundTrips.n;
  return outcome;
}

/** The module context of a task on a host, around the given transport (and Docker client). */
function moduleContext(
  pc: PlayContext,
  task: Task,
  host: HostState,
  vars: Vars,
  o: { target: string; transport: Transport; become: Become | undefined; check: boolean; diff: boolean; keepUndo: boolean; docker: ModuleContext['docker']; log: ModuleContext['log'] },
): ModuleContext {
  const run = pc.run;
  const dir = task.baseDir ?? run.playbook.dir;
  const { transport, become } = o;
  return {
    host: o.target,
    vars,
    transport,
    become,
    run: (cmd, opts) => transport.exec(cmd, { become, signal: run.abort, ...opts }),
    docker: o.docker,
    check: o.check,
    diff: o.diff,
    keepUndo: o.keepUndo,
    signal: run.abort,
    playbookDir: dir,
    readLocalFile: (p, sub) => readLocalFile(dir, p, sub, task.role?.dir),
    render: (text, source) => renderHbsText(text, vars, { task: `${task.name} (${source})` }),
    log: o.log,
    evaluate: (expr) => evalExpr(expr, vars, { task: task.name }),
    condition: (expr) => evalCondition(expr, vars, { task: task.name }),
    verbosity: run.verbose ? 1 : 0,
    loadVars: async (p) => {
      const f = await readLocalFile(dir, p, 'vars', task.role?.dir);
      return { path: f.path, vars: parseVars(f.content.toString('utf8'), f.path) };
    },
  };
}

/** A task (with its loop variables) that may run next on a host. */
export interface ComingStep {
  task: Task;
  vars: Vars;
}

class DryPlanStop extends Error {}

/**
 * The first read each coming step would make on the host, found by running its module's plan
 * with a transport that sends nothing: the plan stops at its first contact with the host, and a
 * read is noted. Only modules whose plan reads first and has no other effect (readsFirst) are
 * run so; a step whose condition or parameters cannot be decided yet is left out. A wrong guess
 * costs a read sent for nothing, never a wrong result (see ReadAhead).
 */
async function guessReads(pc: PlayContext, host: HostState, steps: readonly ComingStep[]): Promise<ReadStep[]> {
  const out: ReadStep[] = [];
  for (const step of steps) {
    const found = await guessRead(pc, host, step);
    if (found) out.push(found);
  }
  return out;
}

/** The first read one coming step would make (see guessReads); undefined when none can be known. */
async function guessRead(pc: PlayContext, host: HostState, { task, vars }: ComingStep): Promise<ReadStep | undefined> {
  const stop = (): never => {
    throw new DryPlanStop();
  };
  const mod = pc.run.modules.get(task.module);
  if (!mod?.readsFirst || task.delegateTo || task.runOnce) return undefined;
  let found: ReadStep | undefined;
  try {
    // A condition or argument may read a result that an earlier task has not registered yet:
    // guess as if the condition held, with such an argument empty (a wrong guess is one read
    // for nothing).
    let holds = true;
    try {
      holds = evalConditions(task.when, vars, task, true);
    } catch {
      /* not decidable yet */
    }
    if (!holds) return undefined;
    const where = { pos: task.pos, task: task.name, valuePos: task.templatePos };
    let rendered: Record<string, unknown>;
    try {
      rendered = renderDeep(task.args, vars, where) as Record<string, unknown>;
    } catch {
      rendered = renderLeniently(task.args, vars, where) as Record<string, unknown>;
    }
    const checked = validateParams(mod, rendered);
    if (!checked.ok) return undefined;
    const dry: Transport = {
      host: host.name,
      connect: async () => {},
      exec: async (cmd, opts = {}) => {
        if (opts.read && opts.stdin === undefined) {
          found = { cmd, opts: { ...(opts.become ? { become: opts.become } : {}), ...(opts.cwd !== undefined ? { cwd: opts.cwd } : {}), ...(opts.env ? { env: opts.env } : {}) } };
        }
        return stop();
      },
      put: async () => stop(),
      get: async () => stop(),
      forwardUnixSocket: async () => stop(),
      close: async () => {},
    };
    const become = resolveBecome(pc, task, vars);
    const ctx = moduleContext(pc, task, host, vars, {
      target: host.name,
      transport: dry,
      become,
      check: task.checkMode ?? pc.run.check,
      diff: task.diff ?? pc.run.diff,
      keepUndo: false,
      docker: async () => stop(),
      log: () => {},
    });
    await mod.plan(ctx, checked.params);
  } catch {
    // stopped at its first contact with the host, or not decidable yet
  }
  return found;
}

/** Each templated string rendered alone, '' where it cannot be yet (for guessing a read only). */
function renderLeniently(value: unknown, vars: Vars, where: Parameters<typeof renderDeep>[2]): unknown {
  if (typeof value === 'string') {
    try {
      return renderDeep(value, vars, where);
    } catch {
      return '';
    }
  }
  if (Array.isArray(value)) return value.map((v) => renderLeniently(v, vars, where));
  if (value !== null && typeof value === 'object') return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, renderLeniently(v, vars, where)]));
  return value;
}

async function planAndApply(
  mod: ModuleDefinition<any, any>,
  ctx: ModuleContext,
  params: Record<string, unknown>,
  check: boolean,
  task: Task,
  vars: Vars,
  host: HostState,
  keep?: (undo: unknown) => void,
  onPlan?: (plan: Plan) => void,
): Promise<TaskOutcome> {
  let plan: Plan;
  try {
    plan = await mod.plan(ctx, params);
  } catch (e) {
    return judged(failure(e), mod, task, vars);
  }
  onPlan?.(plan);
  const changes = plan.changes.map(describeChange);
  let status: TaskOutcome['status'];
  let result: Record<string, unknown> = { ...(plan.result ?? {}) };
  let msg: string | undefined = plan.summary;
  if (mod.readOnly || plan.changes.length === 0) {
    status = 'ok';
  } else if (check) {
    if (mod.opaque && !plan.decided) {
      // Its result is only known by running it: report skipped, register "decided at run time".
      return {
        status: 'skipped',
        result: { skipped: true, msg: `not run in check mode: ${plan.summary ?? task.name}` },
        msg: `${plan.summary ?? task.name} (not run in check mode)`,
        changes,
        decidedAtRunTime: true,
        durationMs: 0,
      };
    }
    status = 'changed';
  } else {
    let applied: ApplyResult;
    try {
      applied = await mod.apply(ctx, params, plan);
    } catch (e) {
      return judged({ ...failure(e), changes, diff: plan.diff }, mod, task, vars);
    }
    if (keep && applied.undo !== undefined) keep(applied.undo);
    result = { ...result, ...(applied.result ?? {}) };
    status = applied.failed ? 'failed' : applied.changed === false ? 'ok' : 'changed';
    msg = applied.msg ?? msg;
  }
  const o = judged({ status, result, msg, diff: plan.diff, changes, durationMs: 0 }, mod, task, vars);
  const fx = plan.effects;
  if (fx && o.status !== 'failed') {
    // Decided by the plan alone, so check mode sets them too (as Ansible's set_fact does).
    if (fx.facts) Object.assign(host.registered, fx.facts);
    if (fx.includedVars) Object.assign(host.includedVars, fx.includedVars);
    if (fx.message !== undefined) o.message = fx.message;
    if (fx.meta) o.meta = fx.meta;
  }
  return o;
}

/** A module's thrown failure as an outcome (connection loss and check-mode unknowns stay thrown). */
function failure(e: unknown): TaskOutcome {
  if (e instanceof ConnectionError || e instanceof DecidedAtRunTime) throw e;
  return outcomeFromError(e, Date.now());
}

/** changed_when / failed_when, which see the result under the register name, as in Ansible. */
function judged(o: TaskOutcome, mod: ModuleDefinition<any, any>, task: Task, vars: Vars): TaskOutcome {
  if (task.changedWhen.length === 0 && task.failedWhen.length === 0) return o;
  let status = o.status;
  let msg = o.msg;
  const reg = { ...o.result, changed: status === 'changed', failed: status === 'failed', ...(msg !== undefined ? { msg } : {}) };
  const scope = withVars(vars, { ...reg, ...(task.register ? { [task.register]: reg } : {}) });
  if (task.changedWhen.length > 0 && status !== 'failed') {
    status = evalConditions(task.changedWhen, scope, task) ? 'changed' : 'ok';
  }
  if (task.failedWhen.length > 0) {
    if (evalConditions(task.failedWhen, scope, task)) {
      if (status !== 'failed') msg = msg ?? 'failed_when condition was true';
      status = 'failed';
    } else if (status === 'failed') {
      status = task.changedWhen.length > 0 ? (evalConditions(task.changedWhen, scope, task) ? 'changed' : 'ok') : mod.opaque ? 'changed' : 'ok';
    }
  }
  return { ...o, status, msg };
}

function describeChange(c: { field: string; before?: unknown; after?: unknown }): string {
  const show = (v: unknown) => (typeof v === 'string' ? v : JSON.stringify(v));
  if (c.before === undefined && c.after === undefined) return c.field;
  if (c.before === undefined) return `${c.field}: ${show(c.after)}`;
  if (c.after === undefined) return `${c.field}: ${show(c.before)} → (removed)`;
  return `${c.field}: ${show(c.before)} → ${show(c.after)}`;
}

/** One loop item's entry in `results`; in check mode an item that did not run is decided at run time. */
function itemResult(o: TaskOutcome): unknown {
  if (o.decidedAtRunTime) {
    return runtimeUnknown('a loop item that did not run in check mode', { skipped: true, changed: false, failed: false, item: o.item });
  }
  return { ...itemRegistered(o), item: o.item };
}

function itemRegistered(o: TaskOutcome): Record<string, unknown> {
  return {
    ...o.result,
    changed: o.status === 'changed',
    failed: o.status === 'failed' || o.status === 'unreachable',
    skipped: o.status === 'skipped',
    ...(o.msg !== undefined ? { msg: o.msg } : {}),
  };
}

/** The value a `register:` stores; in check mode a task that did not run is decided at run time. */
export function registeredValue(o: TaskOutcome): unknown {
  const known = itemRegistered(o);
  if (o.decidedAtRunTime && !o.items) {
    return runtimeUnknown('a task that did not run in check mode', { skipped: true, changed: false, failed: false });
  }
  return known;
}

function record(task: Task, host: HostState, o: TaskOutcome): void {
  if (task.register) host.registered[task.register] = registeredValue(o);
  if (o.status === 'failed' && task.ignoreErrors) o.ignored = true;
  host.counts.timeMs += o.durationMs;
  switch (o.status) {
    case 'unreachable':
      host.unreachable = true;
      host.counts.unreachable++;
      break;
    case 'failed': {
      const caught = o.ignored || !task.blocks ? undefined : catchInBlocks(task, host);
      if (caught === 'rescued') {
        o.rescued = true;
        host.registered.ansible_failed_task = { name: task.name, module: task.module, action: task.module };
        host.registered.ansible_failed_result = registeredValue(o);
      }
      if (o.ignored || caught === 'rescued') {
        host.counts.ok++;
      } else if (caught === 'pending') {
        host.failedPending = true;
        host.counts.failed++;
      } else {
        host.failed = true;
        host.counts.failed++;
      }
      break;
    }
    default:
      host.counts[o.status]++;
  }
  if (o.status === 'changed') {
    for (const n of task.notify) host.notified.add(n);
  }
}

function censor(o: TaskOutcome): TaskOutcome {
  return {
    ...o,
    result: { censored: CENSORED },
    msg: o.status === 'failed' ? CENSORED : undefined,
    message: o.message === undefined ? undefined : CENSORED,
    diff: undefined,
    changes: o.changes ? o.changes.map(() => '(hidden: no_log)') : undefined,
    items: o.items?.map(censor),
    item: o.item === undefined ? undefined : '(hidden)',
  };
}

function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    const onAbort = () => {
      clearTimeout(t);
      resolve();
    };
    const t = setTimeout(() => {
      signal.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    signal.addEventListener('abort', onAbort, { once: true });
  });
}

/**
 * The module context for replaying or dropping one undo entry: on the host and with the become
 * the original task had, never in check mode, with nothing left to template.
 */
export function undoEntryContext(run: RunContext, host: HostState, e: UndoEntry, log: (m: string) => void = () => {}): ModuleContext {
  const { transport, become } = e;
  return {
    host: e.target,
    vars: host.inventoryVars,
    transport,
    become,
    run: (cmd, opts) => transport.exec(cmd, { become, signal: run.abort, ...opts }),
    docker: () => (run.docker ? run.docker.get(e.target, transport, become) : dockerOver(transport, become ? { become } : {})),
    check: false,
    diff: false,
    keepUndo: false,
    signal: run.abort,
    playbookDir: run.playbook.dir,
    readLocalFile: (p, sub) => readLocalFile(run.playbook.dir, p, sub),
    render: (text) => text,
    log,
  };
}

/**
 * Drop what a host's undo records keep on it (a replaced container, kept for a rollback), once
 * the run or rollout batch is done with them; empties the log. Failures are reported as warnings.
 */
export async function discardUndoLog(run: RunContext, host: HostState): Promise<void> {
  const entries = host.undoLog.splice(0).reverse();
  for (const e of entries) {
    const mod = run.modules.get(e.module);
    if (!mod?.discard) continue;
    const ctx = undoEntryContext(run, host, e);
    try {
      await mod.discard(ctx, e.params, e.undo);
    } catch (err) {
      run.bus.emit({ type: 'warning', msg: `${e.target}: task '${e.task}': cannot drop its undo record: ${(err as Error).message}`, host: host.name });
    }
  }
}

