import { createRequire } from 'node:module';
import type { FileDiff } from '../core/module.js';

/** jsdiff is loaded with the first diff shown, not at start-up. */
let jsdiff: typeof import('diff') | undefined;
const loadDiff = () => (jsdiff ??= createRequire(import.meta.url)('diff') as typeof import('diff'));

/** A unified diff of one FileDiff, without jsdiff's "Index:"/"====" preamble. */
export function unifiedDiff(d: FileDiff): string {
  const patch = loadDiff().createTwoFilesPatch(`before: ${d.label}`, `after: ${d.label}`, d.before, d.after, '', '', { context: 3 });
  return patch
    .split('\n')
    .filter((l) => !l.startsWith('=====') && !l.startsWith('Index:'))
    .join('\n')
    .replace(/\t$/gm, '')
    .trimEnd();
}
