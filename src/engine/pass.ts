import { rename, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { maskSecrets } from '../vault/secrets.js';
import { formatPos } from '../core/errors.js';
import type { ModuleDefinition } from '../core/module.js';
import { EXIT, EventBus, type HostCounts, type Subscriber } from '../core/types.js';
import type { RunContext } from '../executor/context.js';
import type { Inventory } from '../inventory/types.js';
import type { Playbook } from '../playbook/types.js';
import type { LiveReporter } from '../report/live.js';
import { plainReporter } from '../report/plain.js';
import { recapTable } from '../report/recap.js';
import { ReportCollector, type RunReport } from '../report/report-file.js';
import { makeStyle } from '../report/style.js';
import { jsonReporter } from '../report/json.js';
import { runPlaybook } from '../rollout/run.js';
import { connectionSpecFromVars } from '../transport/connection-spec.js';
import { TransportPool } from '../transport/index.js';
import { DockerClients } from '../executor/docker.js';
import { discardUndoLog } from '../executor/task.js';

export interface PassIO {
  cwd: string;
  out: (s: string) => void;
  isTTY: boolean;
  color: boolean;
  modules: ReadonlyMap<string, ModuleDefinition<any, any>>;
  signal: AbortSignal;
  abort: AbortSignal;
}

/** One pass of a playbook over its hosts: what `play` runs once and `drift` up to three times. */
export interface PassOptions {
  playbook: Playbook;
  inventory: Inventory;
  extraVars: Record<string, unknown>;
  check: boolean;
  diff: boolean;
  /** Print diffs in the text output (default: as diff); drift prints them once, in its summary. */
  showDiff?: boolean;
  verbose: boolean;
  forks: number;
  tags: string[];
  skipTags: string[];
  limit?: string;
  output: 'text' | 'json';
  detailedExitcode: boolean;
  /** Stamped on every JSON event so a log of several runs can be told apart. */
  runId: string;
  /** Extra subscribers (the run journal). */
  subscribers?: Subscriber[];
}

export interface PassResult {
  exit: number;
  counts: Record<string, HostCounts>;
  report: RunReport;
  interrupted: boolean;
}

/** Build the bus, reporters, transport pool and run context; run the playbook; print the recap. */
export async function runPass(o: PassOptions, io: PassIO): Promise<PassResult> {
  const { playbook, inventory } = o;
  const bus = new EventBus();
  const style = makeStyle(io.color && o.output === 'text');
  const textOpts = { diff: o.showDiff ?? o.diff, verbose: o.verbose, check: o.check };
  let live: LiveReporter | undefined;
  if (o.output === 'json') {
    const stamp = `,"run_id":${JSON.stringify(o.runId)}}`;
    bus.subscribe(jsonReporter((line) => io.out(line.endsWith('}') ? line.slice(0, -1) + stamp : line)));
  } else if (io.isTTY) {
    // listr2 is loaded only when the live view is shown (a terminal), not for plain or JSON output.
    const { LiveReporter } = await import('../report/live.js');
    live = new LiveReporter(io.out, textOpts, style);
    bus.subscribe(live.subscriber);
  } else bus.subscribe(plainReporter(io.out, textOpts, style));
  const collector = new ReportCollector();
  bus.subscribe(collector.subscriber);
  for (const s of o.subscribers ?? []) bus.subscribe(s);

  const pool = new TransportPool();
  const run: RunContext = {
    playbook,
    inventory,
    modules: io.modules,
    check: o.check,
    diff: o.diff,
    verbose: o.verbose,
    forks: o.forks,
    tags: o.tags,
    skipTags: o.skipTags,
    extraVars: o.extraVars,
    hosts: new Map(),
    transportFor: (host, vars) => pool.get(connectionSpecFromVars(host, vars)),
    docker: new DockerClients(),
    bus,
    signal: io.signal,
    abort: io.abort,
  };
  const started = Date.now();
  bus.emit({
    type: 'run:start',
    playbook: shownPath(io.cwd, playbook.path),
    inventory: inventory.source,
    check: run.check,
    diff: run.diff,
    time: new Date(started).toISOString(),
  });
  for (const w of [...(inventory.warnings ?? []), ...(playbook.warnings ?? [])]) bus.emit({ type: 'warning', msg: w.pos ? `${formatPos(w.pos)}: ${w.msg}` : w.msg });
  let result: Awaited<ReturnType<typeof runPlaybook>> | undefined;
  let internal: string | undefined;
  try {
    result = await runPlaybook(run, o.limit);
  } catch (e) {
    // A fault of runbook itself, after hosts may have changed: not "nothing ran" (exit 1).
    // The run stops; what it did is still recapped, reported and journaled, and it exits as failed.
    internal = `runbook stopped on an internal error: ${(e as Error)?.message ?? String(e)}`;
    if (o.verbose && (e as Error)?.stack) internal += `\n${(e as Error).stack}`;
  } finally {
    for (const h of run.hosts.values()) if (h.undoLog.length > 0) await discardUndoLog(run, h);
    await run.docker?.closeAll().catch(() => undefined);
    await pool.closeAll().catch(() => undefined);
  }
  const interrupted = result?.interrupted ?? false;
  const counts: Record<string, HostCounts> = {};
  for (const [name, h] of result?.hosts ?? run.hosts) counts[name] = h.counts;
  let exit = exitCode(counts, interrupted, o.detailedExitcode);
  if (internal !== undefined) {
    exit = interrupted ? exit : exit | EXIT.FAILED;
    collector.report.error = internal;
    // The subscriber that threw may throw again: the recap below is printed regardless.
    const emit = (e: Parameters<EventBus['emit']>[0]) => {
      try {
        bus.emit(e);
      } catch {
        /* already failing */
      }
    };
    if (o.output !== 'text') emit({ type: 'warning', msg: internal }); // text prints it under the recap
    emit({ type: 'run:end', hosts: counts, exit, durationMs: Date.now() - started, interrupted });
  } else {
    bus.emit({ type: 'run:end', hosts: counts, exit, durationMs: Date.now() - started, interrupted });
  }
  collector.report.exit = exit;
  if (live) await live.flush().catch(() => undefined);
  if (o.output === 'text') {
    io.out('');
    io.out(recapTable(counts, style, collector.report.rollout));
    if (interrupted) io.out(style.yellow('interrupted: in-flight tasks finished, nothing further was started'));
    if (internal !== undefined) io.out(style.red(`${internal}\nThe changes above stay on the hosts; rerun to converge them.`));
  }
  return { exit, counts, report: collector.report, interrupted };
}

export function exitCode(counts: Record<string, HostCounts>, interrupted: boolean, detailed: boolean): number {
  if (interrupted) return EXIT.INTERRUPTED;
  let code = 0;
  const all = Object.values(counts);
  if (detailed && all.some((c) => c.changed > 0)) code |= EXIT.CHANGED;
  if (all.some((c) => c.failed > 0)) code |= EXIT.FAILED;
  if (all.some((c) => c.unreachable > 0)) code |= EXIT.UNREACHABLE;
  return code;
}

/** A path as the user would type it: relative when under cwd, else absolute. */
export function shownPath(cwd: string, p: string): string {
  const rel = path.relative(cwd, p);
  return rel && !rel.startsWith('..') ? rel : p;
}

/** Write a report object atomically. */
export async function writeJson(file: string, value: unknown): Promise<void> {
  const tmp = path.join(path.dirname(file), `.${path.basename(file)}.${process.pid}.tmp`);
  await writeFile(tmp, maskSecrets(JSON.stringify(value, null, 2)) + '\n');
  await rename(tmp, file);
}
