import { describe, expect, it } from 'vitest';
import { parseYaml } from '../../../src/inventory/yaml-source.js';
import { SourceFile } from '../../../src/playbook/yaml.js';

// What PyYAML 6 (and so Ansible) makes of each plain scalar, recorded from yaml.safe_load.
const PYYAML: [string, unknown][] = [
  ['e0', 'e0'], ['E5', 'E5'], ['.', '.'], ['._', '._'], ['.e1', '.e1'], ['1e3', '1e3'], ['1.0e3', '1.0e3'],
  ['1.0e+3', 1000], ['.5', 0.5], ['-.5', '-.5'], ['+.5', '+.5'], ['1.5', 1.5], ['1.', 1], ['.5e+1', 5],
  ['1_000', 1000], ['09', '09'], ['0755', 493], ['0x1F', 31], ['yes', true], ['y', 'y'], ['80:80', '80:80'],
];

describe('plain scalars as PyYAML reads them', () => {
  it('in inventories and in playbooks alike (no NaN from e0 or .)', () => {
    for (const [text, want] of PYYAML) {
      expect(parseYaml(`a: ${text}`, 'inv.yml').doc.toJS().a, `inventory ${text}`).toEqual(want);
      expect(new SourceFile('p.yml', `a: ${text}`).doc.toJS().a, `playbook ${text}`).toEqual(want);
    }
  });

  it('base 60: PyYAML reads 190:20:30 as a number; playbooks keep it a string (port lists)', () => {
    expect(parseYaml('a: 190:20:30', 'inv.yml').doc.toJS().a).toBe(685230);
    expect(new SourceFile('p.yml', 'a: 190:20:30').doc.toJS().a).toBe('190:20:30');
  });
});
