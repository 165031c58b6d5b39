import { spawnSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import type { RawResult } from '../../../src/transport/common.js';
import { fusedScript, splitFused } from '../../../src/transport/fused.js';

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
