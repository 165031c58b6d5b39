import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import type { ErrorObject } from 'ajv';
import { ConfigError, ConfigErrors, formatPos, type SourcePos, TemplateError } from '../core/errors.js';
import type { JsonSchema } from '../core/module.js';
import { type ValidateFunction, validatorFor } from '../core/validators.js';
import { impossiblePattern } from '../inventory/patterns.js';
import { checkExpr, unwrapTemplate } from '../template/expr.js';
import { posAt } from '../template/pos.js';
import { checkTemplate, isTemplated } from '../template/render.js';
import { isPlainObject } from '../template/runtime.js';
import { closest, didYouMean } from '../template/suggest.js';
import { type Explained, explainErrors, found, pointer } from './explain.js';
import { playbookSchema, taskFileSchema, TASK_KEYWORDS, UNSUPPORTED_PLAY_KEYWORDS, UNSUPPORTED_TASK_KEYWORDS } from './schema.js';
import type { BlockFrame, Located, LoopForm, Play, Playbook, Section, Task, TaskRole } from './types.js';
import { findRole, paramsKey, ROLE_ENTRY_KEYWORDS, ROLE_TASK_OPTIONS, rolePartFile } from './roles.js';
import { parseVars } from './vars-file.js';
import { splitArgs } from './args.js';
import { loopFormItems } from './loops.js';
import { displayPath, readSourceText, SourceFile } from './yaml.js';
import { rolloutConfig } from '../rollout/config.js';

/** What the loader needs to know of a module. */
export interface ModuleInfo {
  schema: JsonSchema;
  freeForm?: string;
}

export interface LoadOptions {
  knownModules: ReadonlyMap<string, ModuleInfo>;
}

type Warning = { msg: string; pos?: SourcePos };

function structureValidators() {
  return { playbook: validatorFor(playbookSchema, 'explain'), tasks: validatorFor(taskFileSchema, 'explain') };
}

function argValidator(schema: JsonSchema) {
  return validatorFor(schema, 'explain');
}

/** Prefixes of fully qualified module names that map onto runbook's modules. */
const FQCN_PREFIXES = ['ansible.builtin.', 'ansible.legacy.', 'community.docker.', 'community.general.', 'ansible.posix.'];

export function normalizeModuleName(name: string): string {
  for (const p of FQCN_PREFIXES) if (name.startsWith(p)) return name.slice(p.length);
  return name;
}

const IMPORT_KEYS = new Set(['import_tasks', 'include_tasks']);
const ROLE_KEYS = new Set(['import_role', 'include_role']);

/** Loop keywords and how each turns its value into items (undefined: the list as it is). */
const LOOP_FORMS: Record<string, LoopForm | undefined> = {
  loop: undefined,
  with_list: undefined,
  with_items: 'flatten',
  with_dict: 'dict',
  with_nested: 'nested',
  with_first_found: 'first_found',
};

/** What an import_playbook hands to the plays it imports. */
interface PlayExtra {
  tags: string[];
  vars: Record<string, unknown>;
  when: Located[];
}

function newPlayRoles(): PlayRoles {
  return { played: new Set(), instances: [], visible: [], handlers: [], handlerFiles: new Set() };
}
const BOOL_WORDS: Record<string, boolean> = { yes: true, true: true, on: true, y: true, no: false, false: false, off: false, n: false };

function boolish(v: unknown): boolean | undefined {
  if (typeof v === 'boolean') return v;
  if (typeof v === 'string' && v.toLowerCase() in BOOL_WORDS) return BOOL_WORDS[v.toLowerCase()];
  return undefined;
}

function str(v: unknown): string | undefined {
  return typeof v === 'string' ? v : undefined;
}

function strList(v: unknown): string[] {
  if (typeof v === 'string') return [v];
  if (Array.isArray(v)) return v.filter((x): x is string => typeof x === 'string');
  return [];
}

/** Tags: a list, or a comma-separated string. */
export function normalizeTags(v: unknown): string[] {
  const raw = Array.isArray(v) ? v : v === undefined || v === null ? [] : [v];
  const out: string[] = [];
  for (const t of raw) {
    if (typeof t !== 'string' && typeof t !== 'number') continue;
    for (const part of String(t).split(',')) {
      const s = part.trim();
      if (s && !out.includes(s)) out.push(s);
    }
  }
  return out;
}

/** serial: a list of batch sizes (numbers) or percentages ("50%"); undefined = all hosts. */
export function normalizeSerial(v: unknown): (number | string)[] | undefined {
  if (v === undefined || v === null || v === 0) return undefined;
  const list = Array.isArray(v) ? v : [v];
  return list.map((x) => {
    if (typeof x === 'number') return x;
    const s = String(x).replace(/\s+/g, '');
    return s.endsWith('%') ? s : Number(s);
  });
}

function label(prefix: string, segments: readonly (string | number)[]): string {
  let out = prefix;
  for (const s of segments) {
    if (typeof s === 'number' || /^\d+$/.test(s)) out += `[${s}]`;
    else if (/^[A-Za-z_][\w-]*$/.test(s)) out += out ? `.${s}` : s;
    else out += `[${JSON.stringify(s)}]`;
  }
  return out || 'playbook';
}

