/**
 * Several command lines in one round trip: a script that runs each in its own subshell, one
 * after the other, and after each writes a marker line to stdout (with its exit status) and to
 * stderr, so each command's own output and status come back apart. Only the first reads the
 * channel's stdin; the others read /dev/null. The marker holds a random nonce, so no output can
 * forge one.
 */
import { randomBytes } from 'node:crypto';
import type { RawResult } from './common.js';

export function fusedNonce(): string {
  return randomBytes(8).toString('hex');
}

/** Shell text that ends a command's output: its status on stdout, a marker on stderr. */
export function endMarks(nonce: string): string {
  const mark = `RB-${nonce}`;
  return `r=$?; printf '\\n${mark} %s\\n' "$r"; printf '\\n${mark}\\n' >&2`;
}

/** What {@link endMarks} writes before the status on stdout, and on stderr. */
export function markBytes(nonce: string): { out: Buffer; err: Buffer } {
  return { out: Buffer.from(`\nRB-${nonce} `), err: Buffer.from(`\nRB-${nonce}\n`) };
}

/** The script for `lines` (each a complete command line, as commandLine builds them). */
export function fusedScript(lines: readonly string[], nonce: string): string {
  return lines.map((line, i) => `(${line})${i === 0 ? '' : ' </dev/null'}\n${endMarks(nonce)}`).join('\n');
}

/**
 * Each command's result out of the fused run's. A command whose marker is missing (the run was
 * cut short) and every one after it are undefined; the first is then the whole run's result,
 * as if it had run alone.
 */
export function splitFused(r: RawResult, count: number, nonce: string): Array<RawResult | undefined> {
  const { out: outMark, err: errMark } = markBytes(nonce);
  const out: Array<RawResult | undefined> = [];
  let o = 0;
  let e = 0;
  for (let i = 0; i < count; i++) {
    const at = r.stdout.indexOf(outMark, o);
    const eol = at < 0 ? -1 : r.stdout.indexOf(0x0a, at + outMark.length);
    const errAt = r.stderr.indexOf(errMark, e);
    const status = eol < 0 ? NaN : Number(r.stdout.subarray(at + outMark.length, eol).toString('latin1'));
    if (!Number.isInteger(status) || errAt < 0) {
      if (i === 0) out.push({ ...r, stdout: r.stdout.subarray(0, at < 0 ? r.stdout.length : at), stderr: r.stderr.subarray(0, errAt < 0 ? r.stderr.length : errAt) });
      while (out.length < count) out.push(undefined);
      return out;
    }
    out.push({ exitCode: status, signal: null, stdout: r.stdout.subarray(o, at), stderr: r.stderr.subarray(e, errAt), durationMs: r.durationMs });
    o = eol + 1;
    e = errAt + errMark.length;
  }
  return out;
}
