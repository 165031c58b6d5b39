import { describe, expect, it } from 'vitest';
import { J2SyntaxError, lexJ2 } from '../../../src/template/j2lex.js';

const texts = (src: string) =>
  lexJ2(src).map((t) => (t.k === 'text' ? t.text : t.k === 'var' ? `{{${t.src}}}` : `{%${t.src}%}`));

describe('j2 lexer', () => {
  it('splits text, expressions and statements with offsets', () => {
    expect(lexJ2('a {{ x }} b')).toEqual([
      { k: 'text', text: 'a ', s: 0 },
      { k: 'var', src: 'x', s: 5 },
      { k: 'text', text: ' b', s: 9 },
    ]);
  });
  it('trim_blocks removes the first newline after a block tag and a comment, not after }}', () => {
    expect(texts('{% if a %}\nA\n{% endif %}\n{{ b }}\nend\n{# c #}\nz')).toEqual([
      '{%if a%}', 'A\n', '{%endif%}', '{{b}}', '\nend\n', 'z',
    ]);
  });
  it('lstrip_blocks is off: indentation before a tag stays', () => {
    expect(texts('  {% if a %}\nx')).toEqual(['  ', '{%if a%}', 'x']);
  });
  it('- markers strip all whitespace on their side', () => {
    expect(texts('a  \n {%- if x -%}  \n b {{- y -}} \n c')).toEqual(['a', '{%if x%}', 'b', '{{y}}', 'c']);
  });
  it('keeps raw bodies as text and drops comments', () => {
    expect(texts('{% raw %}{{ x }}{% endraw %}{# {{ y }} #}!')).toEqual(['{{ x }}', '!']);
  });
  it('skips delimiters inside string literals', () => {
    expect(texts("{{ '}}' ~ x }}")).toEqual(["{{'}}' ~ x}}"]);
  });
  it('an expression may hold map literals: }} inside brackets does not close it', () => {
    expect(texts("{{ {'a': {'b': 1}} }}|{{ [{'c': 2}] }}")).toEqual(["{{{'a': {'b': 1}}}}", '|', "{{[{'c': 2}]}}"]);
    expect(texts("{{ 'it\\'s }}' }}")).toEqual(["{{'it\\'s }}'}}"]);
  });
  it('lstrip_blocks strips the indentation before block tags and comments only, unless {%+', () => {
    const src = 'a\n  {% if x %}\n  {{ y }}\n\t{# c #}\n  {%+ endif %}';
    expect(texts(src)).toEqual(['a\n  ', '{%if x%}', '  ', '{{y}}', '\n\t', '  ', '{%endif%}']);
    expect(lexJ2(src, { lstripBlocks: true }).map((t) => (t.k === 'text' ? t.text : t.k))).toEqual(['a\n', 'stmt', '  ', 'var', '\n', '  ', 'stmt']);
  });
  it('trim_blocks can be turned off; +%} keeps the newline', () => {
    expect(texts('{% if a %}\nA{% endif +%}\nB')).toEqual(['{%if a%}', 'A', '{%endif%}', '\nB']);
    expect(lexJ2('{% if a %}\nA', { trimBlocks: false }).map((t) => (t.k === 'text' ? t.text : t.k))).toEqual(['stmt', '\nA']);
  });
  it('reports unterminated tags at their offset', () => {
    expect(() => lexJ2('ab {% if x')).toThrow(J2SyntaxError);
    let offset = -1;
    try {
      lexJ2('ab {{ x');
    } catch (e) {
      offset = (e as J2SyntaxError).offset;
    }
    expect(offset).toBe(3);
  });
});
