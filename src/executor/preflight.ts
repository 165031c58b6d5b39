import { ConfigError, ConfigErrors, type SourcePos, TemplateError } from '../core/errors.js';
import type { Inventory } from '../inventory/types.js';
import type { Play, Playbook, Task } from '../playbook/types.js';
import { loadVarsFile } from '../playbook/vars-file.js';
import { exprNames, hbsNames } from '../template/names.js';
import { checkHbs } from '../template/hbs.js';
import { checkJ2, isJ2Template, j2NameSites } from '../template/j2render.js';
import { isTemplated, referencedNames } from '../template/render.js';
import { didYouMean } from '../template/suggest.js';
import { readLocalFile } from './context.js';
import { MAGIC_VARS } from './vars.js';

/**
 * Catch, before any host is touched, every template or expression that reads a name nothing
 * could define: not the inventory, play vars, vars_files, task vars, `-e`, a `register`, the
 * loop variable, or a magic variable.
 */
export async function checkUndefinedNames(
  playbook: Playbook,
  inventory: Inventory,
  extraVars: Record<string, unknown>,
): Promise<void> {
  const errors: ConfigError[] = [];
  // ansible_failed_task / ansible_failed_result: set when a rescue runs.
  const common = new Set<string>([...MAGIC_VARS, ...Object.keys(extraVars), 'ansible_loop', 'ansible_failed_task', 'ansible_failed_result']);
  for (const play of playbook.plays) for (const t of allTasks(play)) if (t.register) common.add(t.register);
  // What set_fact and include_vars set is defined for every later task (they persist across plays).
  for (const play of playbook.plays) {
    for (const t of allTasks(play)) {
      try {
        for (const n of await controllerNames(playbook, t)) common.add(n);
      } catch (e) {
        errors.push(e instanceof ConfigError ? e : new ConfigError(`task "${t.name}": ${(e as Error).message}`, t.argPos.file ?? t.pos));
      }
    }
  }
  // Facts a setup task (gather_facts) sets: any ansible_* name, as the host decides which exist.
  const gathers = playbook.plays.some((p) => allTasks(p).some((t) => t.module === 'setup'));
  const known = (n: string, defined: Set<string>) => defined.has(n) || (gathers && n.startsWith('ansible_'));
  const hint = (n: string, defined: Set<string>) =>
    n.startsWith('ansible_') && !gathers ? '; facts are gathered with gather_facts: true on the play' : didYouMean(n, defined);
  for (const h of inventory.hostNames) for (const k of Object.keys(inventory.hostVars(h))) common.add(k);
  for (const g of inventory.groups.values()) for (const k of Object.keys(g.vars)) common.add(k);

  for (const play of playbook.plays) {
    const playNames = new Set(common);
    for (const k of Object.keys(play.vars)) playNames.add(k);
    for (const f of play.varsFiles) {
      try {
        for (const k of Object.keys(await loadVarsFile(f))) playNames.add(k);
      } catch (e) {
        errors.push(e instanceof ConfigError ? e : new ConfigError(`vars_files: ${(e as Error).message}`, play.pos));
      }
    }
    const check = (names: string[], defined: Set<string>, pos: SourcePos, where: string) => {
      for (const n of names) {
        if (!known(n, defined)) {
          errors.push(new ConfigError(`undefined variable '${n}' in ${where}: nothing defines it (inventory, vars, vars_files, -e, register)${hint(n, defined)}`, pos));
        }
      }
    };
    for (const [k, v] of Object.entries(play.vars)) check(namesIn(v), playNames, play.pos, `play vars '${k}'`);
    check(referencedNames(play.hosts), playNames, play.pos, `play "${play.name}" hosts`);
    for (const task of allTasks(play)) {
      const where = `task "${task.name}"`;
      const defined = new Set(playNames);
      for (const k of Object.keys(task.vars)) defined.add(k);
      for (const layer of [task.role?.defaults ?? play.roleDefaults, task.role?.vars ?? play.roleVars, task.role?.params]) {
        for (const k of Object.keys(layer ?? {})) defined.add(k);
      }
      // The loop expression is read before its own loop variables exist.
      if (task.loop) {
        check(namesIn(task.loop.value), new Set(defined), task.loop.pos, where);
        defined.add(task.loopVar);
        if (task.indexVar) defined.add(task.indexVar);
      }
      if (task.namePos) check(namesIn(task.name), defined, task.namePos, `${where} (its name)`);
      for (const [k, v] of Object.entries(task.args)) check(namesIn(v), defined, task.argPos[k] ?? task.pos, where);
      for (const [, v] of Object.entries(task.vars)) check(namesIn(v), defined, task.pos, where);
      for (const c of [...task.when, ...task.changedWhen, ...task.failedWhen, ...task.until]) {
        check(exprNames(c.value), defined, c.pos, where);
      }
      if (task.delegateTo) check(referencedNames(task.delegateTo), defined, task.pos, where);
      // Expressions written without {{ }}: assert's conditions and debug's var.
      if (task.module === 'assert') {
        const that = task.args.that;
        for (const c of Array.isArray(that) ? that : [that]) {
          if (typeof c === 'string' && !c.includes('{{')) check(safeExprNames(c), defined, task.argPos.that ?? task.pos, where);
        }
      }
      if (task.module === 'debug' && typeof task.args.var === 'string' && !task.args.var.includes('{{')) {
        check(safeExprNames(task.args.var), defined, task.argPos.var ?? task.pos, where);
      }
      const src = task.args.src;
      if ((task.module === 'template' || task.module === 'copy') && typeof src === 'string' && src !== '' && !src.includes('{{') && !src.endsWith('/')) {
        const at = task.argPos.src ?? task.pos;
        let file: { path: string; content: Buffer };
        try {
          file = await readLocalFile(task.baseDir ?? playbook.dir, src, task.module === 'template' ? 'templates' : 'files', task.role?.dir);
        } catch (e) {
          errors.push(new ConfigError(`${where}: src ${src}: ${(e as Error).message}`, at));
          continue;
        }
        if (task.module === 'template') {
          const text = file.content.toString('utf8');
          const j2 = isJ2Template(file.path);
          try {
            if (j2) checkJ2(text, { file: file.path });
            else checkHbs(text, { pos: { file: file.path, line: 1, col: 1 } });
          } catch (e) {
            if (!(e instanceof TemplateError)) throw e;
            errors.push(new ConfigError(`${where}: template ${src}: ${e.message}`, at));
            continue;
          }
          if (j2) {
            // Each undefined name at its place in the template file, the task's src named too.
            const seen = new Set<string>();
            for (const site of j2NameSites(text, file.path)) {
              if (known(site.name, defined) || seen.has(site.name)) continue;
              seen.add(site.name);
              errors.push(new ConfigError(`undefined variable '${site.name}' in ${where} (template ${src} at ${at.file}:${at.line}:${at.col}): nothing defines it (inventory, vars, vars_files, -e, register)${hint(site.name, defined)}`, site.pos));
            }
            continue;
          }
          let names: string[] = [];
          try {
            names = hbsNames(text);
          } catch {
            // What cannot be read here is reported by the module on the host's turn.
          }
          check(names, defined, at, `${where} (template ${file.path})`);
        }
      }
    }
  }
  if (errors.length > 0) throw new ConfigErrors(dedupe(errors));
}

