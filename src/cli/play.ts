import { statSync } from 'node:fs';
import path from 'node:path';
import { ConfigErrors, RunbookError } from '../core/errors.js';
import type { ModuleDefinition } from '../core/module.js';
import { EXIT } from '../core/types.js';
import { SECTIONS, sectionTasks } from '../executor/select.js';
import type { Inventory } from '../inventory/types.js';
import type { Playbook } from '../playbook/types.js';
import { prepare } from '../engine/prepare.js';
import { exitCode, runPass, shownPath, writeJson } from '../engine/pass.js';
import { withSession, type SessionOptions } from '../engine/session.js';
import { hostSummary } from '../journal/journal.js';
import { playHosts } from '../rollout/run.js';

export { prepare, exitCode };

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
  lockWait?: number;
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
  /** The arguments runbook was started with (recorded in the journal and lock file). */
  argv?: string[];
}

/**
 * A --report path must be writable as a file: its folder exists and it is not itself a folder.
 * Checked before any host is touched, so a bad path fails the run (exit 1) instead of its end.
 */
export function checkReportPath(report: string, cwd: string): void {
  const full = path.resolve(cwd, report);
  const kind = (p: string) => {
    try {
      return statSync(p).isDirectory() ? 'dir' : 'file';
    } catch {
      return 'missing';
    }
  };
  if (kind(full) === 'dir') throw new RunbookError(`--report ${report}: is a folder, not a file`);
  if (kind(path.dirname(full)) !== 'dir') throw new RunbookError(`--report ${report}: folder ${path.dirname(full)} does not exist`);
}

export const splitList = (s?: string) => (s ? s.split(',').map((x) => x.trim()).filter(Boolean) : []);

/**
 * What play and drift do before any host: `--syntax-check` and the listings answer and stop
 * (an exit code); otherwise undefined, and the run goes on.
 */
export function answeredBeforeRun(playbook: Playbook, inventory: Inventory, opts: PlayOptions, io: CliIO): number | undefined {
  if (opts.syntaxCheck) {
    io.out(`playbook: ${shownPath(io.cwd, playbook.path)}: syntax OK`);
    return EXIT.OK;
  }
  if (opts.listHosts || opts.listTasks) {
    listPlaybook(playbook, inventory, opts, { tags: splitList(opts.tags), skipTags: splitList(opts.skipTags) }, io);
    return EXIT.OK;
  }
  return undefined;
}

/** The lock and journal session of a play or drift run. */
export function sessionOptions(kind: SessionOptions['kind'], playbook: Playbook, inventory: Inventory, opts: Pick<PlayOptions, 'lockWait'>, io: CliIO): SessionOptions {
  return {
    cwd: io.cwd,
    kind,
    command: commandLineOf(io),
    playbook: shownPath(io.cwd, playbook.path),
    inventorySource: inventory.source,
    lockWait: opts.lockWait ?? 0,
    say: io.err,
  };
}

export async function playCommand(playbookArg: string, opts: PlayOptions, io: CliIO): Promise<number> {
  const { playbook, inventory, extraVars } = await prepare(playbookArg, opts, io);
  const answered = answeredBeforeRun(playbook, inventory, opts, io);
  if (answered !== undefined) return answered;
  if (opts.report) checkReportPath(opts.report, io.cwd);
  const check = !!opts.check;
  return withSession(
    sessionOptions('play', playbook, inventory, opts, io),
    async ({ runId, journal }) => {
      const pass = await runPass(
        {
          playbook,
          inventory,
          extraVars,
          check,
          diff: !!opts.diff,
          verbose: opts.verbose > 0,
          forks: opts.forks,
          tags: splitList(opts.tags),
          skipTags: splitList(opts.skipTags),
          limit: opts.limit,
          output: opts.output,
          detailedExitcode: !!opts.detailedExitcode,
          runId,
        },
        io,
      );
      // play's changes are intentional; a check run's are what would drift.
      journal.recordPass(runId, check ? 'check' : 'apply', pass.report, () => (check ? 'drift' : 'intentional'));
      if (opts.report) await writeJson(path.resolve(io.cwd, opts.report), { run_id: runId, ...pass.report });
      const changedPairs = Object.entries(pass.report.hosts).flatMap(([host, h]) =>
        h.tasks.filter((t) => t.status === 'changed').map((t) => ({ host, task: t.name })),
      );
      return {
        exit: pass.exit,
        summary: { hosts: hostSummary(pass.report), changed: changedPairs.length, drifted: check ? changedPairs : [], corrected: [], not_converging: [] },
      };
    },
  );
}

/** The command as typed, for the journal and the lock file. */
export function commandLineOf(io: CliIO): string {
  return ['runbook', ...(io.argv ?? [])].join(' ');
}

export function listPlaybook(
  playbook: Playbook,
  inventory: Inventory,
  opts: Pick<PlayOptions, 'listHosts' | 'listTasks' | 'limit'>,
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
