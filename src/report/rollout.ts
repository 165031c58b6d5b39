import type { RunEvent, RunEventOf } from '../core/types.js';
import type { Style } from './style.js';

/** The rollout facts of a run, as the `--report` file's `rollout` object and the recap show them. */
export interface RolloutReport {
  /** Check mode: the batches each rollout play would run, in order. */
  plan: { play: string; batches: string[][]; not_undoable: string[] }[];
  batches: { play: string; batch: number; total: number; hosts: string[] }[];
  failed: { play: string; batch: number; hosts: string[]; action: 'halt' | 'continue' | 'rollback' }[];
  /** Per host: tasks undone (newest first), changed tasks that could not be undone, undo steps that failed. */
  rolled_back: Record<string, { undone: string[]; not_undoable: string[]; undo_failed: string[] }>;
  /** Hosts whose backends stay drained on the LB. */
  drained_left: string[];
  /** Per host, per docker_container task: the image the host ends on (after a rollback: the restored one). */
  versions: Record<string, Record<string, string>>;
}

export function emptyRolloutReport(): RolloutReport {
  return { plan: [], batches: [], failed: [], rolled_back: {}, drained_left: [], versions: {} };
}

const UNDO_SUFFIX = '/undo';

/**
 * Collects rollout events, and the image each docker_container task leaves a host on, from
 * task results: `result.image` after a run; after its undo, the image its plan said was there
 * before ("image: OLD (id) → NEW"), the same image when only other fields changed, or
 * "(absent)" when the task had created the container.
 */
export class RolloutCollector {
  readonly report = emptyRolloutReport();
  /** Whether any rollout event was seen (the report carries `rollout` only then). */
  seen = false;
  private before = new Map<string, string>();

  readonly subscriber = (e: RunEvent): void => {
    const r = this.report;
    switch (e.type) {
      case 'rollout:plan':
        this.seen = true;
        r.plan.push({ play: e.play, batches: e.batches, not_undoable: e.notUndoable });
        break;
      case 'rollout:batch':
        this.seen = true;
        r.batches.push({ play: e.play, batch: e.batch, total: e.total, hosts: e.hosts });
        break;
      case 'rollout:failed':
        this.seen = true;
        r.failed.push({ play: e.play, batch: e.batch, hosts: e.hosts, action: e.action });
        break;
      case 'rollout:rolled_back':
        this.seen = true;
        r.rolled_back[e.host] = { undone: e.undone, not_undoable: e.notUndoable, undo_failed: e.undoFailed };
        break;
      case 'rollout:drained_left':
        this.seen = true;
        for (const h of e.hosts) if (!r.drained_left.includes(h)) r.drained_left.push(h);
        break;
      case 'task:done':
        this.taskDone(e);
        break;
      default:
        break;
    }
  };

  private taskDone(e: RunEventOf<'task:done'>): void {
    if (e.task.module !== 'docker_container') return;
    const o = e.outcome;
    const key = (id: string) => `${e.host}\0${id}`;
    if (e.task.id.endsWith(UNDO_SUFFIX)) {
      if (o.status !== 'changed') return;
      const id = e.task.id.slice(0, -UNDO_SUFFIX.length);
      const name = e.task.name.replace(/^undo: /, '');
      const was = this.before.get(key(id));
      if (was !== undefined) (this.report.versions[e.host] ??= {})[name] = was;
      return;
    }
    if (o.status !== 'ok' && o.status !== 'changed') return;
    const image = o.result.image;
    if (typeof image !== 'string') return;
    (this.report.versions[e.host] ??= {})[e.task.name] = image;
    this.before.set(key(e.task.id), imageBefore(o.changes ?? [], image));
  }
}

/** The image a docker_container task found, from its change lines. */
export function imageBefore(changes: readonly string[], image: string): string {
  for (const c of changes) {
    const m = /^image: (\S+) \(/.exec(c);
    if (m) return m[1];
    if (/^container: absent →/.test(c)) return '(absent)';
  }
  return image;
}

/** The text line a rollout event prints in the live and plain output. */
export function rolloutEventLine(e: RunEvent, style: Style): string | undefined {
  switch (e.type) {
    case 'rollout:plan':
      return (
        style.bold(`rollout plan for "${e.play}": `) +
        e.batches.map((b, i) => `batch ${i + 1}/${e.batches.length}: ${b.join(', ')}`).join('; ') +
        (e.notUndoable.length ? style.yellow(`; a rollback cannot undo: ${e.notUndoable.join(', ')}`) : '')
      );
    case 'rollout:batch':
      return style.bold(`batch ${e.batch}/${e.total}: ${e.hosts.join(', ')}`);
    case 'rollout:failed':
      return style.red(`rollout batch ${e.batch} failed on ${e.hosts.join(', ')}; on_failure: ${e.action}${e.action === 'continue' ? '' : ', no further batches run'}`);
    case 'rollout:rolled_back':
      return rolledBackLine(e.host, e.undone, e.notUndoable, e.undoFailed, style);
    case 'rollout:drained_left':
      return style.yellow(`left drained on the LB${e.reason === 'interrupted' ? ' (interrupted)' : ''}: ${e.hosts.join(', ')}`);
    default:
      return undefined;
  }
}

function rolledBackLine(host: string, undone: string[], notUndoable: string[], undoFailed: string[], style: Style): string {
  const parts = [`rolled back ${host}: ${undone.length ? undone.join(', ') : 'nothing to undo'}`];
  if (notUndoable.length) parts.push(style.red(`cannot undo: ${notUndoable.join(', ')}`));
  if (undoFailed.length) parts.push(style.red(`undo failed: ${undoFailed.join(', ')}`));
  return parts.join('; ');
}

/** The rollout summary the recap ends with; empty when the run had no rollout. */
export function rolloutSummary(r: RolloutReport | undefined, style: Style): string[] {
  if (!r) return [];
  const lines = [style.bold('ROLLOUT')];
  for (const p of r.plan) {
    lines.push(`plan "${p.play}": ${p.batches.map((b, i) => `${i + 1}: ${b.join(', ')}`).join('; ')}`);
    if (p.not_undoable.length) lines.push(style.yellow(`a rollback cannot undo: ${p.not_undoable.join(', ')}`));
  }
  const ran = new Map<string, number>();
  for (const b of r.batches) ran.set(b.play, Math.max(ran.get(b.play) ?? 0, b.batch));
  for (const [play, n] of ran) {
    const total = r.batches.find((b) => b.play === play)!.total;
    lines.push(`"${play}": ${n} of ${total} batches ran`);
  }
  if (r.failed.length === 0 && r.batches.length > 0) lines.push(style.green('no batch failed'));
  for (const f of r.failed) lines.push(style.red(`failed batch ${f.batch} ("${f.play}") on ${f.hosts.join(', ')}: ${f.action}`));
  for (const [h, rb] of Object.entries(r.rolled_back)) lines.push(rolledBackLine(h, rb.undone, rb.not_undoable, rb.undo_failed, style));
  if (r.drained_left.length) lines.push(style.yellow(`left drained on the LB: ${r.drained_left.join(', ')}`));
  for (const [h, v] of Object.entries(r.versions)) {
    lines.push(`${h} ends on ${Object.entries(v).map(([task, image]) => `${image} (${task})`).join(', ')}`);
  }
  return lines;
}
