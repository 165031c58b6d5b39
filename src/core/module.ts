import type Docker from 'dockerode';
import type { Become, Command, ExecOptions, ExecResult, ReadStep, Transport } from '../transport/types.js';

/** A JSON Schema object (draft-07 style, as ajv takes it). Its `description`s feed `runbook doc`. */
export type JsonSchema = Record<string, unknown>;

/** Before/after text of one thing a task changes; rendered as a unified diff by the reporters. */
export interface FileDiff {
  /** What the diff is of, e.g. a path or "mode of /etc/x". */
  label: string;
  before: string;
  after: string;
}

/** One field a task would change, for humans ("mode: 0644 → 0755"). */
export interface Change {
  field: string;
  before?: unknown;
  after?: unknown;
}

/**
 * The host paths a plan was made from and its apply writes (all absolute, normalized, with no
 * link on the way to them): in a fused loop, an item whose facts none of the earlier items'
 * writes can have changed is sent without a guard (src/executor/fused-loop.ts).
 */
export interface Footprint {
  /**
   * `exists`: whether the path is there, and its type; `stat`: also its mode, owner, size and
   * content (a folder's size changes with the entries right inside it).
   */
  reads: Array<{ path: string; kind: 'exists' | 'stat' }>;
  /** Paths the apply may change, each with everything under it. */
  writes: string[];
  /** Of those, the folders it makes (where nothing was), for ModuleDefinition.predictRead. */
  dirs?: string[];
}

/**
 * What a module found and means to do. `changes` empty means the task is `ok`.
 * `facts` is the module's own record of what it read, handed back to `apply`.
 */
export interface Plan<Facts = unknown> {
  changes: Change[];
  diff?: FileDiff[];
  facts?: Facts;
  /** Result fields known without applying (e.g. health_check's last response). */
  result?: Record<string, unknown>;
  /** One-line description of the planned action, for output. */
  summary?: string;
  /**
   * An opaque module whose plan decided, without running, that it would run (command with
   * creates/removes): check mode reports changed, not skipped.
   */
  decided?: boolean;
  /** What a controller-side module (set_fact, debug, meta…) asks of the engine; applied in check mode too. */
  effects?: ControllerEffects;
  /** What the plan read and its apply writes, when the module can tell exactly (fused loops). */
  footprint?: Footprint;
}

/** The meta actions the engine carries out (meta module). */
export type MetaAction = 'flush_handlers' | 'end_play' | 'end_host' | 'clear_host_errors' | 'noop';

/** What a controller-side module asks the engine to do for the host, decided in its plan alone. */
export interface ControllerEffects {
  /** Host variables at set_fact precedence (with registered results: above task vars, below role params and -e). */
  facts?: Record<string, unknown>;
  /** Host variables at include_vars precedence (above task vars, below set_fact and registered results). */
  includedVars?: Record<string, unknown>;
  /** Text shown under the task's status line in every output (debug). */
  message?: string;
  /** A meta action for the strategy. */
  meta?: MetaAction;
}

/** What applying a plan did. */
export interface ApplyResult {
  /** Module's own result fields (rc, stdout, path, …) merged into the registered result. */
  result?: Record<string, unknown>;
  /** Overrides `changed` (only command/shell: a command that ran counts as changed). */
  changed?: boolean;
  /** Failed without an exception (e.g. a command's non-zero exit). */
  failed?: boolean;
  msg?: string;
  /** What is needed to undo this apply (rollback); modules that cannot undo omit it. */
  undo?: unknown;
}

