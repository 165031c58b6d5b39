import { describe, expect, it } from 'vitest';
import { taskSelected } from '../../../src/executor/select.js';
import type { Play, Task } from '../../../src/playbook/types.js';

const play = (tags: string[] = []) => ({ tags }) as unknown as Play;
const task = (tags: string[]) => ({ tags }) as unknown as Task;
const sel = (t: string[], f: { tags?: string[]; skipTags?: string[] }, p: string[] = []) =>
  taskSelected(play(p), task(t), { tags: f.tags ?? [], skipTags: f.skipTags ?? [] });

describe('tag selection', () => {
  it('runs everything but never-tagged tasks by default', () => {
    expect(sel([], {})).toBe(true);
    expect(sel(['a'], {})).toBe(true);
    expect(sel(['never', 'debug'], {})).toBe(false);
  });
  it('selects by --tags, keeping always', () => {
    expect(sel(['a'], { tags: ['a'] })).toBe(true);
    expect(sel(['b'], { tags: ['a'] })).toBe(false);
    expect(sel(['always'], { tags: ['a'] })).toBe(true);
    expect(sel([], { tags: ['a'] }, ['a'])).toBe(true); // play tags inherit
  });
  it('runs never-tagged tasks only when asked for by another of their tags', () => {
    expect(sel(['never', 'debug'], { tags: ['debug'] })).toBe(true);
    expect(sel(['never', 'debug'], { tags: ['all'] })).toBe(false);
  });
  it('skips by --skip-tags, even always when named', () => {
    expect(sel(['a'], { skipTags: ['a'] })).toBe(false);
    expect(sel(['always'], { skipTags: ['a'] })).toBe(true);
    expect(sel(['always'], { skipTags: ['always'] })).toBe(false);
  });
  it('knows tagged and untagged', () => {
    expect(sel([], { tags: ['untagged'] })).toBe(true);
    expect(sel(['x'], { tags: ['untagged'] })).toBe(false);
    expect(sel(['x'], { tags: ['tagged'] })).toBe(true);
  });
});