function unquote(v: string): string {
  if (v.length >= 2 && v[0] === "'" && v.at(-1) === "'") return v.slice(1, -1);
  if (v.length >= 2 && v[0] === '"' && v.at(-1) === '"') return v.slice(1, -1).replace(/\\(["\\])/g, '$1');
  return v;
}

/** Types a parameter accepts (looking into anyOf/oneOf). */
function schemaTypes(schema: unknown): Set<string> {
  const out = new Set<string>();
  const visit = (s: unknown) => {
    if (!s || typeof s !== 'object') return;
    const o = s as Record<string, unknown>;
    if (typeof o.type === 'string') out.add(o.type);
    if (Array.isArray(o.type)) o.type.forEach((t) => out.add(String(t)));
    if (Array.isArray(o.enum)) o.enum.forEach((e) => out.add(typeof e === 'number' ? 'number' : typeof e));
    for (const k of ['anyOf', 'oneOf']) if (Array.isArray(o[k])) (o[k] as unknown[]).forEach(visit);
  };
  visit(schema);
  return out;
}

/** A `key=value` string value, typed as the parameter's schema wants (strings win). */
function coerce(value: string, propSchema: unknown): unknown {
  const types = schemaTypes(propSchema);
  if (types.size === 0 || types.has('string') || isTemplated(value)) return value;
  if (types.has('boolean') && value.toLowerCase() in BOOL_WORDS) return BOOL_WORDS[value.toLowerCase()];
  if ((types.has('integer') || types.has('number')) && /^-?\d+(\.\d+)?$/.test(value)) return Number(value);
  return value;
}

interface Inherit {
  when: Located[];
  tags: string[];
  vars: Record<string, unknown>;
  become?: boolean;
  becomeUser?: string;
  ignoreErrors?: boolean;
  noLog?: boolean;
  checkMode?: boolean;
  diff?: boolean;
  delegateTo?: string;
  runOnce?: boolean;
}

interface Scope {
  sf: SourceFile;
  inherit: Inherit;
  handler: boolean;
  /** Files being imported (cycle detection). */
  chain: string[];
  notifies: { task: Task; name: string; pos: SourcePos; label: string }[];
  /** Folder of the playbook file the play came from (roles/, vars_files, tasks/ are found from it). */
  dir: string;
  /** The role whose tasks these are, and the roles that led to it (outermost first). */
  role?: RoleInst;
  /** The blocks these tasks are in (rescue/always), outermost first. */
  blocks?: BlockFrame[];
}

/** One role as a play uses it: its files read, its dependencies, where its variables go. */
interface RoleInst {
  name: string;
  dir: string;
  defaults: Record<string, unknown>;
  vars: Record<string, unknown>;
  params: Record<string, unknown>;
  deps: RoleInst[];
  /** The roles that depend on this one, outermost first. */
  parents: RoleInst[];
  /** What its tasks carry; filled in once the whole play is read. */
  ref: TaskRole;
}

/** What the roles of one play share while it is read. */
interface PlayRoles {
  /** Role instances that already ran in this play (folder + parameters). */
  played: Set<string>;
  instances: RoleInst[];
  /** Roles whose variables every task of the play sees (`roles:` and import_role). */
  visible: RoleInst[];
  handlers: Task[];
  /** Handler files already added (a role's handlers join the play once). */
  handlerFiles: Set<string>;
}

/** How a role is asked for. */
interface RoleRequest {
  name: string;
  params: Record<string, unknown>;
  pos: SourcePos;
  where: string;
  tasksFrom?: string;
  varsFrom?: string;
  defaultsFrom?: string;
  handlersFrom?: string;
  /** roles: and dependencies run once per play per set of parameters; import_role/include_role every time. */
  once: boolean;
  /** Its variables are seen by the whole play. */
  visible: boolean;
}

class Loader {
  readonly errors: ConfigError[] = [];
  readonly warnings: Warning[] = [];
  private roles: PlayRoles = newPlayRoles();
  private blockSeq = 0;

  constructor(
    private readonly modules: ReadonlyMap<string, ModuleInfo>,
    private readonly dir: string,
  ) {}

  error(message: string, pos: SourcePos | undefined, where?: string): void {
    this.errors.push(new ConfigError(message, pos, where));
  }

  /** A TemplateError found at load time becomes a ConfigError at the same place. */
  fromTemplateError(e: TemplateError, where: string): void {
    const prefix = e.pos ? `${formatPos(e.pos)}: ` : '';
    const msg = e.message.startsWith(prefix) ? e.message.slice(prefix.length) : e.message;
    this.error(`${where}: ${msg}`, e.pos, where);
  }

  parse(abs: string, text: string): SourceFile | undefined {
    const sf = new SourceFile(displayPath(abs), text);
    const errs = sf.errors();
    if (errs.length) {
      this.errors.push(...errs);
      return undefined;
    }
    return sf;
  }

  validate(sf: SourceFile, validate: ValidateFunction, data: unknown, labelOf: (seg: string[]) => string, skip: (seg: string[]) => boolean): boolean {
    if (validate(data)) return true;
    for (const x of explainErrors(validate.errors ?? [])) {
      if (skip(x.segments)) continue;
      const where = labelOf(x.segments);
      this.error(`${where}: ${x.message}`, sf.posAtPath(sf.contents, x.segments, x.keyOf), where);
    }
    return false;
  }

  // ---- plays -----------------------------------------------------------------------

  playbook(sf: SourceFile, chain: string[] = [path.resolve(sf.file)], outer?: PlayExtra): Play[] {
    const data = sf.toJS();
    const fileDir = path.dirname(path.resolve(sf.file));
    if (data === null || data === undefined) {
      this.error('the playbook is empty: expected a list of plays', sf.at(0));
      return [];
    }
    const importing = new Set<number>();
    if (Array.isArray(data)) {
      data.forEach((p, i) => {
        if (isPlainObject(p) && ('import_playbook' in p || 'ansible.builtin.import_playbook' in p)) importing.add(i);
      });
    }
    this.validate(
      sf,
      structureValidators().playbook,
      data,
      (seg) => (seg.length === 0 ? 'playbook' : seg.length === 1 ? `plays[${seg[0]}]` : label('', seg.slice(1))),
      (seg) => seg.length > 0 && importing.has(Number(seg[0])),
    );
    if (!Array.isArray(data)) return [];
    const plays: Play[] = [];
    data.forEach((raw, i) => {
      if (!isPlainObject(raw)) return;
      const node = sf.item(sf.contents, i);
      if (importing.has(i)) plays.push(...this.importPlaybook(sf, node, raw, `plays[${i}]`, chain, fileDir, outer));
      else plays.push(this.play(sf, node, raw, i, fileDir, outer));
    });
    return plays;
  }

  /** `- import_playbook: other.yml` (relative to this playbook): its plays, in order, here. */
  private importPlaybook(sf: SourceFile, node: unknown, raw: Record<string, unknown>, where: string, chain: string[], fileDir: string, outer?: PlayExtra): Play[] {
    const key = 'import_playbook' in raw ? 'import_playbook' : 'ansible.builtin.import_playbook';
    const allowed = new Set([key, 'name', 'tags', 'vars', 'when']);
    let bad = false;
    for (const k of Object.keys(raw)) {
      if (!allowed.has(k)) {
        this.error(`${where}.${k}: not supported on import_playbook (expected ${[...allowed].filter((a) => a !== key).join(', ')})`, sf.posAtPath(node, [k], true), where);
        bad = true;
      }
    }
    const file = raw[key];
    const at = sf.contentPos(sf.get(node, key));
    if (typeof file !== 'string' || file.trim() === '') {
      this.error(`${where}.${key}: expected a playbook file name, found ${found(file)}`, at, where);
      return [];
    }
    if (file.includes('{{')) {
      this.error(`${where}.${key}: the file name cannot be a template (playbooks are imported when the playbook is loaded)`, at, where);
      return [];
    }
    if (raw.vars !== undefined && !isPlainObject(raw.vars)) {
      this.error(`${where}.vars: expected a map, found ${found(raw.vars)}`, sf.contentPos(sf.get(node, 'vars')), where);
      bad = true;
    }
    if (bad) return [];
    const abs = path.resolve(fileDir, file);
    if (!existsSync(abs)) {
      this.error(`${where}.${key}: file not found: ${file} (looked at ${abs})`, at, where);
      return [];
    }
    if (chain.includes(abs)) {
      this.error(`${where}.${key}: ${file} imports itself (${[...chain, abs].map(displayPath).join(' → ')})`, at, where);
      return [];
    }
    const child = this.parse(abs, readFileSync(abs, 'utf8'));
    if (!child) return [];
    const extra: PlayExtra = {
      tags: normalizeTags([...(outer?.tags ?? []), ...normalizeTags(raw.tags)]),
      vars: { ...(outer?.vars ?? {}), ...(isPlainObject(raw.vars) ? raw.vars : {}) },
      when: [...(outer?.when ?? []), ...this.conditions(sf, node, raw, 'when', where)],
    };
    if (isPlainObject(raw.vars)) this.checkTemplatesIn(sf, raw.vars, sf.get(node, 'vars'), `${where}.vars`);
    return this.playbook(child, [...chain, abs], extra);
  }

  private play(sf: SourceFile, node: unknown, raw: Record<string, unknown>, index: number, fileDir: string, outer?: PlayExtra): Play {
    for (const [key, why] of Object.entries(UNSUPPORTED_PLAY_KEYWORDS)) {
      if (key in raw) this.error(`${key}: an Ansible play keyword runbook does not support: ${why}`, sf.posAtPath(node, [key], true), key);
    }
    const hosts = Array.isArray(raw.hosts) ? strList(raw.hosts).join(':') : (str(raw.hosts) ?? '');
    if (hosts && !hosts.includes('{{')) {
      const why = impossiblePattern(hosts);
      if (why) this.error(`hosts: the pattern '${hosts}' can never match a host: ${why}`, sf.contentPos(sf.get(node, 'hosts')), 'hosts');
    }
    // Vars given to import_playbook win over the play's own, as in Ansible.
    const vars = { ...(isPlainObject(raw.vars) ? raw.vars : {}), ...(outer?.vars ?? {}) };
    if (isPlainObject(raw.vars)) this.checkTemplatesIn(sf, raw.vars, sf.get(node, 'vars'), 'vars');

    const varsFiles: string[] = [];
    const vfNode = sf.get(node, 'vars_files');
    strList(raw.vars_files).forEach((f, i) => {
      const abs = path.resolve(fileDir, f);
      if (!f.includes('{{') && !existsSync(abs)) {
        const itemNode = Array.isArray(raw.vars_files) ? sf.item(vfNode, i) : vfNode;
        this.error(`vars_files: file not found: ${f} (looked at ${abs})`, sf.pos(itemNode), 'vars_files');
      }
      varsFiles.push(abs);
    });

    const playTags = normalizeTags([...(outer?.tags ?? []), ...normalizeTags(raw.tags)]);
    const notifies: Scope['notifies'] = [];
    this.roles = newPlayRoles();
    const scopeFor = (handler: boolean): Scope => ({
      sf,
      inherit: { when: handler ? [] : [...(outer?.when ?? [])], tags: handler ? [] : playTags, vars: {} },
      handler,
      chain: [],
      notifies,
      dir: fileDir,
    });
    const section = (name: Section | 'handlers'): Task[] => {
      const out: Task[] = [];
      const list = raw[name];
      if (!Array.isArray(list)) return out;
      this.taskList(scopeFor(name === 'handlers'), sf.get(node, name), list, name, out);
      return out;
    };
    // gather_facts: the setup module first, before pre_tasks, as Ansible's "Gathering Facts".
    const gather: Task[] = [];
    if (raw.gather_facts !== undefined && boolish(raw.gather_facts)) {
      this.task(scopeFor(false), sf.get(node, 'gather_facts'), { name: 'Gathering Facts', setup: {}, tags: ['always'] }, 'gather_facts', gather);
    }
    const preTasks = [...gather, ...section('pre_tasks')];
    // Roles run after pre_tasks and before tasks, in the same handler section as tasks.
    const roleTasks: Task[] = [];
    if (Array.isArray(raw.roles)) this.playRoles(scopeFor(false), sf.get(node, 'roles'), raw.roles, roleTasks);
    const sections = { pre_tasks: preTasks, tasks: [...roleTasks, ...section('tasks')], post_tasks: section('post_tasks') };
    const handlers = [...this.roles.handlers, ...section('handlers')];
    this.checkNotifies(notifies, handlers);
    const roleLayers = this.finishRoles();
    if (fileDir !== this.dir) {
      for (const t of [...sections.pre_tasks, ...sections.tasks, ...sections.post_tasks, ...handlers]) t.baseDir ??= fileDir;
    }

    const strategy = raw.strategy === 'free' ? 'free' : 'linear';
    const maxFail = typeof raw.max_fail_percentage === 'number' ? raw.max_fail_percentage : undefined;
    return {
      name: str(raw.name) ?? (hosts || `play ${index + 1}`),
      hosts,
      vars,
      varsFiles,
      serial: normalizeSerial(raw.serial),
      maxFailPercentage: maxFail,
      anyErrorsFatal: boolish(raw.any_errors_fatal) ?? false,
      strategy,
      become: boolish(raw.become),
      becomeUser: str(raw.become_user),
      remoteUser: str(raw.remote_user),
      connection: raw.connection === 'local' || raw.connection === 'ssh' ? raw.connection : undefined,
      tags: playTags,
      rollout: isPlainObject(raw.rollout) ? rolloutConfig(raw.rollout) : undefined,
      sections,
      handlers,
      ...roleLayers,
      pos: sf.pos(node),
    };
  }

  // ---- roles ------------------------------------------------------------------------

  /** A play's `roles:` list: strings, or maps with `role:` (or `name:`), keywords and parameters. */
  private playRoles(scope: Scope, seqNode: unknown, list: unknown[], out: Task[]): void {
    list.forEach((entry, i) => {
      const node = scope.sf.item(seqNode, i);
      const where = `roles[${i}]`;
      const req = this.roleEntry(scope.sf, node, entry, where, true);
      if (!req) return;
      const inherit = isPlainObject(entry) ? this.inheritFrom(scope, node, entry, where) : scope.inherit;
      this.runRole({ ...scope, inherit }, req, out);
    });
  }

  /** A `roles:` entry or a meta dependency as a request; undefined (after an error) when it names no role. */
  private roleEntry(sf: SourceFile, node: unknown, entry: unknown, where: string, visible: boolean): RoleRequest | undefined {
    if (typeof entry === 'string') {
      if (entry.includes('{{')) {
        this.error(`${where}: a role name cannot be a template (roles are read when the playbook is loaded)`, sf.contentPos(node), where);
        return undefined;
      }
      return { name: entry, params: {}, pos: sf.contentPos(node), where, once: true, visible };
    }
    if (!isPlainObject(entry)) {
      this.error(`${where}: expected a role name or a map with role:, found ${found(entry)}`, sf.pos(node), where);
      return undefined;
    }
    const key = entry.role !== undefined ? 'role' : entry.name !== undefined ? 'name' : undefined;
    const name = key ? entry[key] : undefined;
    if (typeof name !== 'string' || name.trim() === '') {
      this.error(`${where}: expected role: with the role's name${key ? `, found ${found(name)}` : ''}`, key ? sf.contentPos(sf.get(node, key)) : sf.pos(node), where);
      return undefined;
    }
    if (name.includes('{{')) {
      this.error(`${where}.${key}: a role name cannot be a template (roles are read when the playbook is loaded)`, sf.contentPos(sf.get(node, key!)), where);
      return undefined;
    }
    if (entry.vars !== undefined && !isPlainObject(entry.vars)) {
      this.error(`${where}.vars: expected a map, found ${found(entry.vars)}`, sf.contentPos(sf.get(node, 'vars')), where);
      return undefined;
    }
    const params: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(entry)) if (!ROLE_ENTRY_KEYWORDS.has(k)) params[k] = v;
    Object.assign(params, isPlainObject(entry.vars) ? entry.vars : {});
    if (isPlainObject(entry.vars)) this.checkTemplatesIn(sf, entry.vars, sf.get(node, 'vars'), `${where}.vars`);
    return { name, params, pos: sf.contentPos(sf.get(node, key!)), where, once: true, visible };
  }

  /**
   * Read a role and put its tasks (after its dependencies') into `out` and its handlers into
   * the play's. Returns the instance (also when it already ran: its variables still count
   * for the roles that depend on it), undefined after an error.
   */
  private runRole(scope: Scope, req: RoleRequest, out: Task[]): RoleInst | undefined {
    const parents = scope.role ? [...scope.role.parents, scope.role] : [];
    const found = findRole(req.name, scope.dir, process.env, scope.role?.dir);
    if (!found.dir) {
      this.error(
        `${req.where}: role '${req.name}' not found (looked in ${found.looked.join(', ')}; ${found.env})`,
        req.pos,
        req.where,
      );
      return undefined;
    }
    const dir = found.dir;
    const cycle = parents.findIndex((p) => p.dir === dir);
    if (cycle >= 0) {
      const names = [...parents.slice(cycle).map((p) => p.name), req.name];
      this.error(`${req.where}: role dependency cycle: ${names.join(' → ')} (role '${req.name}' at ${displayPath(dir)})`, req.pos, req.where);
      return undefined;
    }
    const inst: RoleInst = {
      name: path.basename(dir),
      dir,
      defaults: this.roleVarsFile(dir, 'defaults', req.defaultsFrom, req),
      vars: this.roleVarsFile(dir, 'vars', req.varsFrom, req),
      params: req.params,
      deps: [],
      parents,
      ref: { name: path.basename(dir), dir, defaults: {}, vars: {}, params: {} },
    };
    const meta = this.roleMeta(dir);
    const key = `${dir}\0${paramsKey(req.params)}`;
    const skip = req.once && !meta.allowDuplicates && this.roles.played.has(key);
    if (req.once) this.roles.played.add(key);
    this.roles.instances.push(inst);
    if (req.visible) this.roles.visible.push(inst);
    const roleScope: Scope = { ...scope, role: inst, chain: [] };
    // Dependencies first, each once per play (unless their parameters differ).
    if (meta.sf && Array.isArray(meta.deps)) {
      const depsNode = meta.sf.get(meta.sf.contents, 'dependencies');
      meta.deps.forEach((entry, i) => {
        const node = meta.sf!.item(depsNode, i);
        const where = `dependencies[${i}]`;
        const depReq = this.roleEntry(meta.sf!, node, entry, where, false);
        if (!depReq) return;
        const inherit = isPlainObject(entry) ? this.inheritFrom({ ...roleScope, sf: meta.sf! }, node, entry, where) : scope.inherit;
        const dep = this.runRole({ ...roleScope, sf: meta.sf!, inherit }, depReq, skip ? [] : out);
        if (dep) inst.deps.push(dep);
      });
    }
    if (skip) return inst;
    const tasks = rolePartFile(dir, 'tasks', req.tasksFrom);
    if (!tasks.file && req.tasksFrom) {
      this.error(`${req.where}: role '${req.name}' (at ${displayPath(dir)}) has no tasks file '${req.tasksFrom}' (looked at ${tasks.looked.join(', ')})`, req.pos, req.where);
    } else if (tasks.file) {
      this.roleTaskFile(roleScope, tasks.file, out);
    }
    const handlers = rolePartFile(dir, 'handlers', req.handlersFrom);
    if (!handlers.file && req.handlersFrom) {
      this.error(`${req.where}: role '${req.name}' (at ${displayPath(dir)}) has no handlers file '${req.handlersFrom}' (looked at ${handlers.looked.join(', ')})`, req.pos, req.where);
    } else if (handlers.file && !this.roles.handlerFiles.has(handlers.file)) {
      this.roles.handlerFiles.add(handlers.file);
      const hs: Task[] = [];
      this.roleTaskFile({ ...roleScope, handler: true, inherit: { when: [], tags: [], vars: {} } }, handlers.file, hs);
      // As in Ansible, `notify: "role : handler"` names a role's handler too.
      for (const h of hs) h.listen.push(`${inst.name} : ${h.name}`);
      this.roles.handlers.push(...hs);
    }
    return inst;
  }

  private roleTaskFile(scope: Scope, file: string, out: Task[]): void {
    const sf = this.parse(file, readFileSync(file, 'utf8'));
    if (!sf) return;
    const data = sf.toJS();
    if (!this.validate(sf, structureValidators().tasks, data, (seg) => label('tasks', seg), () => false) && !Array.isArray(data)) return;
    if (!Array.isArray(data)) return;
    this.taskList({ ...scope, sf, chain: [file] }, sf.contents, data, 'tasks', out);
  }

  /** defaults/ or vars/ of a role (main, or the `*_from` file asked for). */
  private roleVarsFile(dir: string, part: 'defaults' | 'vars', from: string | undefined, req: RoleRequest): Record<string, unknown> {
    const f = rolePartFile(dir, part, from);
    if (!f.file) {
      if (from) this.error(`${req.where}: role '${req.name}' (at ${displayPath(dir)}) has no ${part} file '${from}' (looked at ${f.looked.join(', ')})`, req.pos, req.where);
      return {};
    }
    try {
      return parseVars(readFileSync(f.file, 'utf8'), f.file);
    } catch (e) {
      if (e instanceof ConfigErrors) this.errors.push(...e.errors);
      else if (e instanceof ConfigError) this.errors.push(e);
      else throw e;
      return {};
    }
  }

  /** meta/main.yml: dependencies and allow_duplicates (galaxy_info and the rest are ignored). */
  private roleMeta(dir: string): { sf?: SourceFile; deps?: unknown; allowDuplicates: boolean } {
    const f = rolePartFile(dir, 'meta');
    if (!f.file) return { allowDuplicates: false };
    const sf = this.parse(f.file, readFileSync(f.file, 'utf8'));
    if (!sf) return { allowDuplicates: false };
    const data = sf.toJS();
    if (data === null || data === undefined) return { allowDuplicates: false };
    if (!isPlainObject(data)) {
      this.error(`meta: expected a map (dependencies, allow_duplicates, galaxy_info), found ${found(data)}`, sf.pos(sf.contents), 'meta');
      return { allowDuplicates: false };
    }
    const deps = data.dependencies;
    if (deps !== undefined && deps !== null && !Array.isArray(deps)) {
      this.error(`meta.dependencies: expected a list of roles, found ${found(deps)}`, sf.contentPos(sf.get(sf.contents, 'dependencies')), 'meta.dependencies');
      return { allowDuplicates: false };
    }
    return { sf, deps, allowDuplicates: boolish(data.allow_duplicates) ?? false };
  }

  /**
   * Once a play is read: each role's tasks see every visible role's defaults and vars (as
   * Ansible's roles are not private), then their dependencies', their parents', their own.
   */
  private finishRoles(): { roleDefaults?: Record<string, unknown>; roleVars?: Record<string, unknown> } {
    const { instances, visible } = this.roles;
    if (instances.length === 0) return {};
    const allDeps = (r: RoleInst, seen = new Set<RoleInst>()): RoleInst[] =>
      r.deps.flatMap((d) => (seen.has(d) ? [] : (seen.add(d), [...allDeps(d, seen), d])));
    const merged = (r: RoleInst, part: 'defaults' | 'vars') => Object.assign({}, ...allDeps(r).map((d) => d[part]), r[part]) as Record<string, unknown>;
    const roleDefaults = Object.assign({}, ...visible.map((r) => merged(r, 'defaults'))) as Record<string, unknown>;
    const roleVars = Object.assign({}, ...visible.map((r) => merged(r, 'vars'))) as Record<string, unknown>;
    for (const r of instances) {
      Object.assign(r.ref.defaults, roleDefaults, ...allDeps(r).map((d) => d.defaults), ...r.parents.map((p) => p.defaults), r.defaults);
      Object.assign(r.ref.vars, roleVars, ...allDeps(r).map((d) => d.vars), ...r.parents.map((p) => p.vars), r.vars);
      Object.assign(r.ref.params, ...r.parents.map((p) => p.params), r.params);
    }
    return { roleDefaults, roleVars };
  }

  private checkNotifies(notifies: Scope['notifies'], handlers: Task[]): void {
    const known = new Set<string>();
    for (const h of handlers) {
      known.add(h.name);
      for (const l of h.listen) known.add(l);
    }
    for (const n of notifies) {
      if (n.name.includes('{{') || known.has(n.name)) continue;
      this.error(
        `${n.label}: no handler named '${n.name}' in this play${didYouMean(n.name, known)}`,
        n.pos,
        n.label,
      );
    }
  }

  // ---- tasks -----------------------------------------------------------------------

  private taskList(scope: Scope, seqNode: unknown, list: unknown[], prefix: string, out: Task[]): void {
    list.forEach((raw, i) => {
      const node = scope.sf.item(seqNode, i);
      if (isPlainObject(raw)) this.task(scope, node, raw, `${prefix}[${i}]`, out);
    });
  }

  private task(scope: Scope, node: unknown, raw: Record<string, unknown>, where: string, out: Task[]): void {
    const { sf } = scope;
    const keyPos = (k: string) => sf.posAtPath(node, [k], true);
    let bad = false;
    const candidates: string[] = [];
    let importKey: string | undefined;
    for (const k of Object.keys(raw)) {
      const plain = normalizeModuleName(k);
      if (UNSUPPORTED_TASK_KEYWORDS[plain]) {
        this.error(`${where}.${k}: ${UNSUPPORTED_TASK_KEYWORDS[plain]}`, keyPos(k), `${where}.${k}`);
        bad = true;
      } else if (IMPORT_KEYS.has(plain) || ROLE_KEYS.has(plain)) {
        if (importKey) {
          this.error(`${where}: a task has one of import_tasks, include_tasks, import_role, include_role, found '${importKey}' and '${k}'`, keyPos(k), where);
          bad = true;
        }
        importKey = k;
      } else if (!TASK_KEYWORDS.has(k)) {
        candidates.push(k);
      }
    }
    if (bad) return;
    if (!scope.handler && raw.listen !== undefined) {
      this.error(`${where}.listen: listen is for handlers only`, keyPos('listen'), `${where}.listen`);
    }
    const inherit = this.inherited(scope, node, raw, where);

    if (raw.block !== undefined) {
      if (candidates.length || importKey) {
        const other = importKey ?? candidates[0];
        this.error(`${where}: a block cannot also have a module ('${other}')`, keyPos(other), where);
        return;
      }
      const hasRescue = Array.isArray(raw.rescue) && raw.rescue.length > 0;
      const hasAlways = Array.isArray(raw.always) && raw.always.length > 0;
      const id = `b${++this.blockSeq}`;
      const frame = (part: BlockFrame['part']): BlockFrame[] => [...(scope.blocks ?? []), { id, part, hasRescue, hasAlways }];
      for (const part of ['block', 'rescue', 'always'] as const) {
        if (!Array.isArray(raw[part])) continue;
        const blocks = hasRescue || hasAlways ? frame(part) : scope.blocks;
        this.taskList({ ...scope, inherit, ...(blocks ? { blocks } : {}) }, sf.get(node, part), raw[part] as unknown[], `${where}.${part}`, out);
      }
      return;
    }
    for (const part of ['rescue', 'always'] as const) {
      if (raw[part] !== undefined) {
        this.error(`${where}.${part}: ${part} belongs to a block (block: [...] with ${part}: [...])`, keyPos(part), `${where}.${part}`);
        return;
      }
    }
    if (importKey) {
      if (candidates.length) {
        this.error(`${where}: ${importKey} cannot be combined with a module ('${candidates[0]}')`, keyPos(candidates[0]), where);
        return;
      }
      const iterations = this.importLoop(scope, node, raw, importKey, inherit, where);
      if (!iterations) return;
      for (const each of iterations) {
        if (ROLE_KEYS.has(normalizeModuleName(importKey))) this.importRole(scope, node, raw, importKey, each, where, out);
        else this.importTasks(scope, node, raw, importKey, each, where, out);
      }
      return;
    }

    // Exactly one module key.
    const known = candidates.filter((k) => this.modules.has(normalizeModuleName(k)));
    const unknown = candidates.filter((k) => !this.modules.has(normalizeModuleName(k)));
    if (candidates.length === 0) {
      this.error(
        `${where}: no module in this task: expected one key naming a module (${[...this.modules.keys()].sort().join(', ')})`,
        sf.pos(node),
        where,
      );
      return;
    }
    if (known.length > 1) {
      this.error(
        `${where}: a task has exactly one module, found ${known.map((k) => `'${k}'`).join(' and ')}`,
        keyPos(known[1]),
        where,
      );
      return;
    }
    if (unknown.length) {
      const pool = [...this.modules.keys(), ...TASK_KEYWORDS];
      for (const k of unknown) {
        const guess = closest(normalizeModuleName(k), pool);
        const asKeyword = guess !== undefined && TASK_KEYWORDS.has(guess);
        const what = known.length === 1 || asKeyword ? 'unknown task keyword' : 'unknown module';
        this.error(`${where}: ${what} '${k}'${guess ? ` (did you mean '${guess}'?)` : ''}`, keyPos(k), where);
      }
      return;
    }
    const moduleKey = known[0];
    const moduleName = normalizeModuleName(moduleKey);
    const mod = this.modules.get(moduleName)!;
    out.push(this.build(scope, node, raw, where, moduleKey, moduleName, mod, inherit));
  }

  /** Keywords a block or import hands down to its tasks, merged with what it inherited. */
  private inherited(scope: Scope, node: unknown, raw: Record<string, unknown>, where: string): Inherit {
    if (raw.block === undefined && !Object.keys(raw).some((k) => IMPORT_KEYS.has(normalizeModuleName(k)) || ROLE_KEYS.has(normalizeModuleName(k)))) return scope.inherit;
    return this.inheritFrom(scope, node, raw, where);
  }

  /** Keywords of a block, import or role entry merged over what the scope inherited. */
  private inheritFrom(scope: Scope, node: unknown, raw: Record<string, unknown>, where: string): Inherit {
    const p = scope.inherit;
    return {
      when: [...p.when, ...this.conditions(scope.sf, node, raw, 'when', where)],
      tags: normalizeTags([...p.tags, ...normalizeTags(raw.tags)]),
      vars: { ...p.vars, ...(isPlainObject(raw.vars) ? raw.vars : {}) },
      become: boolish(raw.become) ?? p.become,
      becomeUser: str(raw.become_user) ?? p.becomeUser,
      ignoreErrors: boolish(raw.ignore_errors) ?? p.ignoreErrors,
      noLog: boolish(raw.no_log) ?? p.noLog,
      checkMode: boolish(raw.check_mode) ?? p.checkMode,
      diff: boolish(raw.diff) ?? p.diff,
      delegateTo: str(raw.delegate_to) ?? p.delegateTo,
      runOnce: boolish(raw.run_once) ?? p.runOnce,
    };
  }

  /**
   * The iterations of an import or include: one, or one per item of a loop written out in
   * the playbook, each with the loop variable (and index_var, ansible_loop) as a variable of
   * its tasks. Tasks are read when the playbook is loaded, so a loop over a template cannot
   * be unrolled: it is refused here. Undefined after an error.
   */
  private importLoop(scope: Scope, node: unknown, raw: Record<string, unknown>, key: string, inherit: Inherit, where: string): Inherit[] | undefined {
    const { sf } = scope;
    for (const k of ['register', 'notify', 'with_first_found', 'until', 'retries', 'changed_when', 'failed_when']) {
      if (raw[k] !== undefined) {
        this.error(`${where}.${k}: not supported on ${key} (its tasks are read when the playbook is loaded)`, sf.posAtPath(node, [k], true), where);
        return undefined;
      }
    }
    const loopKeys = Object.keys(LOOP_FORMS).filter((k) => k !== 'with_first_found' && raw[k] !== undefined);
    if (loopKeys.length === 0) return [inherit];
    if (loopKeys.length > 1) {
      this.error(`${where}: use only one of ${loopKeys.join(', ')}`, sf.posAtPath(node, [loopKeys[1]], true), where);
      return undefined;
    }
    const lk = loopKeys[0];
    const value = raw[lk];
    const at = sf.posAtPath(node, [lk], true);
    if (typeof value === 'string') {
      this.error(
        `${where}.${lk}: a loop over a template is not supported on ${key}: its tasks are read when the playbook is loaded, so write the items out as a list, or put the loop on the tasks inside`,
        at,
        where,
      );
      return undefined;
    }
    const form = LOOP_FORMS[lk];
    let items: unknown[];
    try {
      if (form) items = loopFormItems(form, value, []);
      else if (Array.isArray(value)) items = value;
      else throw new Error(`${lk} expects a list, found ${found(value)}`);
    } catch (e) {
      this.error(`${where}.${lk}: ${(e as Error).message}`, at, where);
      return undefined;
    }
    this.checkTemplatesIn(sf, value, sf.get(node, lk), `${where}.${lk}`);
    const lc = isPlainObject(raw.loop_control) ? raw.loop_control : {};
    const loopVar = str(lc.loop_var) ?? 'item';
    const indexVar = str(lc.index_var);
    return items.map((item, i) => ({
      ...inherit,
      vars: {
        ...inherit.vars,
        [loopVar]: item,
        ...(indexVar ? { [indexVar]: i } : {}),
        ansible_loop: { index: i + 1, index0: i, first: i === 0, last: i === items.length - 1, length: items.length },
      },
    }));
  }

  /** `import_role` / `include_role` (both read when the playbook is loaded). */
  private importRole(scope: Scope, node: unknown, raw: Record<string, unknown>, key: string, inherit: Inherit, where: string, out: Task[]): void {
    const { sf } = scope;
    const plain = normalizeModuleName(key);
    const valueNode = sf.get(node, key);
    let opts: Record<string, unknown> = {};
    const optPos: Record<string, SourcePos> = {};
    const value = raw[key];
    if (typeof value === 'string') {
      const base = sf.contentPos(valueNode);
      for (const t of splitArgs(value)) {
        const m = /^([A-Za-z_]\w*)=(.*)$/s.exec(t.text);
        const p = posAt(base, value, t.start)!;
        if (!m) {
          this.error(`${where}.${key}: expected name=ROLE (key=value options), found '${t.text}'`, p, where);
          return;
        }
        opts[m[1]] = unquote(m[2]);
        optPos[m[1]] = p;
      }
    } else if (isPlainObject(value)) {
      opts = value;
      for (const k of Object.keys(value)) optPos[k] = sf.posAtPath(valueNode, [k], true);
    } else {
      this.error(`${where}.${key}: expected a map with name: (and tasks_from, vars_from, defaults_from, handlers_from), found ${found(value)}`, sf.contentPos(valueNode), where);
      return;
    }
    for (const k of Object.keys(opts)) {
      if (k === 'apply') {
        this.error(`${where}.${key}.apply: not supported: put the keywords (tags, when, become, …) on the ${plain} task itself`, optPos[k], where);
        return;
      }
      if (!ROLE_TASK_OPTIONS.has(k) && typeof value === 'string') {
        this.error(`${where}.${key}: unknown option '${k}'${didYouMean(k, ROLE_TASK_OPTIONS)}`, optPos[k], where);
        return;
      }
    }
    const name = opts.name;
    if (typeof name !== 'string' || name.trim() === '') {
      this.error(`${where}.${key}: expected name: with the role's name`, optPos.name ?? sf.posAtPath(node, [key], true), where);
      return;
    }
    for (const k of ['name', 'tasks_from', 'vars_from', 'defaults_from', 'handlers_from']) {
      const v = opts[k];
      if (v !== undefined && (typeof v !== 'string' || v.includes('{{'))) {
        this.error(`${where}.${key}.${k}: expected a file name (not a template: roles are read when the playbook is loaded), found ${found(v)}`, optPos[k], where);
        return;
      }
    }
    const visible = boolish(opts.public) ?? plain === 'import_role';
    this.runRole(
      { ...scope, inherit },
      {
        name,
        params: {},
        pos: optPos.name ?? sf.posAtPath(node, [key], true),
        where: `${where}.${key}`,
        tasksFrom: str(opts.tasks_from),
        varsFrom: str(opts.vars_from),
        defaultsFrom: str(opts.defaults_from),
        handlersFrom: str(opts.handlers_from),
        once: false,
        visible,
      },
      out,
    );
  }

  private importTasks(scope: Scope, node: unknown, raw: Record<string, unknown>, key: string, inherit: Inherit, where: string, out: Task[]): void {
    const { sf } = scope;
    const file = raw[key];
    const at = sf.posAtPath(node, [key]);
    if (typeof file !== 'string' || file.trim() === '') return; // schema reported it
    if (file.includes('{{')) {
      this.error(`${where}.${key}: the file name cannot be a template (tasks are imported when the playbook is loaded)`, at, where);
      return;
    }
    const fromDir = path.dirname(path.resolve(sf.file));
    const candidates = path.isAbsolute(file)
      ? [file]
      : [...new Set([path.resolve(fromDir, file), ...(scope.role ? [path.resolve(scope.role.dir, 'tasks', file)] : []), path.resolve(scope.dir, file), path.resolve(scope.dir, 'tasks', file)])];
    const abs = candidates.find((c) => existsSync(c));
    if (!abs) {
      this.error(`${where}.${key}: file not found: ${file} (looked at ${candidates.join(', ')})`, at, where);
      return;
    }
    if (scope.chain.includes(abs)) {
      this.error(`${where}.${key}: ${file} imports itself (${[...scope.chain, abs].map(displayPath).join(' → ')})`, at, where);
      return;
    }
    const child = this.parse(abs, readFileSync(abs, 'utf8'));
    if (!child) return;
    const data = child.toJS();
    if (!this.validate(child, structureValidators().tasks, data, (seg) => label('tasks', seg), () => false) && !Array.isArray(data)) return;
    if (!Array.isArray(data)) return;
    this.taskList({ ...scope, sf: child, inherit, chain: [...scope.chain, abs] }, child.contents, data, 'tasks', out);
  }

  private build(
    scope: Scope,
    node: unknown,
    raw: Record<string, unknown>,
    where: string,
    moduleKey: string,
    moduleName: string,
    mod: ModuleInfo,
    inherit: Inherit,
  ): Task {
    const noLog = boolish(raw.no_log) ?? inherit.noLog ?? false;
    const firstError = this.errors.length;
    const task = this.buildTask(scope, node, raw, where, moduleKey, moduleName, mod, inherit, noLog);
    // A no_log task's errors name where the problem is, never the values written there.
    if (noLog) for (let i = firstError; i < this.errors.length; i++) this.errors[i] = redacted(this.errors[i], task.args);
    return task;
  }

  private buildTask(
    scope: Scope,
    node: unknown,
    raw: Record<string, unknown>,
    where: string,
    moduleKey: string,
    moduleName: string,
    mod: ModuleInfo,
    inherit: Inherit,
    noLog: boolean,
  ): Task {
    const { sf } = scope;
    const modNode = sf.get(node, moduleKey);
    const modValue = raw[moduleKey];
    const argsKwNode = sf.get(node, 'args');
    const args: Record<string, unknown> = isPlainObject(raw.args) ? { ...raw.args } : {};
    const argPos: Record<string, SourcePos> = {};
    const templatePos: Record<string, SourcePos> = {};
    const argWhere = `${where}.${moduleKey}`;
    let summary = '';
    if (isPlainObject(raw.args)) {
      for (const k of Object.keys(raw.args)) argPos[k] = sf.posAtPath(argsKwNode, [k], true);
      this.collectTemplates(sf, raw.args, argsKwNode, '', templatePos, `${where}.args`);
    }

    if (typeof modValue === 'string') {
      const base = sf.contentPos(modNode);
      const parsed = this.stringArgs(modValue, mod, base, argWhere);
      Object.assign(args, parsed.args);
      Object.assign(argPos, parsed.pos);
      for (const [k, v] of Object.entries(parsed.args)) {
        if (typeof v === 'string' && isTemplated(v)) {
          templatePos[k] = parsed.valuePos[k];
          this.checkTemplateAt(v, parsed.valuePos[k], `${argWhere}.${k}`);
        }
      }
      summary = modValue;
    } else if (isPlainObject(modValue)) {
      Object.assign(args, modValue);
      for (const k of Object.keys(modValue)) argPos[k] = sf.posAtPath(modNode, [k], true);
      this.collectTemplates(sf, modValue, modNode, '', templatePos, argWhere);
      summary = Object.entries(modValue)
        .map(([k, v]) => `${k}=${typeof v === 'string' ? v : JSON.stringify(v)}`)
        .join(' ');
    } else if (modValue !== null && modValue !== undefined) {
      this.error(`${argWhere}: expected a map of arguments${mod.freeForm ? ` or a ${mod.freeForm} string` : ' or key=value text'}, found ${found(modValue)}`, sf.pos(modNode), argWhere);
    }
    if (isPlainObject(modValue)) this.checkNumericMode(sf, modNode, argWhere);
    if (isPlainObject(raw.args)) this.checkNumericMode(sf, argsKwNode, `${where}.args`);
    this.validateArgs(mod, args, argWhere, (seg, keyOf) => {
      const first = seg[0];
      if (first !== undefined && isPlainObject(modValue) && first in modValue) return sf.posAtPath(modNode, seg, keyOf);
      if (first !== undefined && isPlainObject(raw.args) && first in raw.args) return sf.posAtPath(argsKwNode, seg, keyOf);
      if (first !== undefined && argPos[first]) return argPos[first];
      return sf.posAtPath(node, [moduleKey], true);
    });

    const loopKeys = Object.keys(LOOP_FORMS).filter((k) => raw[k] !== undefined);
    const loopKey = loopKeys[0];
    if (loopKeys.length > 1) {
      this.error(`${where}: use only one of ${loopKeys.join(', ')}`, sf.posAtPath(node, [loopKeys[1]], true), where);
    }
    let loop: Located<unknown> | undefined;
    if (loopKey && raw[loopKey] !== null && raw[loopKey] !== undefined) {
      const ln = sf.get(node, loopKey);
      loop = { value: raw[loopKey], pos: sf.contentPos(ln) };
      this.checkTemplatesIn(sf, raw[loopKey], ln, `${where}.${loopKey}`);
    }
    const lc = isPlainObject(raw.loop_control) ? raw.loop_control : {};

    const vars = { ...inherit.vars, ...(isPlainObject(raw.vars) ? raw.vars : {}) };
    if (isPlainObject(raw.vars)) this.checkTemplatesIn(sf, raw.vars, sf.get(node, 'vars'), `${where}.vars`);

    const name = str(raw.name) ?? (noLog ? `${moduleName} (no_log)` : defaultName(moduleName, summary));
    if (typeof raw.name === 'string') this.checkTemplatesIn(sf, raw.name, sf.get(node, 'name'), `${where}.name`);
    const delegateTo = str(raw.delegate_to) ?? inherit.delegateTo;
    if (typeof raw.delegate_to === 'string') this.checkTemplatesIn(sf, raw.delegate_to, sf.get(node, 'delegate_to'), `${where}.delegate_to`);

    const task: Task = {
      name,
      namePos: typeof raw.name === 'string' ? sf.contentPos(sf.get(node, 'name')) : undefined,
      module: moduleName,
      args,
      argPos,
      templatePos,
      when: [...inherit.when, ...this.conditions(sf, node, raw, 'when', where)],
      register: str(raw.register),
      loop,
      ...(loop && LOOP_FORMS[loopKey] ? { loopForm: LOOP_FORMS[loopKey] } : {}),
      loopVar: str(lc.loop_var) ?? 'item',
      indexVar: str(lc.index_var),
      loopLabel: typeof lc.label === 'number' ? String(lc.label) : str(lc.label),
      notify: strList(raw.notify),
      changedWhen: this.conditions(sf, node, raw, 'changed_when', where),
      failedWhen: this.conditions(sf, node, raw, 'failed_when', where),
      ignoreErrors: boolish(raw.ignore_errors) ?? inherit.ignoreErrors ?? false,
      tags: normalizeTags([...inherit.tags, ...normalizeTags(raw.tags)]),
      vars,
      become: boolish(raw.become) ?? inherit.become,
      becomeUser: str(raw.become_user) ?? inherit.becomeUser,
      delegateTo,
      runOnce: boolish(raw.run_once) ?? inherit.runOnce ?? false,
      retries: typeof raw.retries === 'number' ? raw.retries : undefined,
      delay: typeof raw.delay === 'number' ? raw.delay : undefined,
      until: this.conditions(sf, node, raw, 'until', where),
      noLog,
      checkMode: boolish(raw.check_mode) ?? inherit.checkMode,
      diff: boolish(raw.diff) ?? inherit.diff,
      listen: strList(raw.listen),
      ...(scope.role ? { role: scope.role.ref } : {}),
      ...(scope.blocks?.length ? { blocks: scope.blocks } : {}),
      pos: sf.pos(node),
    };
    const notifyNode = sf.get(node, 'notify');
    task.notify.forEach((n, i) => {
      const pos = Array.isArray(raw.notify) ? sf.pos(sf.item(notifyNode, i)) : sf.contentPos(notifyNode);
      scope.notifies.push({ task, name: n, pos, label: `${where}.notify` });
    });
    return task;
  }

  /**
   * `mode: 999` would be applied as 01747: a mode written as a bare number with digits 8 or 9
   * is no octal mode (`0755` and `644` are; YAML 1.1 reads `0755` as 493, so the digits
   * written decide, not the number read).
   */
  private checkNumericMode(sf: SourceFile, argsNode: unknown, where: string): void {
    if (!argsNode) return;
    const node = sf.resolve(sf.get(argsNode, 'mode')) as { value?: unknown; range?: [number, number, number] } | undefined;
    if (!node || !node.range) return;
    const written = sf.text.slice(node.range[0], node.range[1]).trim();
    // Unquoted digits: a number, or (0789, as PyYAML reads it) a string.
    if ((typeof node.value === 'number' || typeof node.value === 'string') && /^[+-]?\d+$/.test(written) && /[89]/.test(written)) {
      this.error(
        `${where}.mode: expected an octal mode (digits 0-7, e.g. '0644'), found ${written}: quote the mode as written for chmod (mode: '0644')`,
        sf.contentPos(node),
        `${where}.mode`,
      );
    }
  }

  /** Arguments written as a string: the free form, or `key=value` pairs. */
  private stringArgs(
    text: string,
    mod: ModuleInfo,
    base: SourcePos,
    where: string,
  ): { args: Record<string, unknown>; pos: Record<string, SourcePos>; valuePos: Record<string, SourcePos> } {
    const props = isPlainObject(mod.schema.properties) ? (mod.schema.properties as Record<string, unknown>) : {};
    const args: Record<string, unknown> = {};
    const pos: Record<string, SourcePos> = {};
    const valuePos: Record<string, SourcePos> = {};
    const tokens = splitArgs(text);
    if (mod.freeForm) {
      // As Ansible: `key=value` words naming a parameter are taken out of the free form.
      const kept: string[] = [];
      let firstKept: number | undefined;
      for (const t of tokens) {
        const m = /^([A-Za-z_]\w*)=(.*)$/s.exec(t.text);
        if (m && m[1] !== mod.freeForm && m[1] in props && !text.includes('{{')) {
          args[m[1]] = coerce(unquote(m[2]), props[m[1]]);
          pos[m[1]] = posAt(base, text, t.start)!;
          valuePos[m[1]] = posAt(base, text, t.start + m[1].length + 1)!;
        } else {
          kept.push(text.slice(t.start, t.end));
          firstKept ??= t.start;
        }
      }
      const rest = kept.length === tokens.length ? text.trim() : kept.join(' ');
      args[mod.freeForm] = rest;
      pos[mod.freeForm] = posAt(base, text, firstKept ?? 0)!;
      valuePos[mod.freeForm] = posAt(base, text, kept.length === tokens.length ? text.length - text.trimStart().length : (firstKept ?? 0))!;
      return { args, pos, valuePos };
    }
    for (const t of tokens) {
      const m = /^([A-Za-z_]\w*)=(.*)$/s.exec(t.text);
      if (!m) {
        this.error(
          `${where}: expected key=value arguments (this module has no free form), found '${t.text}'`,
          posAt(base, text, t.start),
          where,
        );
        continue;
      }
      args[m[1]] = coerce(unquote(m[2]), props[m[1]]);
      pos[m[1]] = posAt(base, text, t.start)!;
      const quoted = /^["']/.test(m[2]) ? 1 : 0;
      valuePos[m[1]] = posAt(base, text, t.start + m[1].length + 1 + quoted)!;
    }
    return { args, pos, valuePos };
  }

  /**
   * Check module arguments against the module's schema. A templated string can only be
   * checked once rendered (the executor validates again then): errors at or below a
   * templated value, and alternatives (anyOf/oneOf/if/not) above one, are left for then.
   */
  private validateArgs(mod: ModuleInfo, args: Record<string, unknown>, where: string, posOf: (seg: string[], keyOf: boolean) => SourcePos): void {
    const validate = argValidator(mod.schema);
    if (validate(args)) return;
    const templated: string[] = [];
    const walk = (v: unknown, at: string) => {
      if (typeof v === 'string') {
        if (isTemplated(v)) templated.push(at);
      } else if (Array.isArray(v)) v.forEach((x, i) => walk(x, `${at}/${i}`));
      else if (isPlainObject(v)) for (const k of Object.keys(v)) walk(v[k], `${at}/${k.replace(/~/g, '~0').replace(/\//g, '~1')}`);
    };
    walk(args, '');
    const under = (p: string, t: string) => p === t || p.startsWith(`${t}/`);
    const dropped: ErrorObject[] = [];
    const kept = (validate.errors ?? []).filter((e: ErrorObject) => {
      if (templated.some((t) => under(e.instancePath, t))) return false;
      if (['anyOf', 'oneOf', 'if', 'not'].includes(e.keyword) && templated.some((t) => under(t, e.instancePath))) {
        dropped.push(e);
        return false;
      }
      return true;
    });
    const rest = kept.filter(
      (e) => !dropped.some((d) => e.schemaPath.startsWith(`${d.schemaPath}/`) && under(e.instancePath, d.instancePath)),
    );
    for (const x of explainErrors(rest)) this.argError(x, where, posOf);
  }

  private argError(x: Explained, where: string, posOf: (seg: string[], keyOf: boolean) => SourcePos): void {
    const at = label(where, x.segments);
    this.error(`${at}: ${x.message}`, posOf(x.segments, x.keyOf ?? false), at);
  }

  /** when / changed_when / failed_when / until as located expressions, checked for syntax. */
  private conditions(sf: SourceFile, node: unknown, raw: Record<string, unknown>, key: string, where: string): Located[] {
    const v = raw[key];
    if (v === undefined || v === null) return [];
    const n = sf.get(node, key);
    const items: [unknown, unknown][] = Array.isArray(v) ? v.map((x, i) => [x, sf.item(n, i)]) : [[v, n]];
    const out: Located[] = [];
    for (const [value, itemNode] of items) {
      if (typeof value === 'boolean') {
        out.push({ value: String(value), pos: sf.pos(itemNode) });
        continue;
      }
      if (typeof value !== 'string') continue; // schema reported it
      const base = sf.contentPos(itemNode);
      const u = unwrapTemplate(value);
      let expr = value;
      let pos = base;
      if (u.wrapped) {
        const lead = u.expr.length - u.expr.trimStart().length;
        expr = u.expr.trim();
        pos = posAt(base, value, u.offset + lead)!;
        this.warnings.push({ msg: `${where}.${key}: conditions are expressions, write them without {{ }}`, pos: base });
      }
      try {
        checkExpr(expr, { pos });
      } catch (e) {
        if (e instanceof TemplateError) this.fromTemplateError(e, `${where}.${key}`);
        else throw e;
        continue;
      }
      out.push({ value: expr, pos });
    }
    return out;
  }

  private checkTemplateAt(text: string, pos: SourcePos | undefined, where: string): void {
    try {
      checkTemplate(text, { pos });
    } catch (e) {
      if (e instanceof TemplateError) this.fromTemplateError(e, where);
      else throw e;
    }
  }

  /** Check the syntax of every template inside a value. */
  checkTemplatesIn(sf: SourceFile, value: unknown, node: unknown, where: string): void {
    this.collectTemplates(sf, value, node, '', undefined, where);
  }

  private collectTemplates(sf: SourceFile, value: unknown, node: unknown, at: string, into: Record<string, SourcePos> | undefined, where: string): void {
    if (typeof value === 'string') {
      if (!isTemplated(value)) return;
      const pos = sf.contentPos(node);
      if (into) into[at] = pos;
      this.checkTemplateAt(value, pos, at ? `${where}.${at.replace(/\//g, '.')}` : where);
    } else if (Array.isArray(value)) {
      value.forEach((v, i) => this.collectTemplates(sf, v, sf.item(node, i), at === '' ? String(i) : `${at}/${i}`, into, where));
    } else if (isPlainObject(value)) {
      for (const k of Object.keys(value)) {
        this.collectTemplates(sf, value[k], sf.get(node, k), at === '' ? k : `${at}/${k}`, into, where);
      }
    }
  }
}

/** Every string written in a value, for redaction. */
function stringsIn(v: unknown, out: string[] = []): string[] {
  if (typeof v === 'string') out.push(v);
  else if (Array.isArray(v)) v.forEach((x) => stringsIn(x, out));
  else if (isPlainObject(v)) Object.values(v).forEach((x) => stringsIn(x, out));
  return out;
}

/** The same error with quoted values and every argument string taken out of its message. */
function redacted(e: ConfigError, args: Record<string, unknown>): ConfigError {
  const prefix = e.pos ? `${formatPos(e.pos)}: ` : '';
  let msg = e.message.startsWith(prefix) ? e.message.slice(prefix.length) : e.message;
  msg = msg.replace(/found '[^]*?'(?=$|[,;)\n]| \()/g, 'found a string (hidden: no_log)');
  const secrets = stringsIn(args)
    .flatMap((s) => [s, ...s.split(/\s+/)])
    .filter((s) => s.length >= 4)
    .sort((a, b) => b.length - a.length);
  for (const s of secrets) msg = msg.split(s).join('<hidden>');
  return new ConfigError(msg, e.pos, e.schemaPath);
}

function defaultName(module: string, summary: string): string {
  const s = summary.replace(/\s+/g, ' ').trim();
  if (!s) return module;
  return `${module}: ${s.length > 40 ? `${s.slice(0, 40)}…` : s}`;
}

/**
 * Load a playbook: parse YAML 1.1 with positions, check the structure (JSON Schema), the
 * module of every task and its arguments (those not templated), template and expression
 * syntax, handler names; import `import_tasks` files. Throws ConfigErrors listing every
 * problem, each at file:line:col.
 */
export async function loadPlaybook(file: string, opts: LoadOptions): Promise<Playbook> {
  const abs = path.resolve(file);
  const dir = path.dirname(abs);
  const text = await readSourceText(file, 'playbook');
  const loader = new Loader(opts.knownModules, dir);
  const sf = loader.parse(abs, text);
  const plays = sf ? loader.playbook(sf) : [];
  if (loader.errors.length) throw new ConfigErrors(sortErrors(loader.errors));
  return { path: abs, dir, plays, warnings: loader.warnings };
}

function sortErrors(errors: ConfigError[]): ConfigError[] {
  return errors
    .map((e, i) => ({ e, i }))
    .sort((a, b) => {
      const pa = a.e.pos;
      const pb = b.e.pos;
      if (!pa || !pb || pa.file !== pb.file) return a.i - b.i;
      return pa.line - pb.line || pa.col - pb.col || a.i - b.i;
    })
    .map((x) => x.e);
}

export { pointer };
