import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { Ajv, type ErrorObject, type ValidateFunction } from 'ajv';
import addFormatsModule from 'ajv-formats';
import { ConfigError, ConfigErrors, formatPos, type SourcePos, TemplateError } from '../core/errors.js';
import type { JsonSchema } from '../core/module.js';
import { impossiblePattern } from '../inventory/patterns.js';
import { checkExpr, unwrapTemplate } from '../template/expr.js';
import { posAt } from '../template/pos.js';
import { checkTemplate } from '../template/render.js';
import { isPlainObject } from '../template/runtime.js';
import { closest, didYouMean } from '../template/suggest.js';
import { type Explained, explainErrors, found, pointer } from './explain.js';
import { playbookSchema, taskFileSchema, TASK_KEYWORDS, UNSUPPORTED_TASK_KEYWORDS } from './schema.js';
import type { Located, Play, Playbook, Section, Task } from './types.js';
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

const addFormats = addFormatsModule as unknown as (ajv: Ajv) => Ajv;

function newAjv(): Ajv {
  const ajv = new Ajv({ allErrors: true, verbose: true, strict: false });
  addFormats(ajv);
  return ajv;
}

let structure: { playbook: ValidateFunction; tasks: ValidateFunction } | undefined;
function structureValidators() {
  if (!structure) {
    const ajv = newAjv();
    structure = { playbook: ajv.compile(playbookSchema), tasks: ajv.compile(taskFileSchema) };
  }
  return structure;
}

const argsAjv = newAjv();
const argValidators = new WeakMap<object, ValidateFunction>();
function argValidator(schema: JsonSchema): ValidateFunction {
  let v = argValidators.get(schema);
  if (!v) {
    v = argsAjv.compile(schema);
    argValidators.set(schema, v);
  }
  return v;
}

/** Prefixes of fully qualified module names that map onto runbook's modules. */
const FQCN_PREFIXES = ['ansible.builtin.', 'ansible.legacy.', 'community.docker.', 'community.general.', 'ansible.posix.'];

export function normalizeModuleName(name: string): string {
  for (const p of FQCN_PREFIXES) if (name.startsWith(p)) return name.slice(p.length);
  return name;
}

const IMPORT_KEYS = new Set(['import_tasks', 'include_tasks']);
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
  if (types.size === 0 || types.has('string') || value.includes('{{')) return value;
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
}

class Loader {
  readonly errors: ConfigError[] = [];
  readonly warnings: Warning[] = [];

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

