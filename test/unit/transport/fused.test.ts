import { spawnSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import type { RawResult } from '../../../src/transport/common.js';
import { fusedScript, guardExpect, splitFused, splitSteps, stepsScript, type StepLines } from '../../../src/transport/fused.js';
import { quote as quoteArg } from '../../../src/transport/quote.js';

const NONCE = '0123456789abcdef';

/** Run a fused script in a real sh, as sshd would, and split its result. */
function runFused(lines: string[], stdin = ''): Array<RawResult | undefined> {
  const r = spawnSync('sh', ['-c', fusedScript(lines, NONCE)], { input: stdin });
  return splitFused({ exitCode: r.status, signal: r.signal, stdout: r.stdout, stderr: r.stderr, durationMs: 1 }, lines.length, NONCE);
}
const text = (r: RawResult | undefined) => r && { exitCode: r.exitCode, stdout: r.stdout.toString(), stderr: r.stderr.toString() };

describe('fused command lines', () => {
  it('is each line in a subshell with a marker after it, stdin for the first only', () => {
    expect(fusedScript(['exec cat', 'exec ls'], NONCE)).toBe(
      [
        '(exec cat)',
        `r=$?; printf '\\nRB-${NONCE} %s\\n' "$r"; printf '\\nRB-${NONCE}\\n' >&2`,
        '(exec ls) </dev/null',
        `r=$?; printf '\\nRB-${NONCE} %s\\n' "$r"; printf '\\nRB-${NONCE}\\n' >&2`,
      ].join('\n'),
    );
  });

  it('gives each command its own stdout, stderr and exit status, byte-exact', () => {
    const [a, b, c] = runFused(["exec cat", "printf 'no newline'; printf 'err\\n' >&2; exit 3", 'exec cat'], 'line 1\nline 2');
    expect(text(a)).toEqual({ exitCode: 0, stdout: 'line 1\nline 2', stderr: '' });
    expect(text(b)).toEqual({ exitCode: 3, stdout: 'no newline', stderr: 'err\n' });
    // stdin went to the first command alone
    expect(text(c)).toEqual({ exitCode: 0, stdout: '', stderr: '' });
  });

  it('keeps output that looks like a marker without the nonce', () => {
    const [a, b] = runFused(["printf '\\nRB-0000000000000000 7\\n'", 'printf x']);
    expect(text(a)).toEqual({ exitCode: 0, stdout: '\nRB-0000000000000000 7\n', stderr: '' });
    expect(text(b)?.stdout).toBe('x');
  });

  it('a command that ends the script leaves the later ones undefined, and the first gets the whole result', () => {
    const [a, b] = runFused(['printf partial; kill -9 $$', 'printf never']);
    expect(a?.stdout.toString()).toBe('partial');
    expect(b).toBeUndefined();
    const [x, y] = runFused(['printf ok', 'printf half; kill -9 $$']);
    expect(text(x)).toEqual({ exitCode: 0, stdout: 'ok', stderr: '' });
    expect(y).toBeUndefined();
  });
});

describe('steps script (fused loop items)', () => {
  /** Run a steps script in a real sh and split it. */
  function runSteps(steps: StepLines[], reads: string[] = [], maxLength?: number) {
    const { script, count } = stepsScript(steps, reads, NONCE, maxLength);
    const r = spawnSync('sh', ['-c', script]);
    const split = splitSteps({ exitCode: r.status, signal: r.signal, stdout: r.stdout, stderr: r.stderr, durationMs: 1 }, count + (count === steps.length ? reads.length : 0), NONCE);
    return { count, steps: split.steps.map(text), stale: split.stale?.map(text) };
  }

  it('runs each op after its guard, with its own output and status', () => {
    const got = runSteps(
      [{ line: "printf 'one'" }, { guard: { line: 'printf facts', expect: guardExpect('facts', 0) }, line: "printf two; printf e >&2" }, { guard: { line: 'exit 3', expect: guardExpect('', 3) } }],
      ["printf 'read after'"],
    );
    expect(got.count).toBe(3);
    expect(got.steps).toEqual([
      { exitCode: 0, stdout: 'one', stderr: '' },
      { exitCode: 0, stdout: 'two', stderr: 'e' },
      { exitCode: 0, stdout: '', stderr: '' },
      { exitCode: 0, stdout: 'read after', stderr: '' },
    ]);
    expect(got.stale).toBeUndefined();
  });

  it('stops at a guard that does not hold (other output, status or any stderr) and reads that guard and the later ones again', () => {
    for (const guard of [
      { line: 'printf changed', expect: guardExpect('facts', 0) },
      { line: 'printf facts; exit 1', expect: guardExpect('facts', 0) },
      { line: 'printf facts; printf warn >&2', expect: guardExpect('facts', 0) },
    ]) {
      const got = runSteps([{ line: 'printf a' }, { guard, line: 'printf NOT-RUN' }, { line: 'printf NOT-RUN' }, { guard: { line: 'printf later', expect: guardExpect('later', 0) }, line: 'printf NOT-RUN' }], ['printf NOT-RUN']);
      expect(got.steps.map((s) => s?.stdout)).toEqual(['a', undefined, undefined, undefined, undefined]);
      expect(got.stale?.map((s) => s?.stdout)).toEqual([guard.line.includes('changed') ? 'changed' : 'facts', 'later']);
    }
  });

  it('stops after an op that fails, with its result', () => {
    const got = runSteps([{ line: "printf x; echo bad >&2; exit 4" }, { line: 'printf NOT-RUN' }], ['printf NOT-RUN']);
    expect(got.steps).toEqual([{ exitCode: 4, stdout: 'x', stderr: 'bad\n' }, undefined, undefined]);
    expect(got.stale).toBeUndefined();
  });

  it('keeps a guard whose facts have quotes, newlines and no final newline exact', () => {
    const facts = "it's\n  two lines\n\n";
    const got = runSteps([{ guard: { line: `printf '%s' ${quoteArg(facts)}`, expect: guardExpect(facts, 0) }, line: 'printf ran' }]);
    expect(got.steps[0]?.stdout).toBe('ran');
  });

  it('takes only the steps that fit, and then not the reads', () => {
    const steps = Array.from({ length: 10 }, (_, i) => ({ line: `printf ${i}` }));
    const got = runSteps(steps, ['printf read'], 500);
    expect(got.count).toBeGreaterThan(0);
    expect(got.count).toBeLessThan(10);
    expect(got.steps.map((s) => s?.stdout)).toEqual(steps.slice(0, got.count).map((_, i) => String(i)));
  });
});
