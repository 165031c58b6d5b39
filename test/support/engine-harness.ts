import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { ConnectionError, ModuleError } from '../../src/core/errors.js';
import { defineModule, type ModuleContext, type ModuleDefinition } from '../../src/core/module.js';
import { EventBus, type HostCounts, type RunEvent, type RunEventOf, type TaskOutcome } from '../../src/core/types.js';
import { exitCode, prepare, type PlayOptions } from '../../src/cli/play.js';
import type { RunContext } from '../../src/executor/context.js';
import type { HostState } from '../../src/executor/host-state.js';
import { jsonReporter } from '../../src/report/json.js';
import { runPlaybook, type PlaybookRunResult } from '../../src/rollout/run.js';
import type { Transport } from '../../src/transport/types.js';
import { builtinModules } from '../../modules/index.js';
import { FakeTransport } from './fake-transport.js';

/**
 * Runs a playbook end to end through the real loader (`prepare`: inventory, playbook, -e,
 * undefined-name check), executor, strategies, handlers and `runPlaybook`, with scripted fake
 * transports instead of SSH and test modules that record what the engine asked of them.
 *
 * Test modules (both record every plan/apply call in `log`):
 *
 * - `probe`: a well-behaved module. Parameters (all optional; a host list means "on these hosts"):
 *     id            label in the log (modules do not see the task name; default "")
 *     change        boolean | hosts  the plan has a change (so apply runs, unless checking)
 *     fail          boolean | hosts  plan throws ModuleError
 *     fail_first    number  the first N plans of this id on each host throw ModuleError
 *     apply_fail    boolean | hosts  apply returns { failed: true }
 *     apply_error   boolean | hosts  apply throws ModuleError
 *     unreachable   boolean | hosts  plan throws ConnectionError
 *     delay_ms      number | { host: ms }  plan sleeps this long
 *     result        map merged into the result
 *     echo          any value, returned as result.echo (to see what a template rendered to)
 *   Every result also has `calls`: how many times this id was planned on this host so far.
 * - `opaque_probe`: the same, declared `opaque` (like command: only known by running it).
 *
 * The builtin modules (command, shell, copy, template, file) are available too.
 */

export type HostList = boolean | string[];

export interface ProbeParams {
  id?: string;
  change?: HostList;
  fail?: HostList;
  fail_first?: number;
  apply_fail?: HostList;
  apply_error?: HostList;
  unreachable?: HostList;
  delay_ms?: number | Record<string, number>;
  result?: Record<string, unknown>;
  echo?: unknown;
}

export interface ProbeCall {
  /** Order of this call's start among all calls of the run (0-based). */
  seq: number;
  module: string;
  phase: 'plan' | 'apply';
  id: string;
  /** The host the module acts on (the delegated host under delegate_to). */
  host: string;
  /** `inventory_hostname` of the task (the host the task belongs to). */
  inventoryHostname: string;
  /** `host` of the transport the module was given. */
  transport: string;
  params: ProbeParams;
  check: boolean;
  /** Logical clock: when the call started and ended (shared counter over starts and ends). */
  startTick: number;
  endTick: number;
  /** How many calls were in flight (this one included) when it started. */
  inFlight: number;
}

export interface TransportRequest {
  host: string;
  vars: Record<string, unknown>;
}

/** A fake transport that can refuse to connect, as an unreachable host does. */
export class HarnessTransport extends FakeTransport {
  constructor(
    host: string,
    private readonly refuse: boolean,
  ) {
    super(host);
  }

  private gate(): void {
    if (this.refuse) throw new ConnectionError(this.host, 'connect ECONNREFUSED (simulated)');
  }

  override async connect(): Promise<void> {
    this.gate();
    await super.connect();
  }

  override async exec(...args: Parameters<FakeTransport['exec']>): ReturnType<FakeTransport['exec']> {
    this.gate();
    return super.exec(...args);
  }

  override async put(...args: Parameters<FakeTransport['put']>): ReturnType<FakeTransport['put']> {
    this.gate();
    return super.put(...args);
  }

  override async get(...args: Parameters<FakeTransport['get']>): ReturnType<FakeTransport['get']> {
    this.gate();
    return super.get(...args);
  }
}

