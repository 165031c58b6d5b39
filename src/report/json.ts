import type { RunEvent } from '../core/types.js';

/** One JSON object per line; `run:end` becomes the summary line SPEC §8 describes. */
export function jsonReporter(write: (s: string) => void) {
  return (e: RunEvent): void => {
    if (e.type === 'run:end') {
      const hosts: Record<string, { ok: number; changed: number; failed: number; unreachable: number; skipped: number }> = {};
      for (const [h, c] of Object.entries(e.hosts)) {
        hosts[h] = { ok: c.ok, changed: c.changed, failed: c.failed, unreachable: c.unreachable, skipped: c.skipped };
      }
      write(JSON.stringify({ type: 'summary', hosts, exit: e.exit, duration_ms: e.durationMs, interrupted: e.interrupted }));
      return;
    }
    write(JSON.stringify(e));
  };
}
