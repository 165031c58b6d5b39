import type { Play, Section, Task } from '../playbook/types.js';

export interface TagFilter {
  tags: string[];
  skipTags: string[];
}

/**
 * Whether a task runs under --tags/--skip-tags, with Ansible's special tags: `always` runs
 * unless skipped by name, `never` runs only when asked for by one of its other tags (or
 * `never`), `all` is everything but `never`, `tagged`/`untagged` select by having tags.
 */
export function taskSelected(play: Play, task: Task, f: TagFilter): boolean {
  const tags = new Set([...play.tags, ...task.tags]);
  const has = (t: string) => tags.has(t);
  const hit = (list: string[]) =>
    list.some((t) => has(t) || (t === 'tagged' && tags.size > 0) || (t === 'untagged' && tags.size === 0));
  if (f.skipTags.length > 0 && (hit(f.skipTags) || (f.skipTags.includes('all') && !has('always')))) return false;
  if (has('never')) {
    const others = [...tags].filter((t) => t !== 'never' && t !== 'always');
    return f.tags.includes('never') || others.some((t) => f.tags.includes(t));
  }
  if (f.tags.length === 0 || f.tags.includes('all')) return true;
  return has('always') || hit(f.tags);
}

export const SECTIONS: Section[] = ['pre_tasks', 'tasks', 'post_tasks'];

/** The tasks of a section that run under the tag filter, with stable ids. */
export function sectionTasks(play: Play, playIndex: number, section: Section, f: TagFilter): { task: Task; id: string }[] {
  return play.sections[section]
    .map((task, i) => ({ task, id: `${playIndex}/${section}/${i}` }))
    .filter(({ task }) => taskSelected(play, task, f));
}
