import { setMaxListeners } from 'node:events';
import os from 'node:os';
import path from 'node:path';
import { CommandError } from '../core/errors.js';
import { GET_MISSING, PUT_VALIDATE_FAILED } from './file-scripts.js';
import type { ExecResult } from './types.js';

/** A finished command as both transports collect it, before output is decoded. */
export interface RawResult {
  exitCode: number | null;
  signal: string | null;
  stdout: Buffer;
  stderr: Buffer;
  durationMs: number;
}

export function toExecResult(r: RawResult): ExecResult {
  return {
    exitCode: r.exitCode,
    signal: r.signal,
    stdout: r.stdout.toString('utf8'),
    stderr: r.stderr.toString('utf8'),
    durationMs: r.durationMs,
  };
}

/** The put script's result: nothing, or the reason the write failed. */
export function checkPut(host: string, filePath: string, r: RawResult, validate?: readonly string[]): void {
  if (r.exitCode === PUT_VALIDATE_FAILED && validate) {
    throw new CommandError(host, validate, r.exitCode, r.stderr.toString('utf8'), `new content of ${filePath} failed validation`);
  }
  if (r.exitCode !== 0) {
    throw new CommandError(host, ['put', filePath], r.exitCode, r.stderr.toString('utf8'), `cannot write ${filePath}`);
  }
}

/** The get script's result: the content, null for a missing file, or the reason it failed. */
export function getResult(host: string, filePath: string, r: RawResult): Buffer | null {
  if (r.exitCode === 0) return r.stdout;
  if (r.exitCode === GET_MISSING && r.stderr.length === 0) return null;
  throw new CommandError(host, ['get', filePath], r.exitCode, r.stderr.toString('utf8'), `cannot read ${filePath}`);
}

/** The user this process runs as. */
export function currentUser(): string {
  try {
    return os.userInfo().username;
  } catch {
    return process.env.USER ?? 'root';
  }
}

/** `~` and `~/x` → the home folder. */
export function expandTilde(p: string, home = os.homedir()): string {
  if (p === '~') return home;
  if (p.startsWith('~/')) return path.join(home, p.slice(2));
  return p;
}

const manyListeners = new WeakSet<AbortSignal>();

/**
 * Call `fn` once when `signal` aborts. A run's signal is shared by every command in flight on
 * every host, so more than 10 listeners is normal, not a leak: Node's warning (printed on any
 * run of a dozen hosts) is turned off for the signals listened to here.
 */
export function onAbortOnce(signal: AbortSignal, fn: () => void): void {
  if (!manyListeners.has(signal)) {
    manyListeners.add(signal);
    setMaxListeners(0, signal);
  }
  signal.addEventListener('abort', fn, { once: true });
}
