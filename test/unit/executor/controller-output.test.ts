import { describe, expect, it } from 'vitest';
import type { RunEvent, TaskOutcome, TaskRef } from '../../../src/core/types.js';
import { LiveReporter } from '../../../src/report/live.js';
import { plainReporter } from '../../../src/report/plain.js';
import { makeStyle } from '../../../src/report/style.js';

const task = (name: string): TaskRef => ({ id: `0/tasks/${name}`, name, module: 'debug', pos: { file: 'p.yml', line: 1, col: 1 }, handler: false });
const said: TaskOutcome = { status: 'ok', result: { msg: 'hello h1' }, message: 'hello h1\nsecond line', durationMs: 1 };
const rescued: TaskOutcome = { status: 'failed', result: {}, msg: 'boom', rescued: true, durationMs: 1 };
const events: RunEvent[] = [
  { type: 'play:start', play: 'p', index: 0, hosts: ['h1'] },
  { type: 'task:done', play: 'p', host: 'h1', task: task('say'), outcome: said },
  { type: 'task:done', play: 'p', host: 'h1', task: task('boom'), outcome: rescued },
  { type: 'play:end', play: 'p', index: 0 },
];

describe('debug messages and rescued failures in the text outputs', () => {
  it('plain output prints the message under an ok task and labels a rescued failure', () => {
    const out: string[] = [];
    const r = plainReporter((s) => out.push(s), { diff: false, verbose: false, check: false }, makeStyle(false));
    for (const e of events) r(e);
    const text = out.join('\n');
    expect(text).toContain('ok          h1  say');
    expect(text).toContain('    hello h1\n    second line');
    expect(text).toContain('rescued     h1  boom');
  });

  it('the live view prints the message of an ok task and does not count a rescued failure', async () => {
    const out: string[] = [];
    const live = new LiveReporter((s) => out.push(s), { diff: false, verbose: false, check: false }, makeStyle(false));
    for (const e of events) live.subscriber(e);
    await live.flush();
    const text = out.join('\n');
    expect(text).toContain('hello h1');
    expect(text).toContain('second line');
    expect(text).toContain('rescued h1  boom');
    expect(text).not.toContain('failed h1');
  });
});
