import type { SourcePos } from './errors.js';
import type { FileDiff, MetaAction } from './module.js';

export type TaskStatus = 'ok' | 'changed' | 'failed' | 'unreachable' | 'skipped';

/** How a task is named in events and reports. */
export interface TaskRef {
  /** Stable id within the run: play index / section / task index (handlers: h). */
  id: string;
  name: string;
  module: string;
  pos?: SourcePos;
  handler?: boolean;
  /** The role the task comes from, shown before its name as Ansible does (`common : Install`). */
  role?: string;
}

/** A task's name as the text outputs show it: with its role first, as Ansible does. */
export function shownTaskName(t: Pick<TaskRef, 'name' | 'role'>): string {
  return t.role ? `${t.role} : ${t.name}` : t.name;
}

export interface TaskOutcome {
  status: TaskStatus;
  /** Module result fields (already stripped of secrets when no_log). */
  result: Record<string, unknown>;
  msg?: string;
  diff?: FileDiff[];
  /** Human-readable list of what changed / would change. */
  changes?: string[];
  /** A later `when`/template could not be decided in check mode. */
  decidedAtRunTime?: boolean;
  durationMs: number;
  /** Commands, file transfers, streams and Docker requests the task sent to its host (a loop: all items'). */
  roundTrips?: number;
  /** Loop items, each with its own outcome. */
  items?: TaskOutcome[];
  item?: unknown;
  ignored?: boolean;
  /** Failed in a block whose rescue then ran: the host is not failed (counted ok, like ignored). */
  rescued?: boolean;
  /** Text a controller-side module shows under the status line (debug); hidden under no_log. */
  message?: string;
  /** A meta action the strategy carries out after the task (meta module). */
  meta?: MetaAction;
}

export interface HostCounts {
  ok: number;
  changed: number;
  failed: number;
  unreachable: number;
  skipped: number;
  /** Wall time spent on this host, ms. */
  timeMs: number;
}

export function emptyCounts(): HostCounts {
  return { ok: 0, changed: 0, failed: 0, unreachable: 0, skipped: 0, timeMs: 0 };
}

/** Exit code bits (SPEC §2). */
export const EXIT = {
  OK: 0,
  ERROR: 1,
  CHANGED: 2,
  FAILED: 4,
  UNREACHABLE: 8,
  INTERRUPTED: 130,
} as const;

/** Everything the engine tells its subscribers (live view, plain lines, JSON, report, journal). */
export type RunEvent =
  | { type: 'run:start'; playbook: string; inventory: string; check: boolean; diff: boolean; time: string }
  | { type: 'play:start'; play: string; index: number; hosts: string[] }
  | { type: 'batch:start'; play: string; batch: number; hosts: string[] }
  | { type: 'task:start'; play: string; host: string; task: TaskRef }
  | { type: 'task:done'; play: string; host: string; task: TaskRef; outcome: TaskOutcome }
  | { type: 'host:unreachable'; play: string; host: string; task?: TaskRef; msg: string }
  | { type: 'play:end'; play: string; index: number }
  /** A rollout's batches, before any runs (check mode). */
  | { type: 'rollout:plan'; play: string; batches: string[][]; notUndoable: string[] }
  /** A rollout batch starts: its number, of how many, and its hosts. */
  | { type: 'rollout:batch'; play: string; batch: number; total: number; hosts: string[] }
  /** A batch failed past max_fail_percentage; what the rollout does about it (on_failure). */
  | { type: 'rollout:failed'; play: string; batch: number; hosts: string[]; action: 'halt' | 'continue' | 'rollback' }
  /** A host of a failed batch was rolled back: tasks undone (newest first), changed tasks that could not be undone, undo steps that failed. */
  | { type: 'rollout:rolled_back'; play: string; batch: number; host: string; undone: string[]; notUndoable: string[]; undoFailed: string[] }
  /** Hosts whose backends stay drained on the LB after a batch (failed or interrupted). */
  | { type: 'rollout:drained_left'; play: string; batch: number; hosts: string[]; reason: 'failed' | 'interrupted' }
  | { type: 'warning'; msg: string; host?: string }
  | {
      type: 'run:end';
      hosts: Record<string, HostCounts>;
      exit: number;
      durationMs: number;
      interrupted: boolean;
    };

export type RunEventOf<T extends RunEvent['type']> = Extract<RunEvent, { type: T }>;

export type Subscriber = (event: RunEvent) => void;

/** A tiny typed event bus: every output is a subscriber. */
export class EventBus {
  private subscribers: Subscriber[] = [];
  subscribe(fn: Subscriber): () => void {
    this.subscribers.push(fn);
    return () => {
      this.subscribers = this.subscribers.filter((s) => s !== fn);
    };
  }
  emit(event: RunEvent): void {
    for (const s of this.subscribers) s(event);
  }
}