  playbook(sf: SourceFile): Play[] {
    const data = sf.toJS();
    if (data === null || data === undefined) {
      this.error('the playbook is empty: expected a list of plays', sf.at(0));
      return [];
    }
    const importing = new Set<number>();
    if (Array.isArray(data)) {
      data.forEach((p, i) => {
        if (isPlainObject(p) && ('import_playbook' in p || 'ansible.builtin.import_playbook' in p)) {
          importing.add(i);
          this.error(
            `plays[${i}]: import_playbook is not supported: list the plays in one file, or run the playbooks one after the other`,
            sf.pos(sf.item(sf.contents, i)),
          );
        }
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
      if (!isPlainObject(raw) || importing.has(i)) return;
      plays.push(this.play(sf, sf.item(sf.contents, i), raw, i));
    });
    return plays;
  }

  private play(sf: SourceFile, node: unknown, raw: Record<string, unknown>, index: number): Play {
    for (const [key, why] of Object.entries({
      roles: 'roles are not supported: use import_tasks',
      vars_prompt: 'vars_prompt is not supported: pass values with -e',
      environment: 'environment is not supported',
    })) {
      if (key in raw) this.error(`${key}: ${why}`, sf.posAtPath(node, [key], true), key);
    }
    if (raw.gather_facts !== undefined && boolish(raw.gather_facts)) {
      this.warnings.push({ msg: 'gather_facts is ignored: runbook does not gather facts', pos: sf.posAtPath(node, ['gather_facts'], true) });
    }
    const hosts = Array.isArray(raw.hosts) ? strList(raw.hosts).join(':') : (str(raw.hosts) ?? '');
    if (hosts && !hosts.includes('{{')) {
      const why = impossiblePattern(hosts);
      if (why) this.error(`hosts: the pattern '${hosts}' can never match a host: ${why}`, sf.contentPos(sf.get(node, 'hosts')), 'hosts');
    }
    const vars = isPlainObject(raw.vars) ? raw.vars : {};
    this.checkTemplatesIn(sf, vars, sf.get(node, 'vars'), 'vars');

    const varsFiles: string[] = [];
    const vfNode = sf.get(node, 'vars_files');
    strList(raw.vars_files).forEach((f, i) => {
      const abs = path.resolve(this.dir, f);
      if (!f.includes('{{') && !existsSync(abs)) {
        const itemNode = Array.isArray(raw.vars_files) ? sf.item(vfNode, i) : vfNode;
        this.error(`vars_files: file not found: ${f} (looked at ${abs})`, sf.pos(itemNode), 'vars_files');
      }
      varsFiles.push(abs);
    });

    const playTags = normalizeTags(raw.tags);
    const notifies: Scope['notifies'] = [];
    const section = (name: Section | 'handlers'): Task[] => {
      const out: Task[] = [];
      const list = raw[name];
      if (!Array.isArray(list)) return out;
      const scope: Scope = {
        sf,
        inherit: { when: [], tags: name === 'handlers' ? [] : playTags, vars: {} },
        handler: name === 'handlers',
        chain: [],
        notifies,
      };
      this.taskList(scope, sf.get(node, name), list, name, out);
      return out;
    };
    const sections = { pre_tasks: section('pre_tasks'), tasks: section('tasks'), post_tasks: section('post_tasks') };
    const handlers = section('handlers');
    this.checkNotifies(notifies, handlers);

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
      pos: sf.pos(node),
    };
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
      } else if (IMPORT_KEYS.has(plain)) {
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
      if (Array.isArray(raw.block)) {
        this.taskList({ ...scope, inherit }, sf.get(node, 'block'), raw.block, `${where}.block`, out);
      }
      return;
    }
    if (importKey) {
      if (candidates.length) {
        this.error(`${where}: ${importKey} cannot be combined with a module ('${candidates[0]}')`, keyPos(candidates[0]), where);
        return;
      }
      this.importTasks(scope, node, raw, importKey, inherit, where, out);
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
    const p = scope.inherit;
    if (raw.block === undefined && !Object.keys(raw).some((k) => IMPORT_KEYS.has(normalizeModuleName(k)))) return p;
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

  private importTasks(scope: Scope, node: unknown, raw: Record<string, unknown>, key: string, inherit: Inherit, where: string, out: Task[]): void {
    const { sf } = scope;
    const file = raw[key];
    const at = sf.posAtPath(node, [key]);
    if (typeof file !== 'string' || file.trim() === '') return; // schema reported it
    if (file.includes('{{')) {
      this.error(`${where}.${key}: the file name cannot be a template (tasks are imported when the playbook is loaded)`, at, where);
      return;
    }
    for (const k of ['loop', 'with_items', 'with_list', 'register', 'notify']) {
      if (raw[k] !== undefined) {
        this.error(`${where}.${k}: not supported on ${key} (its tasks are imported when the playbook is loaded)`, sf.posAtPath(node, [k], true), where);
        return;
      }
    }
    const fromDir = path.dirname(path.resolve(sf.file));
    const candidates = path.isAbsolute(file)
      ? [file]
      : [...new Set([path.resolve(fromDir, file), path.resolve(this.dir, file), path.resolve(this.dir, 'tasks', file)])];
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
        if (typeof v === 'string' && v.includes('{{')) {
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

    const loopKey = ['loop', 'with_items', 'with_list'].find((k) => raw[k] !== undefined);
    if (loopKey && ['loop', 'with_items', 'with_list'].filter((k) => raw[k] !== undefined).length > 1) {
      this.error(`${where}: use only one of loop, with_items, with_list`, sf.posAtPath(node, [loopKey], true), where);
    }
    let loop: Located<unknown> | undefined;
    if (loopKey && (typeof raw[loopKey] === 'string' || Array.isArray(raw[loopKey]))) {
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
    if (!node || typeof node.value !== 'number' || !node.range) return;
    const written = sf.text.slice(node.range[0], node.range[1]).trim();
    if (/^[+-]?\d+$/.test(written) && /[89]/.test(written)) {
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
        if (v.includes('{{')) templated.push(at);
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
      if (!value.includes('{{')) return;
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