export interface HarnessOptions {
  /** The playbook's YAML text. */
  playbook: string;
  /** The inventory's YAML text; default: `hosts` generated hosts h1..hN. */
  inventory?: string;
  /** Number of generated hosts (h1..hN, `ansible_connection: ssh`) when no inventory is given. Default 3. */
  hosts?: number;
  /** More files next to the playbook (relative path → content), e.g. vars files, templates. */
  files?: Record<string, string>;
  check?: boolean;
  diff?: boolean;
  limit?: string;
  tags?: string;
  skipTags?: string;
  /** `-e` arguments, as typed: `key=value`, JSON/YAML text, or `@file` (relative to the temp dir). */
  extraVars?: string[];
  forks?: number;
  detailedExitcode?: boolean;
  verbose?: boolean;
  /** Hosts whose transport refuses every connection (ConnectionError). */
  unreachable?: string[];
  /** Script a host's fake transport (e.g. `t.on('uname', { stdout: 'Linux\n' })`). */
  script?: (host: string, t: HarnessTransport) => void;
  /** Called as each test-module call starts (e.g. to interrupt the run at a chosen point). */
  onCall?: (call: ProbeCall) => void;
  /** Extra modules (override builtins and probes of the same name). */
  modules?: ModuleDefinition<any, any>[];
  /** The first interrupt: start nothing new. */
  signal?: AbortSignal;
  /** The second interrupt: abort in-flight commands too. */
  abort?: AbortSignal;
}

export interface HarnessResult {
  events: RunEvent[];
  /** Per host, as the recap shows them. */
  counts: Record<string, HostCounts>;
  /** The process exit code (`exitCode` of the play command). */
  exit: number;
  /** Every plan/apply call of the test modules, in start order. */
  log: ProbeCall[];
  /** Highest number of test-module calls in flight at once. */
  maxInFlight: number;
  /** The JSON reporter's lines (`--output json`), summary last. */
  json: string[];
  /** Every transport the engine asked for, in order (one per task run, by target host). */
  transportRequests: TransportRequest[];
  transports: Map<string, HarnessTransport>;
  hosts: Map<string, HostState>;
  run: PlaybookRunResult;
  dir: string;
}

function onHost(v: HostList | undefined, host: string): boolean {
  if (v === undefined) return false;
  if (typeof v === 'boolean') return v;
  return v.includes(host);
}

const hostList = { anyOf: [{ type: 'boolean' }, { type: 'array', items: { type: 'string' } }] };

const probeSchema = {
  type: 'object',
  additionalProperties: false,
  properties: {
    id: { type: 'string' },
    change: hostList,
    fail: hostList,
    fail_first: { type: 'integer', minimum: 0 },
    apply_fail: hostList,
    apply_error: hostList,
    unreachable: hostList,
    delay_ms: { anyOf: [{ type: 'number' }, { type: 'object', additionalProperties: { type: 'number' } }] },
    result: { type: 'object' },
    echo: {},
  },
};

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

