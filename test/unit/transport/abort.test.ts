// A run's abort signal is shared by every command in flight on every host: listening on it
// from 60 commands must not print Node's "possible EventTarget memory leak" warning.
import { describe, expect, it } from 'vitest';
import { onAbortOnce } from '../../../src/transport/common.js';

describe('onAbortOnce', () => {
  it('takes many listeners on one signal without a leak warning and calls each once', async () => {
    const warnings: string[] = [];
    const onWarning = (w: Error) => warnings.push(`${w.name}: ${w.message}`);
    process.on('warning', onWarning);
    try {
      const ac = new AbortController();
      const calls = Array<number>(60).fill(0);
      for (let i = 0; i < 60; i++) onAbortOnce(ac.signal, () => calls[i]!++);
      ac.abort();
      ac.abort();
      await new Promise<void>((r) => setImmediate(r));
      expect(calls).toEqual(Array(60).fill(1));
      expect(warnings.filter((w) => w.includes('MaxListeners'))).toEqual([]);
    } finally {
      process.off('warning', onWarning);
    }
  });
});
