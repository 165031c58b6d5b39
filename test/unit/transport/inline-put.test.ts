import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { mkdirSync, readdirSync } from 'node:fs';
import { createUmask, fitsInline, INLINE_PUT_MAX_LINE, inlinePutCommand, PUT_INLINE_SCRIPT, PUT_VALIDATE_FAILED } from '../../../src/transport/file-scripts.js';
import { commandLine, shellLine } from '../../../src/transport/quote.js';

const dir = mkdtempSync(path.join(os.tmpdir(), 'inline-put-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** Run an inline put's command line in a real sh with no stdin, as the long-lived shell does. */
function runInline(p: string, content: Buffer, opts: Parameters<typeof inlinePutCommand>[1] = {}, how: { umask?: string; temp?: string; sh?: boolean } = {}) {
  const cmd = inlinePutCommand(p, opts, content, how.temp ?? 'a1b2c3d4e5f6')!;
  const line = commandLine(cmd, { loginUser: 'nobody' });
  expect(fitsInline(line)).toBe(true);
  // As the long-lived shell runs it: in a subshell, the script itself (sh) or its exec sh -c.
  const text = how.sh ? shellLine(cmd, { loginUser: 'nobody' }) : line;
  return spawnSync('sh', ['-c', `umask ${how.umask ?? '022'}; (${text}) </dev/null`], { stdio: ['ignore', 'pipe', 'pipe'], encoding: 'utf8' });
}

describe('inline put', () => {
  it('is the put script with the content in the size argument’s place', () => {
    expect(inlinePutCommand('/x', { mode: 0o640, validate: ['v', '%s'] }, Buffer.from("it's\n"), 'a1b2c3')).toEqual({
      script: PUT_INLINE_SCRIPT,
      args: ['/x', '0640', '', '', "it's\n", 'a1b2c3', '', 'v', '%s'],
      inline: true,
    });
    // no validate: the umask that creates the file with the mode (644 when none is given)
    expect(inlinePutCommand('/x', { mode: 0o640 }, Buffer.from('a'), 'a1b2c3')).toMatchObject({ args: ['/x', '0640', '', '', 'a', 'a1b2c3', '0137'] });
    expect(inlinePutCommand('/x', {}, Buffer.from('a'), 'a1b2c3')).toMatchObject({ args: ['/x', '', '', '', 'a', 'a1b2c3', '0133'] });
    expect(() => inlinePutCommand('/x', {}, Buffer.from('a'), '../x')).toThrow(/temp file suffix/);
  });

  it('knows which modes a umask can create a file with', () => {
    expect(createUmask(0o644)).toBe('0133');
    expect(createUmask(0o600)).toBe('0177');
    expect(createUmask(0o666)).toBe('0111');
    expect(createUmask(0)).toBe('0777');
    expect(createUmask(0o755)).toBe('');
    expect(createUmask(0o4644)).toBe('');
    expect(createUmask(0o1666)).toBe('');
  });

  it('gives a new file its exact mode whatever the caller’s umask, and an existing one keeps its own', () => {
    for (const sh of [false, true]) {
      const sub = path.join(dir, `modes-${sh}`);
      mkdirSync(sub);
      const strict = path.join(sub, 'strict');
      expect(runInline(strict, Buffer.from('a'), { mode: 0o664 }, { umask: '077', sh }).status).toBe(0);
      expect((statSync(strict).mode & 0o7777).toString(8)).toBe('664');
      const loose = path.join(sub, 'loose');
      expect(runInline(loose, Buffer.from('a'), {}, { umask: '000', sh }).status).toBe(0);
      expect((statSync(loose).mode & 0o7777).toString(8)).toBe('644');
      const exe = path.join(sub, 'exe');
      expect(runInline(exe, Buffer.from('a'), { mode: 0o750 }, { umask: '077', sh }).status).toBe(0);
      expect((statSync(exe).mode & 0o7777).toString(8)).toBe('750');
      const kept = path.join(sub, 'kept');
      writeFileSync(kept, 'old', { mode: 0o600 });
      expect(runInline(kept, Buffer.from('new'), {}, { umask: '000', sh }).status).toBe(0);
      expect(readFileSync(kept, 'utf8')).toBe('new');
      expect((statSync(kept).mode & 0o7777).toString(8)).toBe('600');
      expect(readdirSync(sub).sort()).toEqual(['exe', 'kept', 'loose', 'strict']);
    }
  });

  it('never writes into a temp name that is already there (it is created exclusively)', () => {
    const sub = path.join(dir, 'taken');
    mkdirSync(sub);
    const p = path.join(sub, 'f');
    writeFileSync(path.join(sub, '.f.a1b2c3d4e5f6'), 'someone else\n');
    const r = runInline(p, Buffer.from('new\n'), {}, { temp: 'a1b2c3d4e5f6' });
    expect(r.status).not.toBe(0);
    expect(readFileSync(path.join(sub, '.f.a1b2c3d4e5f6'), 'utf8')).toBe('someone else\n');
    expect(readdirSync(sub)).toEqual(['.f.a1b2c3d4e5f6']);
  });

  it('writes the exact bytes and mode in a real sh with no stdin', () => {
    const content = Buffer.from("line 1\n  $HOME `x` \\n %s ' \" ünïcode\n\n-no final newline");
    const p = path.join(dir, 'a.txt');
    const r = runInline(p, content, { mode: 0o640 });
    expect(runInline(`${p}.sh`, content, { mode: 0o640 }, { sh: true }).status).toBe(0);
    expect(readFileSync(`${p}.sh`).equals(content)).toBe(true);
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
    expect(inlinePutCommand('/x', {}, Buffer.from([0x61, 0x00, 0x62]), 'a1b2c3')).toBeUndefined();
    expect(inlinePutCommand('/x', {}, Buffer.from([0xff, 0xfe, 0x41]), 'a1b2c3')).toBeUndefined();
    expect(inlinePutCommand('/x', {}, Buffer.alloc(INLINE_PUT_MAX_LINE + 1, 'a'), 'a1b2c3')).toBeUndefined();
    // Quotes grow with each layer of quoting: the whole line, quoted once more, must fit.
    const quotes = commandLine(inlinePutCommand('/x', {}, Buffer.alloc(INLINE_PUT_MAX_LINE / 8, "'"), 'a1b2c3')!, {});
    expect(fitsInline(quotes)).toBe(false);
    expect(fitsInline(commandLine(inlinePutCommand('/x', {}, Buffer.alloc(1000, 'a'), 'a1b2c3')!, {}))).toBe(true);
  });
});