/** What a module sees of the world. No globals: everything comes through here. */
export interface ModuleContext {
  /** Inventory name of the host. */
  host: string;
  /** All variables visible to the task on this host. */
  vars: Readonly<Record<string, unknown>>;
  transport: Transport;
  /** Run a command on the host with the task's become applied. */
  run(cmd: Command, opts?: ExecOptions): Promise<ExecResult>;
  /** The task's become, for transport.put/get. */
  become?: Become;
  /** A dockerode client talking to the host's engine over the same connection. */
  docker(): Promise<Docker>;
  check: boolean;
  diff: boolean;
  /**
   * Keep on the host what an undo needs (a copy of an overwritten or removed file). Only a
   * rollout asks for it; otherwise nothing is left behind on the host.
   */
  keepUndo: boolean;
  signal: AbortSignal;
  /** Folder of the playbook file, for resolving relative `src`. */
  playbookDir: string;
  /** Read a file on the controller relative to the playbook (search: dir, then dir/<sub>). */
  readLocalFile(path: string, subdir: 'templates' | 'files'): Promise<{ path: string; content: Buffer }>;
  /** Render a Handlebars template with the task's variables (strict, no escaping). */
  render(text: string, source: string): string;
  /** Verbose diagnostics (-v). */
  log(message: string): void;
  /**
   * Read a YAML variables file on the controller (include_vars): relative paths are looked up
   * in the role's vars/ (a role's task), then next to the playbook (or the including file), then
   * its vars/. Absent in contexts that run no tasks (undo replay).
   */
  loadVars?(path: string): Promise<{ path: string; vars: Record<string, unknown> }>;
  /** Evaluate an expression of the `when` language with the task's variables (debug var, assert that). */
  evaluate?(expr: string): unknown;
  /** Whether an expression of the `when` language holds with the task's variables. */
  condition?(expr: string): boolean;
  /** How verbose the run is: 0 normally, 1 with -v (debug's verbosity). */
  verbosity?: number;
}

export interface ModuleDefinition<Params = Record<string, unknown>, Facts = unknown> {
  name: string;
  /** One-paragraph description for `runbook doc`. */
  description: string;
  /**
   * A YAML list of one or more tasks using the module, shown by `runbook doc MODULE` (and checked
   * by the tests to load and validate as written).
   */
  example?: string;
  schema: JsonSchema;
  /** Name of the parameter that a plain string fills (`command: uname -r` → `cmd`). */
  freeForm?: string;
  /** Read-only modules (health_check) run their plan in check mode and never report changed. */
  readOnly?: boolean;
  /**
   * Its result is only known by running it (command, shell): in check mode the task is
   * reported skipped and its registered result is "decided at run time".
   */
  opaque?: boolean;
  /**
   * Runs on the controller only and never touches the host (set_fact, debug, assert, fail, meta,
   * include_vars): no connection is opened for it, it runs in check mode too and is never changed.
   */
  controller?: boolean;
  /**
   * Its plan's first contact with the host is a read (`run(…, { read: true })`) and nothing
   * before it acts outside the plan: the engine may run the plan that far ahead of time, on a
   * transport that sends nothing, to learn the read and send it with an earlier command.
   */
  readsFirst?: boolean;
  /**
   * Its apply's commands and file writes follow from the plan alone (not from what an earlier
   * one printed; a failing one may end the apply, or lead to more), and its plan reads first
   * (readsFirst) and then decides: a loop's items may then be fused, their changes sent in one
   * script (src/executor/fused-loop.ts). A function says it for given parameters.
   */
  fusible?: boolean | ((params: Params) => boolean);
  /**
   * What the plan's read (which gave `result`) would give once the folders `dirs` are made
   * (Footprint.dirs of earlier items of a fused loop); undefined when that cannot be told.
   */
  predictRead?(read: ReadStep, result: ExecResult, dirs: readonly string[]): ExecResult | undefined;
  /** Decide, without side effects, what would change. */
  plan(ctx: ModuleContext, params: Params): Promise<Plan<Facts>>;
  /** Carry out exactly the plan. Called only when the plan has changes (and not in check mode). */
  apply(ctx: ModuleContext, params: Params, plan: Plan<Facts>): Promise<ApplyResult>;
  /** Reverse an apply from its undo record (rollback). */
  undo?(ctx: ModuleContext, params: Params, undo: unknown): Promise<void>;
  /** Drop what an undo record kept on the host (e.g. a replaced container) once it is no longer needed. */
  discard?(ctx: ModuleContext, params: Params, undo: unknown): Promise<void>;
}

export function defineModule<Params, Facts = unknown>(
  def: ModuleDefinition<Params, Facts>,
): ModuleDefinition<Params, Facts> {
  return def;
}
