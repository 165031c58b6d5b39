import { execFile } from 'node:child_process';
import { mkdtempSync, writeFileSync, mkdirSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';

export const REPO = path.resolve(import.meta.dirname, '../..');
const BIN = path.join(REPO, 'bin/runbook.js');
/**
 * Each test process keeps its run journal and locks in its own folder, so test files running
 * side by side on the same fleet inventory do not lock each other out (tests of the journal
 * and locks pass their own RUNBOOK_HOME).
 */
const TEST_HOME = mkdtempSync(path.join(os.tmpdir(), 'runbook-home-'));

export interface CliResult {
  code: number;
  stdout: string;
  stderr: string;
  /** JSON events when run with --output json. */
  events: Array<Record<string, any>>;
  summary?: { hosts: Record<string, { ok: number; changed: number; failed: number; unreachable: number; skipped: number }>; exit: number };
}

/** Run the built CLI as a user would, in its own process. */
export function runbook(args: string[], opts: { cwd?: string; env?: Record<string, string>; timeoutMs?: number } = {}): Promise<CliResult> {
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      [BIN, ...args],
      { cwd: opts.cwd ?? REPO, env: { ...process.env, NO_COLOR: '1', RUNBOOK_HOME: TEST_HOME, ...opts.env }, timeout: opts.timeoutMs ?? 120_000, maxBuffer: 64 << 20 },
      (err, stdout, stderr) => {
        const code = err ? (typeof (err as any).code === 'number' ? (err as any).code : 1) : 0;
        const events: Array<Record<string, any>> = [];
        for (const line of stdout.split('\n')) {
          if (!line.startsWith('{')) continue;
          try {
            events.push(JSON.parse(line));
          } catch {
            // not a JSON line
          }
        }
        const summary = events.find((e) => e.type === 'summary') as CliResult['summary'];
        resolve({ code, stdout, stderr, events, summary });
      },
    );
  });
}

/** A scratch folder with the given files (relative path → content). */
export function scratch(files: Record<string, string>): string {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'runbook-test-'));
  for (const [rel, content] of Object.entries(files)) {
    const p = path.join(dir, rel);
    mkdirSync(path.dirname(p), { recursive: true });
    writeFileSync(p, content);
  }
  return dir;
}
