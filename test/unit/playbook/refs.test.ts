import { describe, expect, it } from 'vitest';
import { loadPlaybook } from '../../../src/playbook/load.js';
import { playDefinitions, playReferences } from '../../../src/playbook/refs.js';
import { knownModules } from './modules.js';

describe('playReferences / playDefinitions', () => {
  it('list the names a play reads and defines', async () => {
    const pb = await loadPlaybook('test/fixtures/playbooks/valid.yml', { knownModules });
    const play = pb.plays[0];
    const refs = playReferences(play);
    const names = [...new Set(refs.map((r) => r.name))];
    expect(names).toEqual(['app', 'app_dir', 'version', 'kernel', 'item', 'servers', 'server', 'health', 'extra_flag']);
    const dest = refs.find((r) => r.name === 'app_dir');
    expect(dest).toMatchObject({ task: 'App config', pos: { line: 19, col: 16 } });
    const defined = playDefinitions(play);
    for (const n of ['version', 'app_dir', 'kernel', 'health', 'server', 'idx', 'extra_flag', 'ansible_loop']) expect(defined.has(n), n).toBe(true);
    expect(defined.has('app')).toBe(false); // from vars_files: the caller's to add
  });
});