/** The test modules of one run, sharing one log and one in-flight counter. */
function probeModules(
  log: ProbeCall[],
  stats: { inFlight: number; max: number; tick: number; seq: number },
  onCall?: (call: ProbeCall) => void,
) {
  const plannedCount = new Map<string, number>();
  const begin = (module: string, phase: 'plan' | 'apply', ctx: ModuleContext, params: ProbeParams): ProbeCall => {
    stats.inFlight++;
    stats.max = Math.max(stats.max, stats.inFlight);
    const call: ProbeCall = {
      seq: stats.seq++,
      module,
      phase,
      id: params.id ?? '',
      host: ctx.host,
      inventoryHostname: String(ctx.vars.inventory_hostname),
      transport: ctx.transport.host,
      params: structuredClone(params),
      check: ctx.check,
      startTick: stats.tick++,
      endTick: -1,
      inFlight: stats.inFlight,
    };
    log.push(call);
    onCall?.(call);
    return call;
  };
  const end = (call: ProbeCall) => {
    stats.inFlight--;
    call.endTick = stats.tick++;
  };
  const make = (name: string, opaque: boolean) =>
    defineModule<ProbeParams>({
      name,
      description: `Test module ${name}: records its calls and does what its parameters say.`,
      schema: probeSchema,
      opaque,
      async plan(ctx, params) {
        const call = begin(name, 'plan', ctx, params);
        try {
          await ctx.transport.connect();
          const key = `${ctx.vars.inventory_hostname}\u0000${params.id ?? ''}`;
          const calls = (plannedCount.get(key) ?? 0) + 1;
          plannedCount.set(key, calls);
          const delay = typeof params.delay_ms === 'number' ? params.delay_ms : (params.delay_ms?.[ctx.host] ?? 0);
          if (delay > 0) await sleep(delay);
          if (onHost(params.unreachable, ctx.host)) throw new ConnectionError(ctx.host, 'host unreachable (simulated)');
          if (calls <= (params.fail_first ?? 0)) throw new ModuleError(`${name} failed on purpose (call ${calls})`, { probe: true, calls });
          if (onHost(params.fail, ctx.host)) throw new ModuleError(`${name} failed on purpose`, { probe: true });
          const result = { ...(params.result ?? {}), calls, ...(params.echo !== undefined ? { echo: params.echo } : {}) };
          const changes = onHost(params.change, ctx.host) ? [{ field: 'probe', before: 'old', after: 'new' }] : [];
          return { changes, result, summary: `${name} ${params.id ?? ''}`.trim(), diff: changes.length ? [{ label: 'probe', before: 'old\n', after: 'new\n' }] : undefined };
        } finally {
          end(call);
        }
      },
      async apply(ctx, params) {
        const call = begin(name, 'apply', ctx, params);
        try {
          if (onHost(params.apply_error, ctx.host)) throw new ModuleError(`${name} apply failed on purpose`);
          if (onHost(params.apply_fail, ctx.host)) return { failed: true, msg: `${name} apply failed`, result: { applied: true } };
          return { result: { applied: true } };
        } finally {
          end(call);
        }
      },
    });
  return [make('probe', false), make('opaque_probe', true)];
}

/** A YAML inventory of h1..hN, all reached over (fake) SSH. */
export function generatedInventory(n: number): string {
  const lines = ['all:', '  hosts:'];
  for (let i = 1; i <= n; i++) lines.push(`    h${i}: { ansible_connection: ssh }`);
  return `${lines.join('\n')}\n`;
}

function scratchDir(files: Record<string, string>): string {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'runbook-engine-'));
  for (const [rel, content] of Object.entries(files)) {
    const p = path.join(dir, rel);
    mkdirSync(path.dirname(p), { recursive: true });
    writeFileSync(p, content);
  }
  return dir;
}

/** Load `dir/playbook.yml` as the CLI would, quietly, with these modules. */
export function prepareFixture(
  dir: string,
  opts: PlayOptions,
  modules: ReadonlyMap<string, ModuleDefinition<any, any>>,
  signal: AbortSignal,
  abort: AbortSignal = signal,
): ReturnType<typeof prepare> {
  return prepare(path.join(dir, 'playbook.yml'), opts, { cwd: dir, out: () => {}, err: () => {}, isTTY: false, color: false, modules, signal, abort });
}

