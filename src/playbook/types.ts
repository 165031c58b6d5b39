import type { SourcePos } from '../core/errors.js';
import type { RolloutConfig } from '../rollout/config.js';

/** A template or expression string with where it was written. */
export interface Located<T = string> {
  value: T;
  pos: SourcePos;
}

/** The role a task comes from (one object per role instance, shared by its tasks and handlers). */
export interface TaskRole {
  name: string;
  /** The role's folder (where its templates/ and files/ are looked up first). */
  dir: string;
  /** defaults/main.yml of every role of the play, then of this role's dependencies and parents, then its own: below the inventory. */
  defaults: Record<string, unknown>;
  /** vars/main.yml likewise: above play vars and vars_files, below task vars. */
  vars: Record<string, unknown>;
  /** Role parameters (`vars:` and other keys of a `roles:` entry, its parents' first): above registered results. */
  params: Record<string, unknown>;
}

/** How a `with_*` loop turns its value into items (loop and with_list take the list as it is). */
export type LoopForm = 'flatten' | 'dict' | 'nested' | 'first_found';

/** One enclosing block of a task: which block (unique per use of it), and the part the task is in. */
export interface BlockFrame {
  id: string;
  part: 'block' | 'rescue' | 'always';
  hasRescue: boolean;
  hasAlways: boolean;
}

export interface Task {
  /** Given name, or `module: <short args>` when unnamed. */
  name: string;
  /** Where `name:` was written, when the task was given one. */
  namePos?: SourcePos;
  module: string;
  /** Raw module arguments, still untemplated. A free-form string became `{ [freeForm]: str }`. */
  args: Record<string, unknown>;
  /** Position of each top-level arg key (for schema errors after templating). */
  argPos: Record<string, SourcePos>;
  /**
   * Position of the first character of every templated string inside `args`, keyed by its
   * path (`dest`, `env/HOME`, `ports/0`): pass as `valuePos` to renderDeep.
   */
  templatePos?: Record<string, SourcePos>;
  when: Located[];
  register?: string;
  loop?: Located<unknown>;
  /** A `with_*` loop's shape: its value becomes the list of items at run time. */
  loopForm?: LoopForm;
  /** loop_control.loop_var, default `item`. */
  loopVar: string;
  /** loop_control.index_var: variable holding the item's 0-based index. */
  indexVar?: string;
  /** loop_control.label: how an item is shown in output (a template). */
  loopLabel?: string;
  notify: string[];
  changedWhen: Located[];
  failedWhen: Located[];
  ignoreErrors: boolean;
  tags: string[];
  vars: Record<string, unknown>;
  become?: boolean;
  becomeUser?: string;
  delegateTo?: string;
  runOnce: boolean;
  retries?: number;
  delay?: number;
  until: Located[];
  noLog: boolean;
  checkMode?: boolean;
  diff?: boolean;
  /** Handlers only: extra topics this handler answers to. */
  listen: string[];
  /** Set for the tasks and handlers of a role. */
  role?: TaskRole;
  /** The blocks the task is in, outermost first, and which part of each (block, rescue, always). */
  blocks?: BlockFrame[];
  /** Folder relative `src` resolves against when it is not the playbook's (a play of an imported playbook). */
  baseDir?: string;
  pos: SourcePos;
}

export type Section = 'pre_tasks' | 'tasks' | 'post_tasks';

export interface Play {
  name: string;
  /** Host pattern, untemplated. */
  hosts: string;
  vars: Record<string, unknown>;
  /** Absolute paths, in order. */
  varsFiles: string[];
  /** Batches: numbers or "N%" strings; undefined = all hosts at once. */
  serial?: (number | string)[];
  maxFailPercentage?: number;
  anyErrorsFatal: boolean;
  strategy: 'linear' | 'free';
  become?: boolean;
  becomeUser?: string;
  /** remote_user: SSH user for every host of the play (overrides ansible_user). */
  remoteUser?: string;
  /** connection: for every host of the play (overrides ansible_connection). */
  connection?: 'ssh' | 'local';
  tags: string[];
  /** The validated rollout section (SPEC §6). */
  rollout?: RolloutConfig;
  sections: Record<Section, Task[]>;
  handlers: Task[];
  /** What every task of the play sees of its roles (each role's tasks see their own on top). */
  roleDefaults?: Record<string, unknown>;
  roleVars?: Record<string, unknown>;
  pos: SourcePos;
}

export interface Playbook {
  path: string;
  dir: string;
  plays: Play[];
  /** Things worth saying that do not stop the run (e.g. `when: "{{ x }}"`). */
  warnings?: { msg: string; pos?: SourcePos }[];
}
