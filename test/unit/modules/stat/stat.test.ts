import { execFileSync } from 'node:child_process';
import { mkdtempSync, symlinkSync, writeFileSync, chmodSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseStat, STAT_SCRIPT, statCommand } from '../../../../modules/stat.js';

function runLocal(args: readonly string[]): string {
  return execFileSync('sh', ['-c', STAT_SCRIPT, 'sh', ...args], { encoding: 'utf8' });
}

describe('stat', () => {
  it('builds one script command with path, follow flag and checksum tool as arguments', () => {
    expect(statCommand({ path: '/etc/x y' })).toEqual({ script: STAT_SCRIPT, args: ['/etc/x y', '0', 'sha1sum'] });
    expect(statCommand({ path: '/a', follow: true, checksum_algorithm: 'sha256' })).toEqual({
      script: STAT_SCRIPT,
      args: ['/a', '1', 'sha256sum'],
    });
    expect(statCommand({ path: '/a', get_checksum: false })).toEqual({ script: STAT_SCRIPT, args: ['/a', '0', ''] });
  });

  it('parses a missing path as exists: false', () => {
    expect(parseStat('exists 0\n')).toEqual({ exists: false });
  });

  it('reports a real file, a folder and a link (script run by sh)', () => {
    const d = mkdtempSync(path.join(tmpdir(), 'stat-'));
    const f = path.join(d, 'f.txt');
    writeFileSync(f, 'hello\n');
    chmodSync(f, 0o640);
    symlinkSync('f.txt', path.join(d, 'ln'));
    const s = parseStat(runLocal([f, '0', 'sha256sum']));
    expect(s).toMatchObject({
      exists: true, isreg: true, isdir: false, islnk: false, mode: '0640', size: 6,
      rusr: true, wusr: true, xusr: false, rgrp: true, wgrp: false, roth: false,
      checksum: '5891b5b522d5df086d0ff0b110fbd9d21bb4fc7163af34d08286a2e846f6be03',
    });
    expect(typeof s.mtime).toBe('number');
    expect(parseStat(runLocal([f, '0', 'sha1sum'])).checksum).toBe('f572d396fae9206628714fb2ce00f72e94f2258f');
    expect(parseStat(runLocal([d, '0', 'sha1sum']))).toMatchObject({ exists: true, isdir: true });
    expect(parseStat(runLocal([d, '0', 'sha1sum'])).checksum).toBeUndefined();
    const l = parseStat(runLocal([path.join(d, 'ln'), '0', 'sha1sum']));
    expect(l).toMatchObject({ exists: true, islnk: true, lnk_target: 'f.txt', lnk_source: f });
    expect(l.checksum).toBeUndefined();
    expect(parseStat(runLocal([path.join(d, 'ln'), '1', 'sha1sum']))).toMatchObject({ isreg: true, islnk: false, size: 6 });
    expect(parseStat(runLocal([path.join(d, 'nope'), '0', '']))).toEqual({ exists: false });
  });
});
