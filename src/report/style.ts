import type { TaskStatus } from '../core/types.js';

/** ANSI colour only when the stream is a terminal and NO_COLOR is unset. */
export function makeStyle(color: boolean) {
  const wrap = (code: string) => (s: string) => (color ? `\x1b[${code}m${s}\x1b[0m` : s);
  return {
    green: wrap('32'),
    yellow: wrap('33'),
    red: wrap('31'),
    cyan: wrap('36'),
    magenta: wrap('35'),
    dim: wrap('2'),
    bold: wrap('1'),
  };
}
export type Style = ReturnType<typeof makeStyle>;

export function statusColor(style: Style, status: TaskStatus | 'ignored' | 'rescued'): (s: string) => string {
  switch (status) {
    case 'ok':
      return style.green;
    case 'changed':
      return style.yellow;
    case 'failed':
    case 'unreachable':
      return style.red;
    case 'ignored':
    case 'rescued':
      return style.magenta;
    default:
      return style.cyan;
  }
}

export function formatMs(ms: number): string {
  if (ms < 1000) return `${ms}ms`;
  if (ms < 60_000) return `${(ms / 1000).toFixed(1)}s`;
  const m = Math.floor(ms / 60_000);
  return `${m}m${Math.round((ms % 60_000) / 1000)}s`;
}

/** Diff lines coloured like git: additions green, removals red, hunks cyan. */
export function colorDiff(style: Style, text: string): string {
  return text
    .split('\n')
    .map((l) =>
      l.startsWith('+++') || l.startsWith('---')
        ? style.bold(l)
        : l.startsWith('+')
          ? style.green(l)
          : l.startsWith('-')
            ? style.red(l)
            : l.startsWith('@@')
              ? style.cyan(l)
              : l,
    )
    .join('\n');
}
