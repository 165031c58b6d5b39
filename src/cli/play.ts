import path from 'node:path';
import { ConfigError, ConfigErrors, RunbookError, formatPos } from '../core/errors.js';
import type { ModuleDefinition } from '../core/module.js';
import { EXIT, EventBus, type HostCounts } from '../core/types.js';
import type { RunContext } from '../executor/context.js';
import { checkUndefinedNames } from '../executor/preflight.js';
import { SECTIONS, sectionTasks } from '../executor/select.js';
import { loadInventory } from '../inventory/load.js';
import type { Inventory } from '../inventory/types.js';
import { loadPlaybook } from '../playbook/load.js';
import type { Playbook } from '../playbook/types.js';
import { parseExtraVars } from '../playbook/vars-file.js';
import { jsonReporter } from '../report/json.js';
import { LiveReporter } from '../report/live.js';
import { plainReporter } from '../report/plain.js';
import { recapTable } from '../report/recap.js';
import { ReportCollector } from '../report/report-file.js';
import { makeStyle } from '../report/style.js';
import { playHosts, runPlaybook } from '../rollout/run.js';
import { connectionSpecFromVars } from '../transport/connection-spec.js';
import { TransportPool } from '../transport/index.js';
import { resolvePlaybookPath } from './resolve.js';

export interface PlayOptions {
  inventory: string;
  check?: boolean;
  diff?: boolean;
  limit?: string;
  tags?: string;
  skipTags?: string;
  extraVars: string[];
  forks: number;
  output: 'text' | 'json';
  report?: string;
  listHosts?: boolean;
  listTasks?: boolean;
  syntaxCheck?: boolean;
  detailedExitcode?: boolean;
  verbose: number;
}

export interface CliIO {
  cwd: string;
  out: (s: string) => void;
  err: (s: string) => void;
  isTTY: boolean;
  color: boolean;
  modules: ReadonlyMap<string, ModuleDefinition<any, any>>;
  /** Aborted on the first SIGINT/SIGTERM: start nothing new. */
  signal: AbortSignal;
  /** Aborted on the second: abort what is in flight. */
  abort: AbortSignal;
}

const splitList = (s?: string) => (s ? s.split(',').map((x) => x.trim()).filter(Boolean) : []);

/** Everything that can be checked without a host: inventory, playbook, -e, names. */
export async function prepare(playbookArg: string, opts: PlayOptions, io: CliIO) {
  const playbookPath = resolvePlaybookPath(playbookArg, io.cwd);
  const [inventory, playbook] = await Promise.all([
    loadInventory(opts.inventory, { cwd: io.cwd }),
    loadPlaybook(playbookPath, { knownModules: io.modules }),
  ]);
  const extraVars: Record<string, unknown> = {};
  for (const e of opts.extraVars) Object.assign(extraVars, await parseExtraVars(e, io.cwd));
  if (opts.limit && inventory.select(opts.limit).length === 0) {
    throw new ConfigError(`--limit '${opts.limit}' matches no host in ${inventory.source}`);
  }
  await checkUndefinedNames(playbook, inventory, extraVars);
  return { playbook, inventory, extraVars };
}

