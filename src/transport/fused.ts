/**
 * Several command lines in one round trip: a script that runs each in its own subshell, one
 * after the other, and after each writes a marker line to stdout (with its exit status) and to
 * stderr, so each command's own output and status come back apart. Only the first reads the
 * channel's stdin; the others read /dev/null. The marker holds a random nonce, so no output can
 * forge one.
 */
import { randomBytes } from 'node:crypto';
import type { RawResult } from './common.js';
import { quote } from './quote.js';

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

/** A step of {@link stepsScript}: a guard read's line and the output it must give, then the op's line. */
export interface StepLines {
  guard?: { line: string; expect: string };
  /** Absent: the guard alone (a marker still tells that it held). */
  line?: string;
}

/** What a guard's read must print for the guard to hold: its stdout, then `x` and its exit status (stderr goes in with stdout, so any is a mismatch). */
export function guardExpect(stdout: string, exitCode: number): string {
  return `${stdout}x${exitCode}`;
}

/**
 * The script for Transport.runSteps: each step's guard, then its op in a subshell with stdin
 * /dev/null and a marker after it; an op that exits non-zero ends the script, so the steps
 * after it are not run (and have no marker). A guard that does not hold ends it too, after a
 * `stale` marker and the guard reads of that step and every later one, each with its marker:
 * what the host holds now, for the engine to plan again from. The reads come last.
 * Steps are added while the script, quoted as one shell word, stays within `maxLength` (at least
 * one is); `count` says how many, and the reads are added only when all are.
 */
export function stepsScript(steps: readonly StepLines[], reads: readonly string[], nonce: string, maxLength = Infinity): { script: string; count: number } {
  const guarded: number[] = [];
  const parts: string[] = [];
  let length = 0;
  let count = 0;
  for (const [i, s] of steps.entries()) {
    const fn = s.guard ? `r${i}() { (${s.guard.line}); }\n` : '';
    const size = quote(fn + (s.line ?? ':') + (s.guard?.expect ?? '')).length + 200 + 4 * steps.length;
    if (count > 0 && length + size > maxLength) break;
    length += size;
    count++;
    if (s.guard) guarded.push(i);
  }
  const mark = `RB-${nonce}`;
  parts.push(`stale() { printf '\\n${mark} stale\\n'; for f; do "$f" </dev/null; ${endMarks(nonce)}; done; exit 0; }`);
  for (const i of guarded) parts.push(`r${i}() { (${steps[i]!.guard!.line}); }`);
  for (const [i, s] of steps.slice(0, count).entries()) {
    const later = guarded.filter((j) => j >= i).map((j) => `r${j}`).join(' ');
    const guard = s.guard ? `g=$(r${i} 2>&1 </dev/null; printf 'x%s' "$?")\n[ "$g" = ${quote(s.guard.expect)} ] || stale ${later}\n` : '';
    parts.push(`${guard}(${s.line ?? ':'}) </dev/null\n${endMarks(nonce)}\n[ "$r" = 0 ] || exit 0`);
  }
  if (count === steps.length) for (const l of reads) parts.push(`(${l}) </dev/null\n${endMarks(nonce)}`);
  return { script: parts.join('\n'), count };
}

/**
 * A steps script's run, apart: the results of the steps it ran (`count` of them at most, then
 * the reads), and, when a guard stopped it, the fresh guard reads it made then.
 */
export function splitSteps(r: RawResult, count: number, nonce: string): { steps: Array<RawResult | undefined>; stale?: Array<RawResult | undefined>; staleReads?: number } {
  const staleMark = Buffer.from(`\nRB-${nonce} stale\n`);
  const at = r.stdout.indexOf(staleMark);
  const { out: outMark, err: errMark } = markBytes(nonce);
  const ran = (stdout: Buffer): number => {
    let n = 0;
    for (let o = stdout.indexOf(outMark); o >= 0; o = stdout.indexOf(outMark, o + outMark.length)) n++;
    return n;
  };
  if (at < 0) {
    const parts = r.stdout.includes(outMark) ? splitFused(r, count, nonce) : [];
    return { steps: Array.from({ length: count }, (_, i) => parts[i]) };
  }
  const before = r.stdout.subarray(0, at);
  const done = ran(before);
  // stderr: the markers of the steps that ran, then the fresh reads'.
  let e = 0;
  for (let i = 0; i < done; i++) e = r.stderr.indexOf(errMark, e) + errMark.length;
  const head = { ...r, stdout: before, stderr: r.stderr.subarray(0, e) };
  const tail = { ...r, stdout: r.stdout.subarray(at + staleMark.length), stderr: r.stderr.subarray(e) };
  const steps = done > 0 ? splitFused(head, done, nonce) : [];
  const fresh = ran(tail.stdout);
  return { steps: Array.from({ length: count }, (_, i) => (i < done ? steps[i] : undefined)), stale: fresh > 0 ? splitFused(tail, fresh, nonce) : [], staleReads: fresh };
}
