import { TemplateError } from '../core/errors.js';
import { isTemplated, renderDeep } from '../template/render.js';

export type Vars = Record<string, unknown>;

/** Names runbook defines on every host, whatever the inventory says. */
export const MAGIC_VARS = [
  'inventory_hostname',
  'inventory_hostname_short',
  'groups',
  'group_names',
  'hostvars',
  'play_hosts',
  'ansible_play_hosts',
  'ansible_play_hosts_all',
  'ansible_play_batch',
  'ansible_check_mode',
  'ansible_diff_mode',
  'playbook_dir',
  'inventory_dir',
  'inventory_file',
  'ansible_play_name',
  'omit',
] as const;

export interface Layers {
  /** Role defaults: the lowest of all. */
  roleDefaults?: Vars;
  inventory: Vars;
  play: Vars;
  varsFiles: Vars;
  /** Role vars (vars/main.yml): above play vars and vars_files. */
  roleVars?: Vars;
  task: Vars;
  /** include_vars results: above task vars, below set_fact and registered results. */
  includedVars?: Vars;
  /** Registered results and set_fact facts (one layer: the later write wins, as in Ansible). */
  registered: Vars;
  /** Role parameters: above registered results, below extra vars. */
  roleParams?: Vars;
  extra: Vars;
  magic: Vars;
  /** Loop variable and friends; above everything but extra vars. */
  loop?: Vars;
}

/** A layer of variables and whether its values are templates to render (ones people wrote). */
type Layer = [vars: Vars | undefined, templated: boolean];

/**
 * Merge variable layers by SPEC §3 precedence (lowest first) into one object whose written
 * values holding templates are rendered on first read: a var may refer to another var, as in
 * Ansible, without the whole set being rendered up front. Registered results, loop items and
 * magic variables are data, never templates: a command's output containing `{{` stays text.
 */
export function layeredVars(l: Layers): Vars {
  return lazilyRendered([
    [l.roleDefaults, true],
    [l.inventory, true],
    [l.play, true],
    [l.varsFiles, true],
    [l.roleVars, true],
    [l.task, true],
    [l.includedVars, true],
    [l.registered, false],
    [l.roleParams, true],
    [l.loop, false],
    [l.extra, true],
    [l.magic, false],
  ]);
}

function lazilyRendered(layers: Layer[]): Vars {
  const winner = new Map<string, { raw: unknown; templated: boolean }>();
  for (const [vars, templated] of layers) {
    for (const [key, raw] of Object.entries(vars ?? {})) winner.set(key, { raw, templated });
  }
  const out: Vars = {};
  const resolving = new Set<string>();
  for (const [key, { raw, templated }] of winner) {
    if (!templated || !needsRender(raw)) {
      out[key] = raw;
      continue;
    }
    let cached: { v: unknown } | undefined;
    Object.defineProperty(out, key, {
      enumerable: true,
      configurable: true,
      get() {
        if (cached) return cached.v;
        if (resolving.has(key)) {
          throw new TemplateError(`variable '${key}' refers to itself`, undefined, key);
        }
        resolving.add(key);
        try {
          cached = { v: renderDeep(raw, out, { what: `variable '${key}'` }) };
        } finally {
          resolving.delete(key);
        }
        return cached.v;
      },
    });
  }
  return out;
}

function needsRender(v: unknown): boolean {
  if (typeof v === 'string') return isTemplated(v);
  if (Array.isArray(v)) return v.some(needsRender);
  if (v && typeof v === 'object' && Object.getPrototypeOf(v) === Object.prototype) {
    return Object.values(v).some(needsRender);
  }
  return false;
}

/**
 * `hostvars`: every host's inventory variables plus what it registered, read lazily so a
 * large inventory costs nothing until a template looks.
 */
export function hostvarsView(names: readonly string[], lookup: (name: string) => { inventoryVars: Vars; includedVars?: Vars; registered: Vars }): Vars {
  const out: Vars = {};
  for (const name of names) {
    Object.defineProperty(out, name, {
      enumerable: true,
      // Not cached: a host's registered results grow as the play runs.
      get() {
        const h = lookup(name);
        return lazilyRendered([
          [h.inventoryVars, true],
          [h.includedVars, true],
          [h.registered, false],
          [{ inventory_hostname: name }, false],
        ]);
      },
    });
  }
  return out;
}

/** `vars` plus `extra` on top, keeping unread lazy variables unread (spreading would render them all). */
export function withVars(vars: Vars, extra: Vars): Vars {
  const out = Object.defineProperties({}, Object.getOwnPropertyDescriptors(vars)) as Vars;
  for (const [k, v] of Object.entries(extra)) Object.defineProperty(out, k, { value: v, enumerable: true, configurable: true, writable: true });
  return out;
}
