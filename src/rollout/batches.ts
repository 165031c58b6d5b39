/**
 * Split hosts into batches the way Ansible's `serial` does: each entry is a count or a
 * percentage of all hosts (rounded down, at least 1); the last entry repeats until no hosts
 * are left. No serial: one batch of everything.
 */
export function computeBatches<T>(hosts: readonly T[], serial?: readonly (number | string)[]): T[][] {
  if (hosts.length === 0) return [];
  if (!serial || serial.length === 0) return [hosts.slice()];
  const sizes = serial.map((s) => batchSize(s, hosts.length));
  const out: T[][] = [];
  let i = 0;
  let k = 0;
  while (i < hosts.length) {
    const size = sizes[Math.min(k, sizes.length - 1)];
    out.push(hosts.slice(i, i + size));
    i += size;
    k++;
  }
  return out;
}

export function batchSize(entry: number | string, total: number): number {
  if (typeof entry === 'number') return entry <= 0 ? total : Math.floor(entry);
  const m = /^\s*(\d+(?:\.\d+)?)\s*%\s*$/.exec(entry);
  if (m) return Math.max(1, Math.floor((Number(m[1]) / 100) * total));
  const n = Number(entry);
  if (Number.isFinite(n)) return n <= 0 ? total : Math.floor(n);
  throw new Error(`serial entry must be a number or a percentage, found ${JSON.stringify(entry)}`);
}

/** Ansible's rule: a batch fails the play when failed/total exceeds max_fail_percentage. */
export function exceedsFailPercentage(failed: number, total: number, maxFailPercentage?: number): boolean {
  if (maxFailPercentage === undefined || total === 0) return false;
  return (failed / total) * 100 > maxFailPercentage;
}
