import { createRequire } from 'node:module';
import { execFile, spawn } from 'node:child_process';
import { appendFileSync, mkdirSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { ConfigError, RunbookError } from '../core/errors.js';
import { runbookHome } from '../journal/home.js';
import { quoteArgv } from '../transport/quote.js';
import type { CliIO } from './play.js';

/** The bin script this runbook was started from; crontab lines run the same one. */
const BIN = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../../bin/runbook.js');

const NAME = /^[A-Za-z0-9._-]+$/;
const MACROS = new Set(['@hourly', '@daily', '@midnight', '@weekly', '@monthly', '@yearly', '@annually']);
export const MARK = '# runbook:';

export interface CronEntry {
  name: string;
  schedule: string;
  command: string;
  line: string;
}

/** Check a crontab schedule (five fields or a macro); returns the next time it fires. */
export async function validateSchedule(schedule: string, now = new Date()): Promise<Date> {
  const { CronExpressionParser } = createRequire(import.meta.url)('cron-parser') as typeof import('cron-parser');
  const s = schedule.trim();
  if (MACROS.has(s)) return CronExpressionParser.parse(s, { currentDate: now }).next().toDate();
  const fields = s.split(/\s+/);
  if (fields.length !== 5) {
    throw new ConfigError(`--schedule: expected five cron fields (minute hour day-of-month month day-of-week) or one of ${[...MACROS].join(', ')}, found ${fields.length} field(s) in '${schedule}'`);
  }
  try {
    return CronExpressionParser.parse(s, { currentDate: now }).next().toDate();
  } catch (e) {
    throw new ConfigError(`--schedule: '${schedule}' is not a valid cron schedule: ${(e as Error).message}`);
  }
}

export function validateName(name: string): void {
  if (!NAME.test(name)) throw new ConfigError(`cron entry name '${name}': expected letters, digits, '.', '_' or '-'`);
}

export function cronLogPath(home: string, name: string): string {
  return path.join(home, 'cron', `${name}.log`);
}

/**
 * The one crontab line of an entry: cd to the project, run `runbook cron run NAME` (which
 * sleeps the splay, then runs ARGS) with output appended to the entry's log, marked by name.
 * `%` is cron's newline, so it is escaped.
 */
export function cronLine(o: { name: string; schedule: string; splay: number; args: string[]; cwd: string; home: string; node: string; bin: string }): string {
  for (const a of [o.cwd, o.home, ...o.args]) {
    if (/[\n\r]/.test(a)) throw new ConfigError(`cron entry '${o.name}': a crontab line cannot hold a newline, found one in ${JSON.stringify(a)}`);
  }
  const log = cronLogPath(o.home, o.name);
  const argv = [o.node, o.bin, 'cron', 'run', o.name, ...(o.splay > 0 ? ['--splay', String(o.splay)] : []), '--', ...o.args];
  const cmd = `cd ${quoteArgv([o.cwd])} && RUNBOOK_HOME=${quoteArgv([o.home])} ${quoteArgv(argv)} >> ${quoteArgv([log])} 2>&1`;
  return `${o.schedule.trim()} ${cmd.replace(/%/g, '\\%')} ${MARK}${o.name}`;
}

/** runbook's entries among crontab lines. */
export function parseEntries(crontab: string): CronEntry[] {
  const out: CronEntry[] = [];
  for (const line of crontab.split('\n')) {
    const m = /\s# runbook:([A-Za-z0-9._-]+)$/.exec(line);
    if (!m || line.trimStart().startsWith('#')) continue;
    const body = line.slice(0, m.index).trim();
    const fields = body.split(/\s+/);
    const n = fields[0]?.startsWith('@') ? 1 : 5;
    out.push({ name: m[1]!, schedule: fields.slice(0, n).join(' '), command: fields.slice(n).join(' '), line });
  }
  return out;
}

/** The crontab with the named entry replaced by `line` (or removed when undefined); other lines untouched. */
export function replaceEntry(crontab: string, name: string, line: string | undefined): string {
  const lines = crontab.split('\n');
  if (lines.at(-1) === '') lines.pop();
  const kept = lines.filter((l) => !(l.endsWith(` ${MARK}${name}`) && !l.trimStart().startsWith('#')));
  if (line) kept.push(line);
  return kept.length ? `${kept.join('\n')}\n` : '';
}

function readCrontab(): Promise<string> {
  return new Promise((resolve, reject) => {
    execFile('crontab', ['-l'], (err, stdout, stderr) => {
      if (!err) return resolve(stdout);
      if (/no crontab for/i.test(stderr)) return resolve('');
      const code = (err as NodeJS.ErrnoException).code;
      if (code === 'ENOENT') return reject(new RunbookError("cron: 'crontab' is not installed (Debian: apt-get install cron)"));
      reject(new RunbookError(`cron: crontab -l exited with ${code}: ${stderr.trim()}`));
    });
  });
}

function writeCrontab(text: string): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawn('crontab', ['-'], { stdio: ['pipe', 'ignore', 'pipe'] });
    let stderr = '';
    child.stderr.on('data', (d) => (stderr += d));
    child.on('error', (e) => reject(new RunbookError(`cron: cannot run crontab -: ${e.message}`)));
    child.on('close', (code) => (code === 0 ? resolve() : reject(new RunbookError(`cron: crontab - exited with ${code}: ${stderr.trim()}`))));
    child.stdin.end(text);
  });
}

