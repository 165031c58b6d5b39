import { describe, expect, it } from 'vitest';
import { exprNames } from '../../../src/template/names.js';
import { referencedNames, renderString } from '../../../src/template/render.js';

describe('referencedNames', () => {
  it('lists root names of paths, helpers excluded', () => {
    expect(referencedNames('{{ a.b }} {{ upper c }} {{join d.e ","}} {{ f.[0] }}')).toEqual(['a', 'c', 'd', 'f']);
    expect(referencedNames('no template')).toEqual([]);
    expect(referencedNames('{{ broken')).toEqual([]);
  });

  it('skips this, data variables, block params and names inside #each/#with', () => {
    const t = '{{#each servers as |s|}}{{ s.name }}{{ name }}{{ @index }}{{ ../port }}{{ @root.domain }}{{/each}}{{#with cfg}}{{ x }}{{/with}}{{ this.y }}';
    expect(referencedNames(t)).toEqual(['servers', 'port', 'domain', 'cfg', 'y']);
  });

  it('skips the first argument of default / defined, keeps the fallback', () => {
    expect(referencedNames('{{default maybe fb}} {{#if (defined opt)}}{{ opt }}{{/if}}')).toEqual(['fb', 'opt']);
    expect(referencedNames("{{ maybe | default(other) }} {{ xs | join(sep) }} {{ m[k] }}")).toEqual(['other', 'xs', 'sep', 'm', 'k']);
  });

  it('counts #if conditions and the else branch of #each in the outer context', () => {
    expect(referencedNames('{{#if on}}{{ a }}{{/if}}{{#each xs}}{{ i }}{{else}}{{ none_msg }}{{/each}}')).toEqual(['on', 'a', 'xs', 'none_msg']);
  });
});

describe('exprNames', () => {
  it('lists root names of an expression', () => {
    expect(exprNames("a.b == 'x' and c[d] in e | default([])")).toEqual(['a', 'c', 'd']);
    expect(exprNames('x is defined and x.y > 1')).toEqual(['x']);
    expect(exprNames('y is not defined')).toEqual([]);
    expect(exprNames('{{ z }}')).toEqual(['z']);
    expect(exprNames('true and 1 < 2')).toEqual([]);
    expect(exprNames('a ==')).toEqual([]);
  });
});

describe('#if/#unless conditions', () => {
  it('treat a missing field as false but an undefined top-level variable as an error', () => {
    const v = { backends: [{ address: 'a' }, { address: 'b', backup: true }], cfg: {} };
    expect(renderString('{{#each backends}}{{address}}{{#if backup}}+{{/if}}{{#if this.backup}}!{{/if}};{{/each}}', v)).toBe('a;b+!;');
    expect(renderString('{{#each backends as |b|}}{{#unless b.backup}}-{{/unless}}{{/each}}', v)).toBe('-');
    expect(renderString('{{#if cfg.enabled}}on{{else}}off{{/if}}', v)).toBe('off');
    expect(() => renderString('{{#if enabeld}}on{{/if}}', v)).toThrow(/undefined variable 'enabeld'/);
    expect(() => renderString('{{#each backends}}{{#if @root.nope}}x{{/if}}{{/each}}', v)).toThrow(/undefined variable '@root.nope'/);
  });
});
