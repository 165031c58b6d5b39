import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { pyYamlDump } from '../../../src/template/pyyaml.js';
import { renderString } from '../../../src/template/render.js';

// Each line: [value, yaml.dump(v, default_flow_style=False, indent=4), yaml.dump(v,
// default_flow_style=None), yaml.dump(v, default_flow_style=False, indent=2)], written by
// PyYAML 6.0 (allow_unicode=True): 9 chosen values and 80 random ones (quoting, folding at 80
// columns, nesting, empty collections, multi-line strings).
const cases = readFileSync(new URL('../../fixtures/pyyaml/dump.jsonl', import.meta.url), 'utf8')
  .trim()
  .split('\n')
  .map((l) => JSON.parse(l) as [unknown, string, string, string]);

describe("YAML written as PyYAML writes it (Ansible's to_yaml, to_nice_yaml)", () => {
  it('block style, indent 4 (to_nice_yaml)', () => {
    for (const [v, nice] of cases) expect(pyYamlDump(v, { indent: 4, flowLeaves: false }), JSON.stringify(v)).toBe(nice);
  });

  it('collections of scalars inline (to_yaml)', () => {
    for (const [v, , flow] of cases) expect(pyYamlDump(v, { indent: 2, flowLeaves: true }), JSON.stringify(v)).toBe(flow);
  });

  it('block style, indent 2', () => {
    for (const [v, , , two] of cases) expect(pyYamlDump(v, { indent: 2, flowLeaves: false }), JSON.stringify(v)).toBe(two);
  });

  it('through the filters', () => {
    const server = { listen: [80, 443], locations: [{ path: '/', root: '/srv/www' }] };
    expect(renderString('{{ s | to_nice_yaml }}', { s: server })).toBe('listen:\n- 80\n- 443\nlocations:\n-   path: /\n    root: /srv/www\n');
    expect(renderString('{{ s | to_yaml }}', { s: server })).toBe('listen: [80, 443]\nlocations:\n- {path: /, root: /srv/www}\n');
    expect(renderString('{{ s | to_nice_yaml(indent=2) }}', { s: server })).toBe('listen:\n- 80\n- 443\nlocations:\n- path: /\n  root: /srv/www\n');
  });
});
