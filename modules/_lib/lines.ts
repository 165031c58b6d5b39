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

function joinLines(lines: string[]): string {
  return lines.length === 0 ? '' : `${lines.join('\n')}\n`;
}

/**
 * Where new lines go: before the first line matching insertbefore (BOF: the top), else after
 * the last line matching insertafter (BOF: the top), else at the end (also when nothing matches).
 */
function insertionIndex(lines: string[], e: { insertafter?: string; insertbefore?: string }): number {
  if (e.insertbefore !== undefined) {
    if (e.insertbefore === 'BOF') return 0;
    const re = new RegExp(e.insertbefore);
    const i = lines.findIndex((l) => re.test(l));
    return i >= 0 ? i : lines.length;
  }
  if (e.insertafter !== undefined && e.insertafter !== 'EOF') {
    if (e.insertafter === 'BOF') return 0;
    const i = lastIndex(lines, new RegExp(e.insertafter));
    return i >= 0 ? i + 1 : lines.length;
  }
  return lines.length;
}

export function editLines(text: string, e: LineEdit): string {
  const lines = splitLines(text);
  const re = e.regexp !== undefined ? new RegExp(e.regexp) : undefined;
  if ((e.state ?? 'present') === 'absent') {
    const kept = lines.filter((l) => (re ? !re.test(l) : l !== e.line));
    return kept.length === lines.length ? text : joinLines(kept);
  }
  const line = e.line ?? '';
  if (re) {
    const i = lastIndex(lines, re);
    if (i >= 0) {
      if (lines[i] === line) return text;
      lines[i] = line;
      return joinLines(lines);
    }
  }
  if (lines.includes(line)) return text;
  lines.splice(insertionIndex(lines, e), 0, line);
  return joinLines(lines);
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
  const b = lines.indexOf(begin);
  const en = b >= 0 ? lines.indexOf(end, b + 1) : -1;
  const body = splitLines(e.block ?? '');
  const absent = (e.state ?? 'present') === 'absent' || body.length === 0;
  const want = absent ? [] : [begin, ...body, end];
  if (b >= 0 && en >= 0) {
    const cur = lines.slice(b, en + 1);
    if (cur.length === want.length && cur.every((l, i) => l === want[i])) return text;
    lines.splice(b, en - b + 1, ...want);
    return joinLines(lines);
  }
  if (absent) return text;
  lines.splice(insertionIndex(lines, e), 0, ...want);
  return joinLines(lines);
}
