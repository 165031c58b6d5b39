import { describe, expect, it } from 'vitest';
import { affects, needsGuard } from '../../../src/executor/fused-loop.js';

describe('which fused items need a guard', () => {
  const exists = (path: string) => ({ path, kind: 'exists' as const });
  const stat = (path: string) => ({ path, kind: 'stat' as const });

  it('a write changes the path, what is under it and the size of the folder it is in', () => {
    expect(affects('/srv/a', exists('/srv/a'))).toBe(true);
    expect(affects('/srv/a', exists('/srv/a/b/c'))).toBe(true);
    expect(affects('/', stat('/srv'))).toBe(true);
    expect(affects('/srv/a/x', stat('/srv/a'))).toBe(true);
    // whether a folder is there does not change with what is put in it, nor a sibling with its sibling
    expect(affects('/srv/a/x', exists('/srv/a'))).toBe(false);
    expect(affects('/srv/a/x/y', stat('/srv/a'))).toBe(false);
    expect(affects('/srv/ab', exists('/srv/a'))).toBe(false);
    expect(affects('/srv/a', stat('/srv/ab'))).toBe(false);
  });

  it('is needed after a write that can change what the item read, or any write when either is unknown', () => {
    const reads = [exists('/srv/app/data'), exists('/srv/app')];
    expect(needsGuard(reads, [])).toBe(false);
    expect(needsGuard(reads, [['/srv/app/conf'], ['/srv/other']])).toBe(false);
    expect(needsGuard(reads, [['/srv/app/conf'], ['/srv/app']])).toBe(true);
    expect(needsGuard(reads, [undefined])).toBe(true);
    expect(needsGuard(undefined, [['/elsewhere']])).toBe(true);
    expect(needsGuard(undefined, [])).toBe(false);
    // a path that is not absolute and normalized is not compared by name
    expect(needsGuard(reads, [['/srv/x/../app']])).toBe(true);
    expect(needsGuard(reads, [['relative']])).toBe(true);
  });
});
