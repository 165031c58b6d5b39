import { describe, expect, it } from 'vitest';
import { ConfigErrors } from '../../../src/core/errors.js';
import { loadPlaybook } from '../../../src/playbook/load.js';
import { builtinModules } from '../../../modules/index.js';

const knownModules = new Map(builtinModules.map((m) => [m.name, m]));

describe('the real module schemas name what a refused combination is', () => {
  it('one of two, not both, and at least one of', async () => {
    const f = 'test/fixtures/playbooks/param-combinations.yml';
    const err = await loadPlaybook(f, { knownModules }).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(ConfigErrors);
    expect((err as ConfigErrors).errors.map((e) => e.message)).toEqual([
      `${f}:3:7: tasks[0].copy: give only one of content, src`,
      `${f}:4:7: tasks[1].lineinfile: not allowed: insertafter together with insertbefore (give one of them)`,
      `${f}:5:7: tasks[2].nginx_lb: not allowed: backends together with group`,
      `${f}:6:7: tasks[3].nginx_lb: expected one of the keys 'backends', 'group' or 'backend'`,
    ]);
  });
});
