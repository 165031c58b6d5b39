import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, writeFileSync, existsSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { LockError, acquireLock, lockPath, pidAlive } from '../../../src/lock/lock.js';

const home = () => mkdtempSync(path.join(os.tmpdir(), 'rb-lock-'));

/** A pid that existed and is gone: a child that has exited and been reaped. */
function deadPid(): number {
  const r = spawnSync(process.execPath, ['-e', 'process.stdout.write(String(process.pid))'], { encoding: 'utf8' });
  return Number(r.stdout);
}

describe('run lock', () => {
  it('writes the holder into the lock file and removes it on release', async () => {
    const h = home();
    const lock = await acquireLock(h, '/inv/prod.yml', 'runbook play site.yml -i prod');
    const held = JSON.parse(readFileSync(lock.file, 'utf8'));
    expect(held).toMatchObject({ pid: process.pid, command: 'runbook play site.yml -i prod', host: os.hostname(), inventory: '/inv/prod.yml' });
    expect(lock.file).toBe(lockPath(h, '/inv/prod.yml'));
    lock.release();
    expect(existsSync(lock.file)).toBe(false);
  });

  it('refuses a second holder, naming the first (pid, command, start time)', async () => {
    const h = home();
    const first = await acquireLock(h, '/inv/prod.yml', 'runbook play a.yml -i prod');
    const err = await acquireLock(h, '/inv/prod.yml', 'runbook drift b.yml -i prod').catch((e) => e);
    expect(err).toBeInstanceOf(LockError);
    expect(err.message).toContain(`pid ${process.pid} on ${os.hostname()}, started ${first.holder.started}: runbook play a.yml -i prod`);
    expect(err.message).toContain('use --lock-wait SECONDS');
    // Another inventory is not locked.
    (await acquireLock(h, '/inv/staging.yml', 'x')).release();
    first.release();
    (await acquireLock(h, '/inv/prod.yml', 'y')).release();
  });

  it('takes over the stale lock of a holder that crashed', async () => {
    const h = home();
    const file = lockPath(h, '/inv/prod.yml');
    mkdirSync(path.dirname(file), { recursive: true });
    const pid = deadPid();
    expect(pidAlive(pid)).toBe(false);
    writeFileSync(file, JSON.stringify({ pid, command: 'runbook play crashed.yml', started: '2026-01-01T00:00:00.000Z', host: os.hostname(), inventory: '/inv/prod.yml' }));
    const lock = await acquireLock(h, '/inv/prod.yml', 'runbook drift site.yml');
    expect(lock.removedStale.map((s) => s.pid)).toEqual([pid]);
    expect(JSON.parse(readFileSync(file, 'utf8')).pid).toBe(process.pid);
    lock.release();
  });

  it('waits for the holder with a wait time, and gives up naming it when the time is up', async () => {
    const h = home();
    const first = await acquireLock(h, '/inv/prod.yml', 'first');
    const told: string[] = [];
    const waiting = acquireLock(h, '/inv/prod.yml', 'second', 60, (holder) => told.push(holder!.command), 20);
    await new Promise((r) => setTimeout(r, 100));
    first.release();
    const second = await waiting;
    expect(told).toEqual(['first']);
    expect(second.holder.command).toBe('second');
    const err = await acquireLock(h, '/inv/prod.yml', 'third', 0.1, undefined, 20).catch((e) => e);
    expect(err.message).toContain('second');
    expect(err.message).toContain('waited 0.1 s');
    second.release();
  });

  it('release leaves a lock that is no longer its own alone', async () => {
    const h = home();
    const lock = await acquireLock(h, '/inv/prod.yml', 'mine');
    writeFileSync(lock.file, JSON.stringify({ ...lock.holder, pid: 1, command: 'someone else' }));
    lock.release();
    expect(JSON.parse(readFileSync(lock.file, 'utf8')).command).toBe('someone else');
  });
});
