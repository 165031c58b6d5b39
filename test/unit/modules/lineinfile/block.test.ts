import { describe, expect, it } from 'vitest';
import { editBlock } from '../../../../modules/_lib/lines.js';

const B = '# BEGIN ANSIBLE MANAGED BLOCK';
const E = '# END ANSIBLE MANAGED BLOCK';

describe('editBlock (blockinfile)', () => {
  it('appends a new block with markers at EOF', () => {
    expect(editBlock('a', { block: 'x\ny\n' })).toBe(`a\n${B}\nx\ny\n${E}\n`);
  });
  it('is unchanged when the block is there, replaces it when it differs', () => {
    const t = `a\n${B}\nx\n${E}\nz\n`;
    expect(editBlock(t, { block: 'x' })).toBe(t);
    expect(editBlock(t, { block: 'q\nr' })).toBe(`a\n${B}\nq\nr\n${E}\nz\n`);
  });
  it('removes the block with state absent or an empty block', () => {
    const t = `a\n${B}\nx\n${E}\nz\n`;
    expect(editBlock(t, { state: 'absent' })).toBe('a\nz\n');
    expect(editBlock(t, { block: '' })).toBe('a\nz\n');
    expect(editBlock('a\n', { state: 'absent' })).toBe('a\n');
  });
  it('custom markers and insertbefore/insertafter', () => {
    expect(editBlock('a\n', { block: 'x', marker: '<!-- {mark} -->', marker_begin: 'S', marker_end: 'F', insertbefore: 'BOF' }))
      .toBe('<!-- S -->\nx\n<!-- F -->\na\n');
    expect(editBlock('a\nb\n', { block: 'x', insertafter: '^a' })).toBe(`a\n${B}\nx\n${E}\nb\n`);
    expect(editBlock('a\nb\n', { block: 'x', insertbefore: '^b' })).toBe(`a\n${B}\nx\n${E}\nb\n`);
  });
});