export async function runEngine(o: HarnessOptions): Promise<HarnessResult> {
  const dir = scratchDir({
    'playbook.yml': o.playbook,
    'inventory.yml': o.inventory ?? generatedInventory(o.hosts ?? 3),
    ...(o.files ?? {}),
  });
  const log: ProbeCall[] = [];
  const stats = { inFlight: 0, max: 0, tick: 0, seq: 0 };
  const modules = new Map<string, ModuleDefinition<any, any>>();
  for (const m of [...builtinModules, ...probeModules(log, stats, o.onCall), ...(o.modules ?? [])]) modules.set(m.name, m);

  const opts: PlayOptions = {
    inventory: path.join(dir, 'inventory.yml'),
    check: o.check,
    diff: o.diff,
    limit: o.limit,
    tags: o.tags,
    skipTags: o.skipTags,
    extraVars: o.extraVars ?? [],
    forks: o.forks ?? 50,
    output: 'json',
    detailedExitcode: o.detailedExitcode,
    verbose: o.verbose ? 1 : 0,
  };
  const signal = o.signal ?? new AbortController().signal;
  const abort = o.abort ?? new AbortController().signal;
  const { playbook, inventory, extraVars } = await prepareFixture(dir, opts, modules, signal, abort);

  const bus = new EventBus();
  const events: RunEvent[] = [];
  const json: string[] = [];
  bus.subscribe((e) => events.push(e));
  bus.subscribe(jsonReporter((s) => json.push(s)));

  const transports = new Map<string, HarnessTransport>();
  const transportRequests: TransportRequest[] = [];
  const unreachable = new Set(o.unreachable ?? []);
  const split = (s?: string) => (s ? s.split(',').map((x) => x.trim()).filter(Boolean) : []);
  const run: RunContext = {
    playbook,
    inventory,
    modules,
    check: !!o.check,
    diff: !!o.diff,
    verbose: !!o.verbose,
    forks: opts.forks,
    tags: split(o.tags),
    skipTags: split(o.skipTags),
    extraVars,
    hosts: new Map(),
    transportFor: (host: string, vars: Record<string, unknown>): Transport => {
      transportRequests.push({ host, vars: { ...vars } });
      let t = transports.get(host);
      if (!t) {
        t = new HarnessTransport(host, unreachable.has(host));
        o.script?.(host, t);
        transports.set(host, t);
      }
      return t;
    },
    bus,
    signal,
    abort,
  };
  const started = Date.now();
  bus.emit({ type: 'run:start', playbook: playbook.path, inventory: inventory.source, check: run.check, diff: run.diff, time: new Date(started).toISOString() });
  const result = await runPlaybook(run, o.limit);
  const counts: Record<string, HostCounts> = {};
  for (const [name, h] of result.hosts) counts[name] = h.counts;
  const exit = exitCode(counts, result.interrupted, !!o.detailedExitcode);
  bus.emit({ type: 'run:end', hosts: counts, exit, durationMs: Date.now() - started, interrupted: result.interrupted });
  return { events, counts, exit, log, maxInFlight: stats.max, json, transportRequests, transports, hosts: result.hosts, run: result, dir };
}

// ---- reading results ---------------------------------------------------------------------

export function eventsOf<T extends RunEvent['type']>(r: { events: RunEvent[] }, type: T): RunEventOf<T>[] {
  return r.events.filter((e): e is RunEventOf<T> => e.type === type);
}

/** task:done events, optionally of one task (by name) and/or host. */
export function done(r: { events: RunEvent[] }, task?: string, host?: string): RunEventOf<'task:done'>[] {
  return eventsOf(r, 'task:done').filter((e) => (task === undefined || e.task.name === task) && (host === undefined || e.host === host));
}

/** The one outcome of a task on a host (throws when it ran zero or several times). */
export function outcome(r: { events: RunEvent[] }, task: string, host: string): TaskOutcome {
  const d = done(r, task, host);
  if (d.length !== 1) throw new Error(`task "${task}" on ${host}: expected one task:done, found ${d.length}`);
  return d[0].outcome;
}

/** Status of a task on each host it ran on: { h1: 'ok', … }. */
export function statuses(r: { events: RunEvent[] }, task: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const e of done(r, task)) out[e.host] = e.outcome.status;
  return out;
}

/** Hosts a task ran on (task:done), in completion order. */
export function ranOn(r: { events: RunEvent[] }, task: string): string[] {
  return done(r, task).map((e) => e.host);
}

/** Probe calls of one id (and phase, default plan). */
export function calls(r: { log: ProbeCall[] }, id: string, phase: 'plan' | 'apply' = 'plan'): ProbeCall[] {
  return r.log.filter((c) => c.id === id && c.phase === phase);
}

/** Hosts a probe id was planned on, sorted. */
export function plannedOn(r: { log: ProbeCall[] }, id: string): string[] {
  return calls(r, id).map((c) => c.inventoryHostname).sort();
}

/** Hosts a probe id was applied on, sorted. */
export function appliedOn(r: { log: ProbeCall[] }, id: string): string[] {
  return calls(r, id, 'apply').map((c) => c.inventoryHostname).sort();
}

/** A value a host registered. */
export function registered(r: { hosts: Map<string, HostState> }, host: string, name: string): unknown {
  return r.hosts.get(host)?.registered[name];
}
