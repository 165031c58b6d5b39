import { createHash } from 'node:crypto';
import { linkSync, mkdirSync, readFileSync, unlinkSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { RunbookError } from '../core/errors.js';

/** Who holds a run lock; written into the lock file. */
export interface LockHolder {
  pid: number;
  command: string;
  started: string;
  host: string;
  inventory: string;
}

export class LockError extends RunbookError {
  override readonly code = 'LOCK';
  constructor(message: string, readonly holder?: LockHolder) {
    super(message);
  }
}

/** One lock file per inventory (by its absolute source), under the runbook home. */
export function lockPath(home: string, inventorySource: string): string {
  const key = createHash('sha256').update(inventorySource).digest('hex').slice(0, 16);
  const base = path.basename(inventorySource).replace(/[^A-Za-z0-9._-]/g, '_') || 'inventory';
  return path.join(home, 'locks', `${base}-${key}.lock`);
}

/** True when a process with this pid exists (EPERM: it exists but is not ours). */
export function pidAlive(pid: number): boolean {
  if (!Number.isInteger(pid) || pid <= 0) return false;
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}

function readHolder(file: string): LockHolder | undefined {
  try {
    return JSON.parse(readFileSync(file, 'utf8')) as LockHolder;
  } catch {
    return undefined;
  }
}

export function describeHolder(h: LockHolder): string {
  return `pid ${h.pid} on ${h.host}, started ${h.started}: ${h.command}`;
}

export interface HeldLock {
  file: string;
  holder: LockHolder;
  /** Stale locks of crashed holders that were removed on the way in. */
  removedStale: LockHolder[];
  release(): void;
}

/**
 * Take the lock: the file appears atomically with its content (written aside, then hard-linked
 * into place, which fails if it exists). A lock whose pid is gone (same machine) is stale and
 * removed. With waitSeconds > 0, poll until the holder lets go or the time is up.
 */
export async function acquireLock(
  home: string,
  inventorySource: string,
  command: string,
  waitSeconds = 0,
  onWait?: (holder: LockHolder | undefined) => void,
  pollMs = 200,
): Promise<HeldLock> {
  let told = false;
  const file = lockPath(home, inventorySource);
  mkdirSync(path.dirname(file), { recursive: true });
  const holder: LockHolder = { pid: process.pid, command, started: new Date().toISOString(), host: os.hostname(), inventory: inventorySource };
  const tmp = `${file}.${process.pid}.${Math.random().toString(36).slice(2)}`;
  const removedStale: LockHolder[] = [];
  const deadline = Date.now() + waitSeconds * 1000;
  try {
    for (;;) {
      // The start time is when the lock is taken, not when the wait began.
      holder.started = new Date().toISOString();
      writeFileSync(tmp, JSON.stringify(holder) + '\n');
      try {
        linkSync(tmp, file);
        break;
      } catch (e) {
        if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
      }
      const current = readHolder(file);
      if (current && current.host === holder.host && !pidAlive(current.pid)) {
        // Crashed holder. Remove only if the file still names that holder.
        const again = readHolder(file);
        if (again && again.pid === current.pid && again.started === current.started) {
          try {
            unlinkSync(file);
          } catch {
            /* someone else removed it */
          }
          removedStale.push(current);
        }
        continue;
      }
      if (Date.now() >= deadline) {
        const who = current ? describeHolder(current) : 'an unreadable lock file';
        const waited = waitSeconds > 0 ? ` (waited ${waitSeconds} s)` : ' (use --lock-wait SECONDS to wait for it)';
        throw new LockError(`inventory ${inventorySource} is locked by another run: ${who}; lock file ${file}${waited}`, current);
      }
      if (!told) {
        told = true;
        onWait?.(current);
      }
      await new Promise((r) => setTimeout(r, Math.min(pollMs, Math.max(1, deadline - Date.now()))));
    }
  } finally {
    try {
      unlinkSync(tmp);
    } catch {
      /* already gone */
    }
  }
  let released = false;
  return {
    file,
    holder,
    removedStale,
    release() {
      if (released) return;
      released = true;
      const current = readHolder(file);
      if (current && current.pid === holder.pid && current.started === holder.started) {
        try {
          unlinkSync(file);
        } catch {
          /* gone */
        }
      }
    },
  };
}
