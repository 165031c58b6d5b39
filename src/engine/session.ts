import { Journal, currentUser, newRunId, type RunSummary } from '../journal/journal.js';
import { runbookHome } from '../journal/home.js';
import { acquireLock, describeHolder } from '../lock/lock.js';

export interface SessionOptions {
  cwd: string;
  kind: 'play' | 'drift';
  command: string;
  playbook: string;
  inventorySource: string;
  lockWait: number;
  env?: NodeJS.ProcessEnv;
  /** Told once when the lock is held by another run and we wait for it. */
  say?: (s: string) => void;
}

export interface Session {
  runId: string;
  journal: Journal;
}

/**
 * Hold the inventory's run lock (before any host is touched), open the journal and record the
 * run's start, run `fn`, record its end, let go. A lock held by a live run throws LockError.
 */
export async function withSession(o: SessionOptions, fn: (s: Session) => Promise<{ exit: number; summary: RunSummary }>): Promise<number> {
  const home = runbookHome(o.cwd, o.env);
  const lock = await acquireLock(home, o.inventorySource, o.command, o.lockWait, (h) =>
    o.say?.(`waiting up to ${o.lockWait} s for the lock on ${o.inventorySource}, held by ${h ? describeHolder(h) : 'another run'}`),
  );
  for (const h of lock.removedStale) o.say?.(`warning: took over a stale lock on ${o.inventorySource}: ${describeHolder(h)} (that process is gone)`);
  let journal: Journal | undefined;
  try {
    journal = Journal.open(home);
    const runId = newRunId();
    journal.begin({
      id: runId,
      kind: o.kind,
      command: o.command,
      user: currentUser(),
      cwd: o.cwd,
      playbook: o.playbook,
      inventory: o.inventorySource,
      started: lock.holder.started,
    });
    let exit = 1;
    let summary: RunSummary = { hosts: {}, changed: 0, drifted: [], corrected: [], not_converging: [] };
    try {
      ({ exit, summary } = await fn({ runId, journal }));
      return exit;
    } finally {
      journal.finish(runId, exit, summary);
    }
  } finally {
    journal?.close();
    lock.release();
  }
}
