import { execFileSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { outputFields } from '../../../../modules/_lib/remote.js';
import { WAIT_FOR_SCRIPT, waitForArgs } from '../../../../modules/wait_for.js';

const run = (args: string[]) => outputFields(execFileSync('sh', ['-c', WAIT_FOR_SCRIPT, 'sh', ...args], { encoding: 'utf8' }));

describe('wait_for', () => {
  it('builds the arguments: host, port, path, regex, wanted, timeout, delay, sleep', () => {
    expect(waitForArgs({ port: 80 })).toEqual(['127.0.0.1', '80', '', '', '1', '300', '0', '1']);
    expect(waitForArgs({ path: '/x', search_regex: 'ready', state: 'absent', timeout: 5, delay: 1, sleep: 2 })).toEqual([
      '127.0.0.1', '', '/x', 'ready', '0', '5', '1', '2',
    ]);
  });

  it('a file that exists, a line that matches, a file that is absent (script run by sh, timeout 0)', () => {
    const d = mkdtempSync(path.join(tmpdir(), 'waitfor-'));
    const f = path.join(d, 'log');
    writeFileSync(f, 'starting\nready on port 8080\n');
    expect(run(waitForArgs({ path: f, timeout: 0 })).ok).toBe('1');
    expect(run(waitForArgs({ path: f, search_regex: 'ready on port [0-9]+', timeout: 0 })).ok).toBe('1');
    expect(run(waitForArgs({ path: f, search_regex: 'stopped', timeout: 0 })).ok).toBe('0');
    expect(run(waitForArgs({ path: path.join(d, 'nope'), timeout: 0 })).ok).toBe('0');
    expect(run(waitForArgs({ path: path.join(d, 'nope'), state: 'absent', timeout: 0 })).ok).toBe('1');
  });
});
