/**
 * The template-level lexer of `.j2` files: splits a template into text, `{{ expression }}` and
 * `{% statement %}` tokens, dropping `{# comments #}`, keeping `{% raw %}` bodies as text, and
 * applying Jinja's whitespace rules as Ansible's template module sets them: `trim_blocks` on
 * (the first newline after a block tag or comment is removed), `lstrip_blocks` off, and the
 * `-` markers (`{%-`, `-%}`, `{{-`, `-}}`, `{#-`, `-#}`) strip all whitespace before / after.
 * The expressions themselves are parsed by the one expression parser (expr.ts).
 */

export type J2Token =
  | { k: 'text'; text: string; s: number }
  /** `src` is the inner text; `s` the offset of its first character in the template. */
  | { k: 'var'; src: string; s: number }
  | { k: 'stmt'; src: string; s: number };

export interface J2LexOptions {
  /** Remove the first newline after a block tag or comment (default on, as in Ansible). */
  trimBlocks?: boolean;
  /** Strip spaces and tabs from the start of a line up to a block tag or comment (default off). */
  lstripBlocks?: boolean;
  /**
   * A `{#` without a closing `#}` is text, not an error (playbook strings: a shell's
   * `${#list[@]}` is not a comment).
   */
  openCommentIsText?: boolean;
}

export class J2SyntaxError extends Error {
  constructor(
    message: string,
    readonly offset: number,
  ) {
    super(message);
  }
}

/**
 * Offset of the closing delimiter `close`, skipping string literals and balanced brackets
 * (`{{ {'a': {'b': 1}} }}`); -1 if none.
 */
function findClose(src: string, from: number, close: string): number {
  let i = from;
  let depth = 0;
  while (i < src.length) {
    const c = src[i];
    if (c === "'" || c === '"') {
      let end = i + 1;
      while (end < src.length && src[end] !== c) end += src[end] === '\\' ? 2 : 1;
      if (end >= src.length) return -1;
      i = end + 1;
      continue;
    }
    if (depth === 0 && src.startsWith(close, i)) return i;
    if (c === '{' || c === '[' || c === '(') depth++;
    else if ((c === '}' || c === ']' || c === ')') && depth > 0) depth--;
    i++;
  }
  return -1;
}

const RAW_END = /\{%([-+]?)\s*endraw\s*([-+]?)%\}/g;

export function lexJ2(src: string, opts: J2LexOptions = {}): J2Token[] {
  const trimBlocks = opts.trimBlocks ?? true;
  const lstripBlocks = opts.lstripBlocks ?? false;
  const out: J2Token[] = [];
  let i = 0;
  let stripNext = false; // a `-` marker on the previous tag
  let trimNl = false; // trim_blocks after the previous block tag / comment

  /** Spaces and tabs ending `t` when nothing but them stands between the last newline (or the start) and the end. */
  const lineIndent = (t: string, s: number): number => {
    const m = /[ \t]*$/.exec(t)!;
    const before = m.index > 0 ? t[m.index - 1] : s === 0 || src[s - 1] === '\n' ? '\n' : '';
    return before === '\n' || (m.index === 0 && s === 0) ? m[0].length : 0;
  };
  const pushText = (text: string, s: number, stripRight: boolean, lstrip = false): void => {
    let t = text;
    let start = s;
    if (stripNext) {
      const lead = t.length - t.trimStart().length;
      t = t.slice(lead);
      start += lead;
    } else if (trimNl) {
      if (t.startsWith('\n')) { t = t.slice(1); start++; }
      else if (t.startsWith('\r\n')) { t = t.slice(2); start += 2; }
    }
    if (stripRight) t = t.trimEnd();
    else if (lstrip) t = t.slice(0, t.length - lineIndent(t, start));
    stripNext = false;
    trimNl = false;
    if (t) out.push({ k: 'text', text: t, s: start });
  };

  while (i <= src.length) {
    const open = src.slice(i).search(/\{[{%#]/);
    if (open < 0) {
      pushText(src.slice(i), i, false);
      break;
    }
    const at = i + open;
    const kind = src[at + 1];
    const minus = src[at + 2] === '-';
    const plus = src[at + 2] === '+' && kind !== '{';
    pushText(src.slice(i, at), i, minus, lstripBlocks && kind !== '{' && !plus);
    const inner = at + 2 + (minus || plus ? 1 : 0);
    if (kind === '#') {
      const end = src.indexOf('#}', inner);
      if (end < 0) {
        if (!opts.openCommentIsText) throw new J2SyntaxError('unterminated comment: missing #}', at);
        pushText(src.slice(at, at + 2), at, false);
        i = at + 2;
        continue;
      }
      stripNext = src[end - 1] === '-' && end - 1 >= inner;
      trimNl = trimBlocks && !(src[end - 1] === '+' && end - 1 >= inner);
      i = end + 2;
      continue;
    }
    const close = kind === '{' ? '}}' : '%}';
    const end = findClose(src, inner, close);
    if (end < 0) throw new J2SyntaxError(`unterminated ${kind === '{' ? 'expression: missing }}' : 'tag: missing %}'}`, at);
    const rminus = src[end - 1] === '-' && end - 1 >= inner;
    const rplus = kind !== '{' && src[end - 1] === '+' && end - 1 >= inner;
    const body = src.slice(inner, rminus || rplus ? end - 1 : end);
    const lead = body.length - body.trimStart().length;
    const code = body.trim();
    i = end + 2;
    if (kind === '{') {
      if (!code) throw new J2SyntaxError('empty expression', at);
      out.push({ k: 'var', src: code, s: inner + lead });
      stripNext = rminus;
      continue;
    }
    if (code === 'raw') {
      RAW_END.lastIndex = i;
      const m = RAW_END.exec(src);
      if (!m) throw new J2SyntaxError('{% raw %} without {% endraw %}', at);
      stripNext = rminus;
      trimNl = trimBlocks && !rplus;
      pushText(src.slice(i, m.index), i, m[1] === '-', lstripBlocks && m[1] !== '+');
      stripNext = m[2] === '-';
      trimNl = trimBlocks && m[2] !== '+';
      i = m.index + m[0].length;
      continue;
    }
    if (!code) throw new J2SyntaxError('empty tag', at);
    out.push({ k: 'stmt', src: code, s: inner + lead });
    stripNext = rminus;
    trimNl = trimBlocks && !rplus;
  }
  return out;
}