export async function cronInstall(name: string, args: string[], opts: { schedule: string; splay: number }, io: CliIO): Promise<number> {
  validateName(name);
  const next = await validateSchedule(opts.schedule);
  if (!args.length) throw new ConfigError('cron install: give the runbook arguments after --, e.g. -- drift site.yml -i prod --fix');
  const home = runbookHome(io.cwd);
  mkdirSync(path.dirname(cronLogPath(home, name)), { recursive: true });
  const line = cronLine({ name, schedule: opts.schedule, splay: opts.splay, args, cwd: io.cwd, home, node: process.execPath, bin: BIN });
  const before = await readCrontab();
  const replaced = parseEntries(before).some((e) => e.name === name);
  await writeCrontab(replaceEntry(before, name, line));
  io.out(`cron: ${replaced ? 'replaced' : 'installed'} '${name}' (${opts.schedule.trim()}, next ${next.toISOString()}); log: ${cronLogPath(home, name)}`);
  return 0;
}

export async function cronList(opts: { json?: boolean }, io: CliIO): Promise<number> {
  const entries = parseEntries(await readCrontab());
  if (opts.json) io.out(JSON.stringify(entries, null, 2));
  else if (!entries.length) io.out('cron: no runbook entries in the crontab');
  else for (const e of entries) io.out(`${e.name}\t${e.schedule}\t${e.command}`);
  return 0;
}

export async function cronRemove(name: string, io: CliIO): Promise<number> {
  validateName(name);
  const before = await readCrontab();
  if (!parseEntries(before).some((e) => e.name === name)) {
    throw new ConfigError(`cron remove: no runbook entry named '${name}' in the crontab (see runbook cron list)`);
  }
  await writeCrontab(replaceEntry(before, name, undefined));
  io.out(`cron: removed '${name}'`);
  return 0;
}

/** What the crontab line runs: the splay, then runbook ARGS, framed by start and end lines in the log. */
export async function cronRun(
  name: string,
  args: string[],
  opts: { splay: number },
  io: CliIO,
  run: (argv: string[], io: Partial<CliIO>) => Promise<number>,
): Promise<number> {
  const log = cronLogPath(runbookHome(io.cwd), name);
  mkdirSync(path.dirname(log), { recursive: true });
  const write = (s: string) => appendFileSync(log, `${s}\n`);
  if (opts.splay > 0) await new Promise((r) => setTimeout(r, Math.random() * opts.splay * 1000));
  write(`== ${new Date().toISOString()} cron ${name} start (pid ${process.pid}): runbook ${args.join(' ')}`);
  let code = 1;
  try {
    code = await run(args, { out: write, err: write, isTTY: false, color: false, signal: io.signal, abort: io.abort, cwd: io.cwd });
  } finally {
    write(`== ${new Date().toISOString()} cron ${name} end: exit ${code}`);
  }
  return code;
}
