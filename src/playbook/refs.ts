import type { SourcePos } from '../core/errors.js';
import { exprNames, referencedNames } from '../template/names.js';
import { isPlainObject } from '../template/runtime.js';
import type { Play, Task } from './types.js';

/** A variable a play reads, and where. */
export interface NameRef {
  name: string;
  pos: SourcePos;
  /** The task reading it (undefined: play vars). */
  task?: string;
}

/** Loop helpers defined while a task loops. */
const LOOP_NAMES = ['ansible_loop', 'ansible_loop_var', 'ansible_index_var'];

function templates(value: unknown, at: string, visit: (text: string, at: string) => void): void {
  if (typeof value === 'string') {
    if (value.includes('{{')) visit(value, at);
  } else if (Array.isArray(value)) {
    value.forEach((v, i) => templates(v, at === '' ? String(i) : `${at}/${i}`, visit));
  } else if (isPlainObject(value)) {
    for (const k of Object.keys(value)) templates(value[k], at === '' ? k : `${at}/${k}`, visit);
  }
}

function taskRefs(task: Task, out: NameRef[]): void {
  const add = (names: string[], pos: SourcePos) => {
    for (const name of names) out.push({ name, pos, task: task.name });
  };
  templates(task.args, '', (text, at) => add(referencedNames(text), task.templatePos?.[at] ?? task.pos));
  templates(task.vars, '', (text) => add(referencedNames(text), task.pos));
  if (task.loop) templates(task.loop.value, '', (text) => add(referencedNames(text), task.loop!.pos));
  for (const s of [task.name, task.delegateTo, task.loopLabel]) if (s) add(referencedNames(s), task.pos);
  for (const c of [...task.when, ...task.changedWhen, ...task.failedWhen, ...task.until]) add(exprNames(c.value), c.pos);
}

/**
 * Every root variable name the play's templates and expressions read (names under
 * `is defined` / `default` excluded): for the static check that catches a name nothing
 * could define before any host is touched.
 */
export function playReferences(play: Play): NameRef[] {
  const out: NameRef[] = [];
  templates(play.vars, '', (text) => {
    for (const name of referencedNames(text)) out.push({ name, pos: play.pos });
  });
  for (const t of [...play.sections.pre_tasks, ...play.sections.tasks, ...play.sections.post_tasks, ...play.handlers]) {
    taskRefs(t, out);
  }
  return out;
}

/**
 * Names the play itself defines: play vars, task vars, registered results, loop variables.
 * (vars_files, inventory, -e and magic variables are the caller's to add.)
 */
export function playDefinitions(play: Play): Set<string> {
  const out = new Set<string>(Object.keys(play.vars));
  for (const t of [...play.sections.pre_tasks, ...play.sections.tasks, ...play.sections.post_tasks, ...play.handlers]) {
    for (const k of Object.keys(t.vars)) out.add(k);
    if (t.register) out.add(t.register);
    if (t.loop) {
      out.add(t.loopVar);
      if (t.indexVar) out.add(t.indexVar);
      for (const n of LOOP_NAMES) out.add(n);
    }
  }
  return out;
}
