import { describe, expect, it } from 'vitest';
import { editLines } from '../../../../modules/_lib/lines.js';

describe('editLines (lineinfile)', () => {
  it('appends a missing line at EOF, adding the final newline', () => {
    expect(editLines('a\nb\n', { line: 'c' })).toBe('a\nb\nc\n');
    expect(editLines('a\nb', { line: 'c' })).toBe('a\nb\nc\n');
    expect(editLines('', { line: 'c' })).toBe('c\n');
  });
  it('leaves text alone when the line is there', () => {
    expect(editLines('a\nc\nb', { line: 'c' })).toBe('a\nc\nb');
  });
  it('replaces the last regexp match', () => {
    expect(editLines('port=1\nx\nport=2\n', { regexp: '^port=', line: 'port=8080' })).toBe('port=1\nx\nport=8080\n');
    expect(editLines('port=8080\n', { regexp: '^port=', line: 'port=8080' })).toBe('port=8080\n');
  });
  it('inserts when regexp matches nothing', () => {
    expect(editLines('a\n', { regexp: '^port=', line: 'port=1' })).toBe('a\nport=1\n');
  });
  it('inserts after the last match of insertafter, or BOF', () => {
    expect(editLines('[s]\na\n[s]\nb\n', { line: 'x', insertafter: '^\\[s\\]' })).toBe('[s]\na\n[s]\nx\nb\n');
    expect(editLines('a\n', { line: 'x', insertafter: 'BOF' })).toBe('x\na\n');
    expect(editLines('a\n', { line: 'x', insertafter: 'EOF' })).toBe('a\nx\n');
    expect(editLines('a\n', { line: 'x', insertafter: '^nomatch' })).toBe('a\nx\n');
  });
  it('inserts before the first match of insertbefore, or BOF', () => {
    expect(editLines('a\nend\nend\n', { line: 'x', insertbefore: '^end' })).toBe('a\nx\nend\nend\n');
    expect(editLines('a\n', { line: 'x', insertbefore: 'BOF' })).toBe('x\na\n');
  });
  it('state absent removes every match, or the exact line', () => {
    expect(editLines('debug=1\na\ndebug=2\n', { regexp: '^debug', state: 'absent' })).toBe('a\n');
    expect(editLines('a\nb\na\n', { line: 'a', state: 'absent' })).toBe('b\n');
    expect(editLines('a\nb', { line: 'z', state: 'absent' })).toBe('a\nb');
    expect(editLines('a\n', { line: 'a', state: 'absent' })).toBe('');
  });
});
