import { describe, expect, it } from 'vitest';
import { chmodArg, formatMode, isSymbolicMode, parseMode } from '../../../../modules/_lib/mode.js';

describe('parseMode', () => {
  it.each([
    ['0644', 0o644],
    ['644', 0o644],
    ['0o755', 0o755],
    ['1777', 0o1777],
    ['01777', 0o1777],
    ['0000', 0],
  ])('octal string %s', (s, n) => expect(parseMode(s)).toBe(n));

  it('numbers are values (YAML 1.1 reads 0644 as 420)', () => {
    expect(parseMode(420)).toBe(0o644);
    expect(parseMode(0o1777)).toBe(0o1777);
    expect(parseMode(0)).toBe(0);
  });

  it('three octal digits from 512 up are read as the digits of an octal mode', () => {
    expect(parseMode(644)).toBe(0o644);
    expect(parseMode(755)).toBe(0o755);
    expect(parseMode(600)).toBe(0o600);
    expect(parseMode(511)).toBe(511); // 0o777
    expect(parseMode(1023)).toBe(0o1777); // YAML 1.1 01777
  });

  it('rejects what is no mode', () => {
    expect(() => parseMode('0999')).toThrow(/invalid mode/);
    expect(() => parseMode('u+q')).toThrow(/invalid mode/);
    expect(() => parseMode('7u')).toThrow(/invalid mode/);
    expect(() => parseMode(0o10000)).toThrow(/invalid mode/);
    expect(() => parseMode(-1)).toThrow(/invalid mode/);
    expect(() => parseMode(1.5)).toThrow(/invalid mode/);
  });

  it.each([
    ['u=rw,g=r,o=r', 0o777, false, 0o644],
    ['u=rwx,go=', 0o644, false, 0o700],
    ['u+x', 0o644, false, 0o744],
    ['go-w', 0o666, false, 0o644],
    ['a+r', 0o600, false, 0o644],
    ['u=rwX,go=rX', 0o600, false, 0o644],
    ['u=rwX,go=rX', 0o700, false, 0o755],
    ['u=rwX,go=rX', 0o600, true, 0o755],
    ['g=u', 0o640, false, 0o660],
    ['o=g', 0o750, false, 0o755],
    ['u+s', 0o755, false, 0o4755],
    ['g+s', 0o755, true, 0o2755],
    ['+t', 0o777, true, 0o1777],
    ['o+t', 0o777, true, 0o1777],
    ['u+t', 0o777, true, 0o777],
    ['u+x,u-x', 0o644, false, 0o644],
    ['u=r+w', 0o000, false, 0o600],
  ])('symbolic %s on %o (dir %s) → %o', (spec, base, isDir, want) => {
    expect(parseMode(spec, base, isDir, 0o022)).toBe(want);
  });

  it('a clause without who honours the umask, as chmod does', () => {
    expect(parseMode('+w', 0o444, false, 0o022)).toBe(0o644);
    expect(parseMode('=rw', 0o777, false, 0o022)).toBe(0o644);
    expect(parseMode('+x', 0o640, false, 0o027)).toBe(0o750);
  });

  it('= on a directory keeps set-id bits it does not name', () => {
    expect(parseMode('g=rx', 0o2775, true)).toBe(0o2755);
    expect(parseMode('g=rx', 0o2775, false)).toBe(0o755);
  });
});

describe('mode helpers', () => {
  it('formats four digits', () => {
    expect(formatMode(0o644)).toBe('0644');
    expect(formatMode(0o1777)).toBe('1777');
    expect(formatMode(0)).toBe('0000');
  });
  it('knows symbolic from octal', () => {
    expect(isSymbolicMode('u+x')).toBe(true);
    expect(isSymbolicMode('0644')).toBe(false);
    expect(isSymbolicMode(420)).toBe(false);
  });
  it('chmod gets octal digits or the symbolic mode', () => {
    expect(chmodArg(420)).toBe('00644');
    expect(chmodArg('755')).toBe('00755');
    expect(chmodArg('u=rwX,go=rX')).toBe('u=rwX,go=rX');
  });
});
