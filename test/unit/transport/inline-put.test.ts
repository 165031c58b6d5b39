import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { INLINE_PUT_MAX_LINE, inlinePutLine, putCommand } from '../../../src/transport/file-scripts.js';
import { commandLine } from '../../../src/transport/quote.js';

const dir = mkdtempSync(path.join(os.tmpdir(), 'inline-put-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** The put's own line, as the SSH transport builds it (no become). */
function putLine(p: string, data: Buffer, mode?: number): string {
  return commandLine(putCommand(p, mode === undefined ? {} : { mode }, data.length), { loginUser: 'nobody' });
}

describe('inline put', () => {
  it('is the content printed into the put script, exactly', () => {
    const line = putLine('/x', Buffer.from("it's\n"));
    expect(inlinePutLine(line, Buffer.from("it's\n"))).toBe(`printf '%s' 'it'\\''s\n' | ${line}`);
  });

  it('writes the exact bytes and mode when a real sh runs it with no stdin', () => {
    const content = Buffer.from("line 1\n  $HOME `x` \\n %s ' \" ünïcode\n\n-no final newline");
    const p = path.join(dir, 'a.txt');
    const line = inlinePutLine(putLine(p, content, 0o640), content)!;
    const r = spawnSync('sh', ['-c', line], { stdio: ['ignore', 'pipe', 'pipe'] });
    expect(r.stderr.toString()).toBe('');
    expect(r.status).toBe(0);
    expect(readFileSync(p).equals(content)).toBe(true);
    expect((statSync(p).mode & 0o777).toString(8)).toBe('640');
  });

  it('writes empty content', () => {
    const p = path.join(dir, 'empty');
    const r = spawnSync('sh', ['-c', inlinePutLine(putLine(p, Buffer.alloc(0)), Buffer.alloc(0))!], { stdio: ['ignore', 'pipe', 'pipe'] });
    expect(r.status).toBe(0);
    expect(readFileSync(p).length).toBe(0);
  });

  it('leaves binary and large content to stdin', () => {
    const nul = Buffer.from([0x61, 0x00, 0x62]);
    expect(inlinePutLine(putLine('/x', nul), nul)).toBeUndefined();
    const notUtf8 = Buffer.from([0xff, 0xfe, 0x41]);
    expect(inlinePutLine(putLine('/x', notUtf8), notUtf8)).toBeUndefined();
    const big = Buffer.alloc(INLINE_PUT_MAX_LINE, 'a');
    expect(inlinePutLine(putLine('/x', big), big)).toBeUndefined();
    // Quotes grow with each layer of quoting: the limit holds for the line quoted once more.
    const quotes = Buffer.alloc(INLINE_PUT_MAX_LINE / 8, "'");
    expect(inlinePutLine(putLine('/x', quotes), quotes)).toBeUndefined();
    const small = Buffer.alloc(1000, 'a');
    expect(inlinePutLine(putLine('/x', small), small)).toBeDefined();
  });
});
