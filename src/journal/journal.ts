import { mkdirSync } from 'node:fs';
import { maskSecrets } from '../vault/secrets.js';
import os from 'node:os';
import path from 'node:path';
import { createRequire } from 'node:module';
import type Database from 'better-sqlite3';
import type { FileDiff } from '../core/module.js';
import type { TaskStatus } from '../core/types.js';
import type { RunReport } from '../report/report-file.js';

/** What a change in the journal was: made by `play`, made by `drift --fix`, or only found by a check. */
export type ChangeKind = 'intentional' | 'corrective' | 'drift';

/** A pass of a run: `play` has one (apply or check); `drift` has check, then fix and recheck. */
export type PassName = 'apply' | 'check' | 'fix' | 'recheck';

export interface RunRecord {
  id: string;
  kind: 'play' | 'drift';
  command: string;
  user: string;
  cwd: string;
  playbook: string;
  inventory: string;
  started: string;
  ended?: string;
  exit?: number;
  /** Hosts → counts of the last pass, plus drift lists. */
  summary?: RunSummary;
}

export interface RunSummary {
  hosts: Record<string, { status: TaskStatus; changed: number; failed: number; unreachable: number }>;
  changed: number;
  drifted: Array<{ host: string; task: string }>;
  corrected: Array<{ host: string; task: string }>;
  not_converging: Array<{ host: string; task: string }>;
}

export interface TaskRecord {
  pass: PassName;
  host: string;
  seq: number;
  task: string;
  module: string;
  status: TaskStatus;
  change_kind: ChangeKind | null;
  changes?: string[];
  diff?: FileDiff[];
  msg?: string;
}

const SCHEMA = `
CREATE TABLE IF NOT EXISTS runs (
  id TEXT PRIMARY KEY,
  kind TEXT NOT NULL,
  command TEXT NOT NULL,
  user TEXT NOT NULL,
  cwd TEXT NOT NULL,
  playbook TEXT NOT NULL,
  inventory TEXT NOT NULL,
  started TEXT NOT NULL,
  ended TEXT,
  exit INTEGER,
  summary TEXT
);
CREATE INDEX IF NOT EXISTS runs_started ON runs(started);
CREATE TABLE IF NOT EXISTS tasks (
  run_id TEXT NOT NULL REFERENCES runs(id) ON DELETE CASCADE,
  pass TEXT NOT NULL,
  host TEXT NOT NULL,
  seq INTEGER NOT NULL,
  task TEXT NOT NULL,
  module TEXT NOT NULL,
  status TEXT NOT NULL,
  change_kind TEXT,
  changes TEXT,
  diff TEXT,
  msg TEXT
);
CREATE INDEX IF NOT EXISTS tasks_run ON tasks(run_id);
`;

/** A new run id: sortable by time, short enough to type. */
export function newRunId(now = new Date()): string {
  const t = now.toISOString().replace(/[-:]/g, '').replace('T', '-').slice(0, 15);
  return `${t}-${Math.random().toString(16).slice(2, 6).padEnd(4, '0')}`;
}

/** Who ran it: the login name, and who they were before sudo. */
export function currentUser(env: NodeJS.ProcessEnv = process.env): string {
  let name: string;
  try {
    name = os.userInfo().username;
  } catch {
    name = env.USER ?? String(process.getuid?.() ?? 'unknown');
  }
  return env.SUDO_USER && env.SUDO_USER !== name ? `${name} (sudo from ${env.SUDO_USER})` : name;
}

/**
 * The run journal: an SQLite file (`journal.db`) under the runbook home. Task outcomes arrive
 * already censored by the executor (no_log), every vault or no_log value is masked, and the journal stores no result fields besides
 * a task's status, change list, diff and message — never its variables or output.
 */
export class Journal {
  private constructor(private readonly db: Database.Database, readonly file: string) {}

  static open(home: string): Journal {
    mkdirSync(home, { recursive: true });
    const file = path.join(home, 'journal.db');
    // Loaded here, not at start-up: commands that keep no journal do not pay for it.
    const Sqlite = createRequire(import.meta.url)('better-sqlite3') as typeof Database;
    const db = new Sqlite(file, { timeout: 10_000 });
    db.pragma('journal_mode = WAL');
    db.pragma('foreign_keys = ON');
    db.exec(SCHEMA);
    return new Journal(db, file);
  }

