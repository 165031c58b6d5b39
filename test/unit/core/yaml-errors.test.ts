import { describe, expect, it } from 'vitest';
import { yamlErrorOffset } from '../../../src/core/yaml-errors.js';

describe('yamlErrorOffset: an unclosed flow collection points at its bracket', () => {
  const seqMsg = 'Flow sequence in block collection must be sufficiently indented and end with a ]';
  const mapMsg = 'Flow map in block collection must be sufficiently indented and end with a }';

  it('finds the [ that is never closed', () => {
    const text = '- a: [1, 2]\n- b: [3\n';
    expect(yamlErrorOffset(text, seqMsg, text.length)).toEqual({ offset: text.indexOf('[3'), note: 'the [ here is never closed' });
  });

  it('finds the { of a map, skipping brackets inside quotes and comments', () => {
    const text = 'x: "[not {this"  # nor [this\ny: {a: 1\n';
    expect(yamlErrorOffset(text, mapMsg, text.length)).toEqual({ offset: text.indexOf('{a'), note: 'the { here is never closed' });
  });

  it('the innermost open bracket of the right kind', () => {
    const text = 'a: {b: [1, {c: 2}, [3\n';
    expect(yamlErrorOffset(text, seqMsg, text.length).offset).toBe(text.indexOf('[3'));
    expect(yamlErrorOffset(text, mapMsg, text.length).offset).toBe(0 + text.indexOf('{b'));
  });

  it('other errors keep their own position', () => {
    expect(yamlErrorOffset('a: [1\n', 'Implicit keys need to be on a single line', 3)).toEqual({ offset: 3 });
    expect(yamlErrorOffset('a: 1]\n', seqMsg, 4)).toEqual({ offset: 4 });
  });
});
