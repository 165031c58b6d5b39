import type { HostCounts } from '../core/types.js';
import { rolloutSummary, type RolloutReport } from './rollout.js';
import { formatMs, type Style } from './style.js';

/** The recap table: host · ok · changed · failed · unreachable · skipped · time; then the rollout summary, if any. */
export function recapTable(hosts: Record<string, HostCounts>, style: Style, rollout?: RolloutReport): string {
  const names = Object.keys(hosts);
  if (names.length === 0) return 'RECAP: no hosts ran';
  const header = ['host', 'ok', 'changed', 'failed', 'unreachable', 'skipped', 'time'];
  const rows = names.map((n) => {
    const c = hosts[n];
    return [n, String(c.ok), String(c.changed), String(c.failed), String(c.unreachable), String(c.skipped), formatMs(c.timeMs)];
  });
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i].length)));
  const pad = (cells: string[]) => cells.map((c, i) => (i === 0 ? c.padEnd(widths[i]) : c.padStart(widths[i]))).join('  ');
  const lines = [style.bold('RECAP'), style.dim(pad(header))];
  for (const [i, r] of rows.entries()) {
    const c = hosts[names[i]];
    const line = pad(r);
    const paint = c.unreachable || c.failed ? style.red : c.changed ? style.yellow : style.green;
    lines.push(paint(line));
  }
  const summary = rolloutSummary(rollout, style);
  if (summary.length) lines.push('', ...summary);
  return lines.join('\n');
}
