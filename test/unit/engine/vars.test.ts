import { describe, expect, it } from 'vitest';
import { hostvarsView, layeredVars } from '../../../src/executor/vars.js';

const empty = { inventory: {}, play: {}, varsFiles: {}, task: {}, registered: {}, extra: {}, magic: {} };

describe('layeredVars', () => {
  it('renders written variables lazily, by precedence', () => {
    const v = layeredVars({ ...empty, inventory: { port: 80, url: 'http://x:{{ port }}' }, play: { port: 8080 } });
    expect(v.url).toBe('http://x:8080');
  });

  it('keeps registered results and loop items as data: a "{{" in command output is text', () => {
    const v = layeredVars({ ...empty, registered: { r: { stdout: '{{ nope }}' } }, loop: { item: '{{ also_not }}' } });
    expect((v.r as { stdout: string }).stdout).toBe('{{ nope }}');
    expect(v.item).toBe('{{ also_not }}');
  });

  it('does not read every host of hostvars to build one host\'s variables', () => {
    let reads = 0;
    const hostvars = hostvarsView(['h1', 'h2', 'h3'], () => {
      reads++;
      return { inventoryVars: { broken: '{{ undefined_here }}' }, registered: {} };
    });
    const v = layeredVars({ ...empty, magic: { hostvars } });
    expect(v.hostvars).toBe(hostvars);
    expect(reads).toBe(0);
  });
});
