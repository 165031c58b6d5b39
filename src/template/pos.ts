import type { SourcePos } from '../core/errors.js';

/**
 * The source position of character `offset` of a string that starts at `base`. Exact for
 * single-line values; for multi-line ones, exact for block scalars (`|`, `>`) whose `base` is
 * their first content character (every line shares that indentation), close otherwise.
 */
export function posAt(base: SourcePos | undefined, text: string, offset: number): SourcePos | undefined {
  if (!base) return undefined;
  const before = text.slice(0, Math.max(0, Math.min(offset, text.length)));
  const nl = before.lastIndexOf('\n');
  if (nl < 0) return { ...base, col: base.col + before.length };
  let lines = 0;
  for (const c of before) if (c === '\n') lines++;
  return { ...base, line: base.line + lines, col: base.col + (before.length - nl - 1) };
}

/** Offset of a 1-based line and 0-based column in a text. */
export function offsetOf(text: string, line: number, column: number): number {
  let off = 0;
  for (let l = 1; l < line; l++) {
    const nl = text.indexOf('\n', off);
    if (nl < 0) return text.length;
    off = nl + 1;
  }
  return Math.min(off + column, text.length);
}

/** Where a template or expression was written: its position and what messages name. */
export interface TemplateWhere {
  /** Position of the first character. */
  pos?: SourcePos;
  /** Name of the task, quoted in messages: `… in task "Deploy"`. */
  task?: string;
  /** Free-form context used instead of a task name: `… in ${what}`. */
  what?: string;
}

/** The end of a message naming where: ` in task "Deploy"`, ` in template`, or nothing. */
export function inWhere(where: TemplateWhere): string {
  if (where.task !== undefined) return ` in task "${where.task}"`;
  return where.what !== undefined ? ` in ${where.what}` : '';
}
