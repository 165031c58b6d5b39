import { createTwoFilesPatch } from 'diff';
import type { FileDiff } from '../core/module.js';

/** A unified diff of one FileDiff, without jsdiff's "Index:"/"====" preamble. */
export function unifiedDiff(d: FileDiff): string {
  const patch = createTwoFilesPatch(`before: ${d.label}`, `after: ${d.label}`, d.before, d.after, '', '', { context: 3 });
  return patch
    .split('\n')
    .filter((l) => !l.startsWith('=====') && !l.startsWith('Index:'))
    .join('\n')
    .replace(/\t$/gm, '')
    .trimEnd();
}
