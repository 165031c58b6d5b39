/**
 * Where a YAML syntax error should point. The parser reports an unclosed flow collection
 * (`[1, 2` or `{a: 1`) where it gave up, often the end of the file; the user needs the
 * bracket that was never closed.
 */
export function yamlErrorOffset(text: string, message: string, offset: number): { offset: number; note?: string } {
  const m = /end with an? ([\]}])/.exec(message);
  if (!m) return { offset };
  const opener = m[1] === ']' ? '[' : '{';
  const open = unclosedBracket(text, Math.min(offset, text.length), opener);
  return open === undefined ? { offset } : { offset: open, note: `the ${opener} here is never closed` };
}

/** The offset of the innermost `opener` still open at `end` (quotes and comments skipped). */
function unclosedBracket(text: string, end: number, opener: string): number | undefined {
  const stack: { ch: string; at: number }[] = [];
  let quote: string | undefined;
  for (let i = 0; i < end; i++) {
    const ch = text[i]!;
    if (quote) {
      if (ch === '\\' && quote === '"') i++;
      else if (ch === quote) quote = undefined;
      else if (ch === '\n' && stack.length === 0) quote = undefined;
      continue;
    }
    if (ch === '#' && (i === 0 || /\s/.test(text[i - 1]!))) {
      while (i < end && text[i] !== '\n') i++;
    } else if ((ch === '"' || ch === "'") && (stack.length > 0 || i === 0 || /[\s:,[{-]/.test(text[i - 1]!))) {
      quote = ch;
    } else if (ch === '[' || ch === '{') {
      stack.push({ ch, at: i });
    } else if (ch === ']' || ch === '}') {
      stack.pop();
    }
  }
  for (let k = stack.length - 1; k >= 0; k--) if (stack[k]!.ch === opener) return stack[k]!.at;
  return undefined;
}
