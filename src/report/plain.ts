import type { RunEvent, TaskOutcome } from '../core/types.js';
import { shownTaskName } from '../core/types.js';
import { unifiedDiff } from './diff.js';
import { rolloutEventLine } from './rollout.js';
import { colorDiff, formatMs, statusColor, type Style } from './style.js';

export interface TextOptions {
  diff: boolean;
  verbose: boolean;
  check: boolean;
}

/** The lines a finished task prints under its status line: why it failed, what changes, the diff. */
export function outcomeDetail(o: TaskOutcome, opts: TextOptions, style: Style): string[] {
  const lines: string[] = [];
  /** Loop items already shown by what they changed. */
  const described = new Set<TaskOutcome>();
  // What debug prints: always shown, in every output.
  if (o.message !== undefined && o.status !== 'failed') lines.push(...o.message.split('\n'));
  if (o.status === 'failed' || o.status === 'unreachable') {
    if (o.msg) lines.push(...o.msg.split('\n').map((l) => style.red(l)));
    const r = o.result;
    if (typeof r.rc === 'number' && r.rc !== 0) lines.push(`rc: ${r.rc}`);
    if (typeof r.stderr === 'string' && r.stderr) lines.push(...tail(r.stderr, 10).map((l) => style.dim(`stderr: ${l}`)));
    else if (typeof r.stdout === 'string' && r.stdout && opts.verbose) lines.push(...tail(r.stdout, 10).map((l) => style.dim(`stdout: ${l}`)));
  } else if (o.decidedAtRunTime) {
    if (o.msg) lines.push(style.dim(o.msg.includes('run time') || o.msg.includes('check mode') ? o.msg : `${o.msg} (decided at run time)`));
  } else if (o.status === 'changed' && (opts.check || opts.verbose || opts.diff)) {
    const verb = opts.check ? 'would change' : 'changed';
    if (o.items) {
      for (const it of o.items) {
        if (it.changes?.length) {
          lines.push(`${verb} [${itemLabel(it.item)}]: ${it.changes.join('; ')}`);
          described.add(it);
        }
      }
    } else if (o.changes?.length) lines.push(`${verb}: ${o.changes.join('; ')}`);
  } else if (opts.verbose && o.msg) {
    lines.push(style.dim(o.msg));
  }
  if (opts.verbose && o.status !== 'failed') {
    const r = o.result;
    if (typeof r.stdout === 'string' && r.stdout) lines.push(...tail(r.stdout, 20).map((l) => style.dim(`stdout: ${l}`)));
  }
  if (opts.diff && o.diff) {
    for (const d of o.diff) lines.push(colorDiff(style, unifiedDiff(d)));
  }
  if (o.items && opts.verbose) {
    // The others by their status (ok, skipped, failed), so -v accounts for every item once.
    for (const it of o.items) {
      if (described.has(it)) continue;
      lines.push(`item ${itemLabel(it.item)}: ${statusColor(style, it.status)(it.status)}${it.msg ? ` — ${it.msg}` : ''}`);
    }
  }
  return lines;
}

/** How a loop item is named in output: scalars as they are, maps by a name-ish field. */
function itemLabel(item: unknown): string {
  if (item === null || typeof item !== 'object') return String(item);
  const o = item as Record<string, unknown>;
  for (const k of ['name', 'path', 'dest', 'key', 'id']) if (typeof o[k] === 'string' || typeof o[k] === 'number') return String(o[k]);
  const s = JSON.stringify(item);
  return s.length > 40 ? `${s.slice(0, 37)}...` : s;
}

function tail(text: string, n: number): string[] {
  return text.replace(/\n$/, '').split('\n').slice(-n);
}

/** Plain lines, one per task result: for logs, pipes and CI. */
export function plainReporter(write: (s: string) => void, opts: TextOptions, style: Style) {
  return (e: RunEvent): void => {
    switch (e.type) {
      case 'run:start':
        write(style.dim(`${e.check ? 'CHECK ' : ''}${e.playbook} on ${e.inventory}`));
        break;
      case 'play:start':
        write(`\n${style.bold(`PLAY ${e.play}`)} ${style.dim(`[${e.hosts.join(', ') || 'no hosts'}]`)}`);
        break;
      case 'batch:start':
        write(style.dim(`batch ${e.batch}: ${e.hosts.join(', ')}`));
        break;
      case 'task:done': {
        const o = e.outcome;
        const label = o.ignored ? 'ignored' : o.rescued ? 'rescued' : o.status;
        const paint = statusColor(style, label);
        const where = e.task.handler ? 'handler ' : '';
        const trips = opts.verbose && o.roundTrips !== undefined ? `, ${o.roundTrips} round trip${o.roundTrips === 1 ? '' : 's'}` : '';
        const extra = o.status === 'skipped' && !opts.verbose ? '' : style.dim(` ${formatMs(o.durationMs)}${trips}`);
        const check = opts.check && o.status === 'changed' ? ' (check)' : '';
        write(`${paint(label.padEnd(11))} ${e.host}  ${where}${shownTaskName(e.task)}${check}${extra}`);
        for (const l of outcomeDetail(o, opts, style)) write(`    ${l.split('\n').join('\n    ')}`);
        break;
      }
      case 'host:unreachable':
        break; // the task:done line says it
      case 'warning':
        write(style.yellow(`warning: ${e.host ? `${e.host}: ` : ''}${e.msg}`));
        break;
      default: {
        const line = rolloutEventLine(e, style);
        if (line) write(line);
        break;
      }
    }
  };
}
