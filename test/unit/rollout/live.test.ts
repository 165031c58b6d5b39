import { describe, expect, it } from 'vitest';
import type { RunEvent } from '../../../src/core/types.js';
import { LiveReporter } from '../../../src/report/live.js';
import { makeStyle } from '../../../src/report/style.js';

describe('live view of a rollout', () => {
  it('prints the check-mode batch plan and the failed batch, rollback and hosts left drained under the play', async () => {
    const out: string[] = [];
    const live = new LiveReporter((s) => out.push(s), { diff: false, verbose: false, check: true }, makeStyle(false));
    const events: RunEvent[] = [
      { type: 'play:start', play: 'web', index: 0, hosts: ['h1', 'h2', 'h3'] },
      { type: 'rollout:plan', play: 'web', batches: [['h1'], ['h2', 'h3']], notUndoable: [] },
      { type: 'rollout:batch', play: 'web', batch: 1, total: 2, hosts: ['h1'] },
      { type: 'rollout:failed', play: 'web', batch: 1, hosts: ['h1'], action: 'rollback' },
      { type: 'rollout:rolled_back', play: 'web', batch: 1, host: 'h1', undone: ['app (docker_container)'], notUndoable: ['restart (command)'], undoFailed: [] },
      { type: 'rollout:drained_left', play: 'web', batch: 1, hosts: ['h1'], reason: 'failed' },
      { type: 'play:end', play: 'web', index: 0 },
    ];
    for (const e of events) live.subscriber(e);
    await live.flush();
    const text = out.join('\n').split('\n');
    const at = (s: string) => text.indexOf(s);
    expect(at('PLAY web')).toBeGreaterThan(-1);
    expect(at('rollout plan for "web": batch 1/2: h1; batch 2/2: h2, h3')).toBeGreaterThan(at('PLAY web'));
    expect(at('rollout batch 1 failed on h1; on_failure: rollback, no further batches run')).toBeGreaterThan(-1);
    expect(at('rolled back h1: app (docker_container); cannot undo: restart (command)')).toBeGreaterThan(-1);
    expect(at('left drained on the LB: h1')).toBeGreaterThan(-1);
  });
});
