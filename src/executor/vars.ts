import { TemplateError } from '../core/errors.js';
import { renderString } from '../template/render.js';

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
  inventory: Vars;
  play: Vars;
  varsFiles: Vars;
  task: Vars;
  registered: Vars;
  extra: Vars;
  magic: Vars;
  /** Loop variable and friends; above everything but extra vars. */
  loop?: Vars;
}

/**
 * Merge variable layers by SPEC §3 precedence (lowest first) into one object whose string
 * values holding templates are rendered on first read: a var may refer to another var, as in
 * Ansible, without the whole set being rendered up front.
 */
export function layeredVars(l: Layers): Vars {
  const merged: Vars = {
    ...l.inventory,
    ...l.play,
    ...l.varsFiles,
    ...l.task,
    ...l.registered,
    ...(l.loop ?? {}),
    ...l.extra,
    ...l.magic,
  };
  return lazilyRendered(merged);
}

function lazilyRendered(merged: Vars): Vars {
  const out: Vars = {};
  const resolving = new Set<string>();
  for (const [key, raw] of Object.entries(merged)) {
    if (!needsRender(raw)) {
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
          cached = { v: renderValue(raw, out, key) };
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
  if (typeof v === 'string') return v.includes('{{');
  if (Array.isArray(v)) return v.some(needsRender);
  if (v && typeof v === 'object' && Object.getPrototypeOf(v) === Object.prototype) {
    return Object.values(v).some(needsRender);
  }
  return false;
}

function renderValue(v: unknown, vars: Vars, key: string): unknown {
  if (typeof v === 'string') {
    return v.includes('{{') ? renderString(v, vars, { what: `variable '${key}'` }) : v;
  }
  if (Array.isArray(v)) return v.map((x) => renderValue(x, vars, key));
  if (v && typeof v === 'object' && Object.getPrototypeOf(v) === Object.prototype) {
    const o: Vars = {};
    for (const [k, x] of Object.entries(v)) o[k] = renderValue(x, vars, key);
    return o;
  }
  return v;
}

/**
 * `hostvars`: every host's inventory variables plus what it registered, read lazily so a
 * large inventory costs nothing until a template looks.
 */
export function hostvarsView(names: readonly string[], lookup: (name: string) => { inventoryVars: Vars; registered: Vars }): Vars {
  const out: Vars = {};
  for (const name of names) {
    Object.defineProperty(out, name, {
      enumerable: true,
      // Not cached: a host's registered results grow as the play runs.
      get() {
        const h = lookup(name);
        return lazilyRendered({ ...h.inventoryVars, ...h.registered, inventory_hostname: name });
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