  close(): void {
    this.db.close();
  }

  begin(r: RunRecord): void {
    this.db
      .prepare('INSERT INTO runs (id, kind, command, user, cwd, playbook, inventory, started) VALUES (?, ?, ?, ?, ?, ?, ?, ?)')
      .run(r.id, r.kind, maskSecrets(r.command), r.user, r.cwd, r.playbook, r.inventory, r.started);
  }

  /** Record one pass's tasks from its report; `kindOf` says what a changed task was. */
  recordPass(runId: string, pass: PassName, report: RunReport, kindOf: (host: string, task: string) => ChangeKind): void {
    const ins = this.db.prepare(
      'INSERT INTO tasks (run_id, pass, host, seq, task, module, status, change_kind, changes, diff, msg) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)',
    );
    const tx = this.db.transaction(() => {
      for (const [host, h] of Object.entries(report.hosts)) {
        h.tasks.forEach((t, seq) => {
          ins.run(
            runId,
            pass,
            host,
            seq,
            maskSecrets(t.name),
            t.module,
            t.status,
            t.status === 'changed' ? kindOf(host, t.name) : null,
            t.changes ? maskSecrets(JSON.stringify(t.changes)) : null,
            t.diff ? maskSecrets(JSON.stringify(t.diff)) : null,
            t.msg == null ? null : maskSecrets(t.msg),
          );
        });
      }
    });
    tx();
  }

  finish(runId: string, exit: number, summary: RunSummary): void {
    this.db.prepare('UPDATE runs SET ended = ?, exit = ?, summary = ? WHERE id = ?').run(new Date().toISOString(), exit, maskSecrets(JSON.stringify(summary)), runId);
  }

  /** The newest `last` runs, newest first. */
  list(last: number): RunRecord[] {
    const rows = this.db.prepare('SELECT * FROM runs ORDER BY started DESC, rowid DESC LIMIT ?').all(last) as any[];
    return rows.map(toRun);
  }

  /** A run by id, or by a unique prefix of its id. */
  get(id: string): { run: RunRecord; tasks: TaskRecord[] } | undefined {
    const rows = this.db.prepare("SELECT * FROM runs WHERE id = ? OR id LIKE ? || '%' ORDER BY started DESC LIMIT 2").all(id, id) as any[];
    const exact = rows.find((r) => r.id === id);
    const row = exact ?? (rows.length === 1 ? rows[0] : undefined);
    if (!row) return undefined;
    const tasks = (this.db.prepare('SELECT * FROM tasks WHERE run_id = ? ORDER BY rowid').all(row.id) as any[]).map((t) => ({
      pass: t.pass,
      host: t.host,
      seq: t.seq,
      task: t.task,
      module: t.module,
      status: t.status,
      change_kind: t.change_kind,
      ...(t.changes ? { changes: JSON.parse(t.changes) } : {}),
      ...(t.diff ? { diff: JSON.parse(t.diff) } : {}),
      ...(t.msg ? { msg: t.msg } : {}),
    }));
    return { run: toRun(row), tasks };
  }
}

function toRun(r: any): RunRecord {
  return {
    id: r.id,
    kind: r.kind,
    command: r.command,
    user: r.user,
    cwd: r.cwd,
    playbook: r.playbook,
    inventory: r.inventory,
    started: r.started,
    ...(r.ended ? { ended: r.ended } : {}),
    ...(r.exit !== null && r.exit !== undefined ? { exit: r.exit } : {}),
    ...(r.summary ? { summary: JSON.parse(r.summary) } : {}),
  };
}

/** Summarise a pass report: per-host counts and status. */
export function hostSummary(report: RunReport): RunSummary['hosts'] {
  const out: RunSummary['hosts'] = {};
  for (const [h, r] of Object.entries(report.hosts)) {
    out[h] = {
      status: r.status,
      changed: r.tasks.filter((t) => t.status === 'changed').length,
      failed: r.tasks.filter((t) => t.status === 'failed').length,
      unreachable: r.tasks.filter((t) => t.status === 'unreachable').length,
    };
  }
  return out;
}