export async function playCommand(playbookArg: string, opts: PlayOptions, io: CliIO): Promise<number> {
  const { playbook, inventory, extraVars } = await prepare(playbookArg, opts, io);
  const filter = { tags: splitList(opts.tags), skipTags: splitList(opts.skipTags) };
  if (opts.syntaxCheck) {
    io.out(`playbook: ${shownPath(io.cwd, playbook.path)}: syntax OK`);
    return EXIT.OK;
  }
  if (opts.listHosts || opts.listTasks) {
    listPlaybook(playbook, inventory, opts, filter, io);
    return EXIT.OK;
  }

  const bus = new EventBus();
  const style = makeStyle(io.color && opts.output === 'text');
  const textOpts = { diff: !!opts.diff, verbose: opts.verbose > 0, check: !!opts.check };
  let live: LiveReporter | undefined;
  if (opts.output === 'json') bus.subscribe(jsonReporter(io.out));
  else if (io.isTTY) {
    live = new LiveReporter(io.out, textOpts, style);
    bus.subscribe(live.subscriber);
  } else bus.subscribe(plainReporter(io.out, textOpts, style));
  const collector = new ReportCollector();
  bus.subscribe(collector.subscriber);

  const pool = new TransportPool();
  const run: RunContext = {
    playbook,
    inventory,
    modules: io.modules,
    check: !!opts.check,
    diff: !!opts.diff,
    verbose: opts.verbose > 0,
    forks: opts.forks,
    tags: filter.tags,
    skipTags: filter.skipTags,
    extraVars,
    hosts: new Map(),
    transportFor: (host, vars) => pool.get(connectionSpecFromVars(host, vars)),
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
  for (const w of playbook.warnings ?? []) bus.emit({ type: 'warning', msg: w.pos ? `${formatPos(w.pos)}: ${w.msg}` : w.msg });
  let result;
  try {
    result = await runPlaybook(run, opts.limit);
  } finally {
    await pool.closeAll().catch(() => undefined);
  }
  const counts: Record<string, HostCounts> = {};
  for (const [name, h] of result.hosts) counts[name] = h.counts;
  const exit = exitCode(counts, result.interrupted, !!opts.detailedExitcode);
  bus.emit({ type: 'run:end', hosts: counts, exit, durationMs: Date.now() - started, interrupted: result.interrupted });
  if (live) await live.flush();
  if (opts.output === 'text') {
    io.out('');
    io.out(recapTable(counts, style));
    if (result.interrupted) io.out(style.yellow('interrupted: in-flight tasks finished, nothing further was started'));
  }
  if (opts.report) await collector.write(path.resolve(io.cwd, opts.report));
  return exit;
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

function listPlaybook(
  playbook: Playbook,
  inventory: Inventory,
  opts: PlayOptions,
  filter: { tags: string[]; skipTags: string[] },
  io: CliIO,
): void {
  io.out(`playbook: ${shownPath(io.cwd, playbook.path)}`);
  for (const [i, play] of playbook.plays.entries()) {
    io.out(`\n  play #${i + 1} (${play.hosts}): ${play.name}${play.tags.length ? `\tTAGS: [${play.tags.join(', ')}]` : ''}`);
    if (opts.listHosts) {
      const hosts = playHosts({ inventory }, play, opts.limit);
      io.out(`    pattern: ${play.hosts}`);
      io.out(`    hosts (${hosts.length}):`);
      for (const h of hosts) io.out(`      ${h}`);
    }
    if (opts.listTasks) {
      io.out('    tasks:');
      for (const s of SECTIONS) {
        for (const { task: t } of sectionTasks(play, i, s, filter)) {
          const tags = [...new Set([...play.tags, ...t.tags])];
          io.out(`      ${t.name}${tags.length ? `\tTAGS: [${tags.join(', ')}]` : ''}`);
        }
      }
    }
  }
}

/** How a user error is printed: the message (every error of a ConfigErrors), no stack unless -v. */
export function describeError(e: unknown, verbose: boolean): string {
  if (e instanceof ConfigErrors) return e.errors.map((x) => `error: ${x.message}`).join('\n');
  if (e instanceof RunbookError) return `error: ${e.message}${verbose && e.stack ? `\n${e.stack}` : ''}`;
  const err = e as Error;
  return `error: ${err?.message ?? String(e)}${verbose && err?.stack ? `\n${err.stack}` : ''}`;
}

/** A path as the user would type it: relative when under cwd, else absolute. */
function shownPath(cwd: string, p: string): string {
  const rel = path.relative(cwd, p);
  return rel && !rel.startsWith('..') ? rel : p;
}
