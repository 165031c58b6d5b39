import { describe, expect, it } from 'vitest';
import { batchSize, computeBatches, exceedsFailPercentage } from '../../../src/rollout/batches.js';

const hosts = (n: number) => Array.from({ length: n }, (_, i) => `h${i + 1}`);

describe('computeBatches', () => {
  it('puts every host in one batch without serial', () => {
    expect(computeBatches(hosts(5))).toEqual([hosts(5)]);
  });
  it('repeats the last entry until hosts run out', () => {
    expect(computeBatches(hosts(5), [2])).toEqual([['h1', 'h2'], ['h3', 'h4'], ['h5']]);
  });
  it('takes a canary, then halves', () => {
    expect(computeBatches(hosts(9), [1, '50%']).map((b) => b.length)).toEqual([1, 4, 4]);
  });
  it('rounds percentages down but never below one host', () => {
    expect(batchSize('10%', 5)).toBe(1);
    expect(batchSize('50%', 5)).toBe(2);
    expect(batchSize('100%', 5)).toBe(5);
  });
  it('treats zero as all hosts', () => {
    expect(computeBatches(hosts(3), [0])).toEqual([hosts(3)]);
  });
  it('rejects nonsense', () => {
    expect(() => batchSize('half', 4)).toThrow(/number or a percentage/);
  });
  it('returns no batches for no hosts', () => {
    expect(computeBatches([], [1])).toEqual([]);
  });
});

describe('exceedsFailPercentage', () => {
  it('fails past the threshold only', () => {
    expect(exceedsFailPercentage(1, 4, 25)).toBe(false);
    expect(exceedsFailPercentage(2, 4, 25)).toBe(true);
    expect(exceedsFailPercentage(1, 4, 0)).toBe(true);
    expect(exceedsFailPercentage(0, 4, 0)).toBe(false);
    expect(exceedsFailPercentage(3, 4, undefined)).toBe(false);
  });
});