/** Names a set_fact or include_vars task defines (a static include_vars file is read here; a missing one is an error). */
async function controllerNames(playbook: Playbook, t: Task): Promise<string[]> {
  if (t.module === 'set_fact') return Object.keys(t.args).filter((k) => k !== 'cacheable');
  if (t.module !== 'include_vars') return [];
  if (typeof t.args.name === 'string') return [t.args.name];
  const file = t.args.file;
  if (typeof file !== 'string' || file.includes('{{')) return [];
  const at = t.argPos.file ?? t.pos;
  let found: { path: string };
  try {
    found = await readLocalFile(t.baseDir ?? playbook.dir, file, 'vars', t.role?.dir);
  } catch (e) {
    throw new ConfigError(`task "${t.name}": include_vars ${file}: ${(e as Error).message}`, at);
  }
  return Object.keys(await loadVarsFile(found.path));
}

/** Names an expression reads; a syntax error is reported when the task runs. */
function safeExprNames(expr: string): string[] {
  try {
    return exprNames(expr);
  } catch {
    return [];
  }
}

function namesIn(v: unknown): string[] {
  if (typeof v === 'string') return isTemplated(v) ? referencedNames(v) : [];
  if (Array.isArray(v)) return v.flatMap(namesIn);
  if (v && typeof v === 'object') return Object.values(v).flatMap(namesIn);
  return [];
}

function allTasks(play: Play): Task[] {
  return [...play.sections.pre_tasks, ...play.sections.tasks, ...play.sections.post_tasks, ...play.handlers];
}

function dedupe(errors: ConfigError[]): ConfigError[] {
  const seen = new Set<string>();
  return errors.filter((e) => (seen.has(e.message) ? false : (seen.add(e.message), true)));
}

/** Hosts the plays of a playbook target (with --limit), in inventory order; templated patterns target every host. */
export function targetedHosts(playbook: Playbook, inventory: Inventory, limit?: string): string[] {
  const out = new Set<string>();
  const limited = limit ? new Set(inventory.select(limit)) : undefined;
  for (const play of playbook.plays) {
    let hosts: string[];
    try {
      hosts = play.hosts.includes('{{') ? inventory.hostNames : inventory.select(play.hosts);
    } catch {
      continue; // a bad pattern is reported where the play is prepared
    }
    for (const h of hosts) if (!limited || limited.has(h)) out.add(h);
  }
  return [...out];
}
