import { describe, expect, it } from 'vitest';
import type { TaskOutcome } from '../../../src/core/types.js';
import { outcomeDetail } from '../../../src/report/plain.js';
import { makeStyle } from '../../../src/report/style.js';

const item = (item: string, status: TaskOutcome['status'], changes?: string[], msg?: string): TaskOutcome => ({ item, status, result: {}, durationMs: 1, ...(changes ? { changes } : {}), ...(msg ? { msg } : {}) });

describe('the lines under a loop task with -v', () => {
  it('account for every item once: by what it changed, else by its status', () => {
    const o: TaskOutcome = {
      status: 'changed',
      result: {},
      durationMs: 3,
      items: [item('a', 'changed', ['state: absent → directory'], 'mkdir a'), item('b', 'ok'), item('c', 'skipped', undefined, 'conditional result was false')],
    };
    expect(outcomeDetail(o, { verbose: true, diff: false, check: false }, makeStyle(false))).toEqual([
      'changed [a]: state: absent → directory',
      'item b: ok',
      'item c: skipped — conditional result was false',
    ]);
  });
});
