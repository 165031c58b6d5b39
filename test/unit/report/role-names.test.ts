import { describe, expect, it } from 'vitest';
import type { RunEvent, TaskRef } from '../../../src/core/types.js';
import { LiveReporter } from '../../../src/report/live.js';
import { plainReporter } from '../../../src/report/plain.js';
import { makeStyle } from '../../../src/report/style.js';

const ref = (name: string, role?: string): TaskRef => ({ id: `0/tasks/${name}`, name, module: 'copy', handler: false, ...(role ? { role } : {}) });
const events: RunEvent[] = [
  { type: 'play:start', play: 'p', index: 0, hosts: ['h1'] },
  { type: 'task:done', play: 'p', host: 'h1', task: ref('Message of the day', 'common'), outcome: { status: 'changed', result: {}, changes: [{ field: 'state', before: 'absent', after: 'file' }], durationMs: 1 } },
  { type: 'task:done', play: 'p', host: 'h1', task: ref('Plain task'), outcome: { status: 'ok', result: {}, durationMs: 1 } },
  { type: 'play:end', play: 'p', index: 0 },
];

describe('a role task is shown as "role : name", as Ansible does', () => {
  it('in plain output', () => {
    const out: string[] = [];
    const r = plainReporter((s) => out.push(s), { diff: false, verbose: false, check: false }, makeStyle(false));
    for (const e of events) r(e);
    expect(out.join('\n')).toMatch(/changed {5}h1  common : Message of the day 1ms\nok {10}h1  Plain task 1ms/);
  });

  it('in the live view', async () => {
    const out: string[] = [];
    const live = new LiveReporter((s) => out.push(s), { diff: true, verbose: false, check: false }, makeStyle(false));
    for (const e of events) live.subscriber(e);
    await live.flush();
    expect(out.join('\n')).toContain('common : Message of the day');
  });
});
