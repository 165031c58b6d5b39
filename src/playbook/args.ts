/** Shell-like tokens of a `key=value …` string, with their spans; `{{ … }}` stays one word. */
export function splitArgs(s: string): { text: string; start: number; end: number }[] {
  const out: { text: string; start: number; end: number }[] = [];
  let i = 0;
  while (i < s.length) {
    while (i < s.length && /\s/.test(s[i])) i++;
    if (i >= s.length) break;
    const start = i;
    let quote: string | undefined;
    while (i < s.length && (quote || !/\s/.test(s[i]))) {
      const c = s[i];
      if (!quote && s.startsWith('{{', i)) {
        // A template is one word, spaces and all.
        const end = s.indexOf('}}', i + 2);
        i = end < 0 ? s.length : end + 2;
        continue;
      }
      if (quote) {
        if (c === '\\' && quote === '"') i++;
        else if (c === quote) quote = undefined;
      } else if (c === '"' || c === "'") quote = c;
      i++;
    }
    out.push({ text: s.slice(start, i), start, end: i });
  }
  return out;
}
