/**
 * Pure text edits behind `lineinfile`: given a file's text and the parameters, the new text.
 * Ansible's rules: with regexp, the last matching line is replaced (state present) or every
 * matching line removed (state absent); without it, the exact line is looked for.
 */

export interface LineEdit {
  line?: string;
  regexp?: string;
  state?: 'present' | 'absent';
  insertafter?: string;
  insertbefore?: string;
}

function splitLines(text: string): string[] {
  if (text === '') return [];
  const lines = text.split('\n');
  if (lines[lines.length - 1] === '') lines.pop();
  return lines;
}

function lastIndex(lines: string[], re: RegExp): number {
  for (let i = lines.length - 1; i >= 0; i--) if (re.test(lines[i])) return i;
  return -1;
}

export function editLines(text: string, e: LineEdit): string {
  const lines = splitLines(text);
  const re = e.regexp !== undefined ? new RegExp(e.regexp) : undefined;
  const join = (ls: string[]) => (ls.length === 0 ? '' : ls.join('\n') + '\n');
  if ((e.state ?? 'present') === 'absent') {
    const kept = lines.filter((l) => (re ? !re.test(l) : l !== e.line));
    return kept.length === lines.length ? text : join(kept);
  }
  const line = e.line ?? '';
  if (re) {
    const i = lastIndex(lines, re);
    if (i >= 0) {
      if (lines[i] === line) return text;
      lines[i] = line;
      return join(lines);
    }
  }
  if (lines.includes(line)) return text;
  let at = lines.length;
  if (e.insertbefore !== undefined) {
    if (e.insertbefore === 'BOF') at = 0;
    else {
      const b = new RegExp(e.insertbefore);
      const i = lines.findIndex((l) => b.test(l));
      if (i >= 0) at = i;
    }
  } else if (e.insertafter !== undefined && e.insertafter !== 'EOF') {
    if (e.insertafter === 'BOF') at = 0;
    else {
      const i = lastIndex(lines, new RegExp(e.insertafter));
      if (i >= 0) at = i + 1;
    }
  }
  lines.splice(at, 0, line);
  return join(lines);
}

export interface BlockEdit {
  block?: string;
  marker?: string;
  marker_begin?: string;
  marker_end?: string;
  state?: 'present' | 'absent';
  insertafter?: string;
  insertbefore?: string;
}

/** blockinfile: the text between `{mark}` marker lines set to block (or removed). */
export function editBlock(text: string, e: BlockEdit): string {
  const marker = e.marker ?? '# {mark} ANSIBLE MANAGED BLOCK';
  const begin = marker.replace('{mark}', e.marker_begin ?? 'BEGIN');
  const end = marker.replace('{mark}', e.marker_end ?? 'END');
  const lines = splitLines(text);
  const join = (ls: string[]) => (ls.length === 0 ? '' : ls.join('\n') + '\n');
  const b = lines.indexOf(begin);
  const en = b >= 0 ? lines.indexOf(end, b + 1) : -1;
  const body = splitLines(e.block ?? '');
  const absent = (e.state ?? 'present') === 'absent' || body.length === 0;
  const want = absent ? [] : [begin, ...body, end];
  if (b >= 0 && en >= 0) {
    const cur = lines.slice(b, en + 1);
    if (cur.length === want.length && cur.every((l, i) => l === want[i])) return text;
    lines.splice(b, en - b + 1, ...want);
    return join(lines);
  }
  if (absent) return text;
  let at = lines.length;
  if (e.insertbefore !== undefined) {
    if (e.insertbefore === 'BOF') at = 0;
    else {
      const re = new RegExp(e.insertbefore);
      const i = lines.findIndex((l) => re.test(l));
      if (i >= 0) at = i;
    }
  } else if (e.insertafter !== undefined && e.insertafter !== 'EOF') {
    if (e.insertafter === 'BOF') at = 0;
    else {
      const i = lastIndex(lines, new RegExp(e.insertafter));
      if (i >= 0) at = i + 1;
    }
  }
  lines.splice(at, 0, ...want);
  return join(lines);
}
