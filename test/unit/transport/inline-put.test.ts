import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { fitsInline, INLINE_PUT_MAX_LINE, inlinePutCommand, PUT_INLINE_SCRIPT, PUT_VALIDATE_FAILED } from '../../../src/transport/file-scripts.js';
import { commandLine } from '../../../src/transport/quote.js';

const dir = mkdtempSync(path.join(os.tmpdir(), 'inline-put-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** Run an inline put's command line in a real sh with no stdin, as the long-lived shell does. */
function runInline(p: string, content: Buffer, opts: Parameters<typeof inlinePutCommand>[1] = {}) {
  const line = commandLine(inlinePutCommand(p, opts, content)!, { loginUser: 'nobody' });
  expect(fitsInline(line)).toBe(true);
  return spawnSync('sh', ['-c', line], { stdio: ['ignore', 'pipe', 'pipe'], encoding: 'utf8' });
}

describe('inline put', () => {
  it('is the put script with the content in the size argument’s place', () => {
    expect(inlinePutCommand('/x', { mode: 0o640, validate: ['v', '%s'] }, Buffer.from("it's\n"))).toEqual({
      script: PUT_INLINE_SCRIPT,
      args: ['/x', '0640', '', '', "it's\n", 'v', '%s'],
    });
  });

  it('writes the exact bytes and mode in a real sh with no stdin', () => {
    const content = Buffer.from("line 1\n  $HOME `x` \\n %s ' \" ünïcode\n\n-no final newline");
    const p = path.join(dir, 'a.txt');
    const r = runInline(p, content, { mode: 0o640 });
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
    expect(readFileSync(p).equals(content)).toBe(true);
    expect((statSync(p).mode & 0o777).toString(8)).toBe('640');
  });

  it('writes empty content, and keeps the old file when validation fails', () => {
    const p = path.join(dir, 'empty');
    expect(runInline(p, Buffer.alloc(0)).status).toBe(0);
    expect(readFileSync(p).length).toBe(0);
    const q = path.join(dir, 'kept');
    writeFileSync(q, 'old\n');
    const r = runInline(q, Buffer.from('new\n'), { validate: ['sh', '-c', 'echo no >&2; exit 1', 'sh', '%s'] });
    expect(r.status).toBe(PUT_VALIDATE_FAILED);
    expect(readFileSync(q, 'utf8')).toBe('old\n');
  });

  it('leaves binary and large content to stdin', () => {
    expect(inlinePutCommand('/x', {}, Buffer.from([0x61, 0x00, 0x62]))).toBeUndefined();
    expect(inlinePutCommand('/x', {}, Buffer.from([0xff, 0xfe, 0x41]))).toBeUndefined();
    expect(inlinePutCommand('/x', {}, Buffer.alloc(INLINE_PUT_MAX_LINE + 1, 'a'))).toBeUndefined();
    // Quotes grow with each layer of quoting: the whole line, quoted once more, must fit.
    const quotes = commandLine(inlinePutCommand('/x', {}, Buffer.alloc(INLINE_PUT_MAX_LINE / 8, "'"))!, {});
    expect(fitsInline(quotes)).toBe(false);
    expect(fitsInline(commandLine(inlinePutCommand('/x', {}, Buffer.alloc(1000, 'a'))!, {}))).toBe(true);
  });
});
