import { existsSync } from 'node:fs';
import path from 'node:path';
import { isPlainObject } from '../template/runtime.js';
import type { LoopForm } from './types.js';

/** Where `with_first_found` looks for a relative name, in order (as Ansible: the role first, then the playbook). */
export function firstFoundDirs(roleDir: string | undefined, baseDir: string): string[] {
  const under = (d: string) => [path.join(d, 'files'), path.join(d, 'templates'), path.join(d, 'vars'), path.join(d, 'tasks'), d];
  return [...(roleDir ? under(roleDir) : []), ...under(baseDir)];
}

/**
 * The items of a `with_*` loop from its rendered value, as Ansible makes them:
 * - `flatten` (with_items): a list, lists in it flattened one level;
 * - `dict` (with_dict): a map becomes `{ key, value }` items, in the map's order;
 * - `nested` (with_nested): a list of lists becomes every combination, each a list;
 * - `first_found`: names (or `{ files, paths, skip }`) become the one first existing file
 *   (relative names searched in `dirs`), or nothing when `skip` is set.
 * Throws an Error saying what was expected when the value has the wrong shape.
 */
export function loopFormItems(form: LoopForm, value: unknown, dirs: readonly string[], exists: (p: string) => boolean = existsSync): unknown[] {
  switch (form) {
    case 'flatten': {
      const list = Array.isArray(value) ? value : [value];
      return list.flatMap((x) => (Array.isArray(x) ? x : [x]));
    }
    case 'dict': {
      if (!isPlainObject(value)) throw new Error(`with_dict expects a map, found ${shape(value)}`);
      return Object.entries(value).map(([key, v]) => ({ key, value: v }));
    }
    case 'nested': {
      if (!Array.isArray(value)) throw new Error(`with_nested expects a list of lists, found ${shape(value)}`);
      let out: unknown[][] = [[]];
      for (const part of value) {
        const list = Array.isArray(part) ? part : [part];
        out = out.flatMap((prefix) => list.map((x) => [...prefix, x]));
      }
      return value.length === 0 ? [] : out;
    }
    case 'first_found':
      return firstFound(value, dirs, exists);
  }
}

function firstFound(value: unknown, dirs: readonly string[], exists: (p: string) => boolean): unknown[] {
  const names: string[] = [];
  const paths: string[] = [];
  let skip = false;
  const add = (v: unknown) => {
    if (typeof v === 'string') names.push(...v.split(/[,;]/).map((s) => s.trim()).filter(Boolean));
    else if (isPlainObject(v)) {
      const files = v.files;
      for (const f of Array.isArray(files) ? files : [files]) if (typeof f === 'string') names.push(...f.split(/[,;]/).map((s) => s.trim()).filter(Boolean));
      const ps = v.paths;
      for (const p of Array.isArray(ps) ? ps : ps === undefined ? [] : [ps]) if (typeof p === 'string') paths.push(...p.split(/[,:;]/).map((s) => s.trim()).filter(Boolean));
      if (v.skip === true) skip = true;
    } else if (Array.isArray(v)) v.forEach(add);
    else throw new Error(`with_first_found expects file names or {files, paths}, found ${shape(v)}`);
  };
  add(value);
  const looked: string[] = [];
  for (const name of names) {
    const candidates = path.isAbsolute(name)
      ? [name]
      : paths.length
        ? paths.map((p) => path.resolve(dirs.at(-1) ?? '.', p, name))
        : dirs.map((d) => path.join(d, name));
    for (const c of candidates) {
      looked.push(c);
      if (exists(c)) return [c];
    }
  }
  if (skip) return [];
  throw new Error(`with_first_found: none of the files exists (looked at ${looked.join(', ') || 'no names'})`);
}

function shape(v: unknown): string {
  if (Array.isArray(v)) return 'a list';
  if (v === null || v === undefined) return 'nothing';
  if (typeof v === 'object') return 'a map';
  return `${typeof v} ${JSON.stringify(v)}`;
}
