import type { ErrorObject } from 'ajv';
import type { ModuleDefinition } from '../core/module.js';
import { validatorFor } from '../core/validators.js';

/** The placeholder `omit` renders to; parameters equal to it are dropped, as in Ansible. */
export const OMIT = '__omit_place_holder__';

/**
 * Validate rendered module parameters against the module's schema. Returns the parameters
 * (with schema defaults filled in) or a message listing every problem.
 */
export function validateParams(
  mod: ModuleDefinition<any, any>,
  params: Record<string, unknown>,
): { ok: true; params: Record<string, unknown> } | { ok: false; message: string } {
  const validate = validatorFor(mod.schema, 'defaults');
  const copy = stripOmitted(structuredClone(params)) as Record<string, unknown>;
  if (validate(copy)) return { ok: true, params: copy };
  return { ok: false, message: describeErrors(mod.name, validate.errors ?? []) };
}

function stripOmitted(v: unknown): unknown {
  if (Array.isArray(v)) return v.filter((x) => x !== OMIT).map(stripOmitted);
  if (v && typeof v === 'object') {
    const o = v as Record<string, unknown>;
    for (const k of Object.keys(o)) {
      if (o[k] === OMIT) delete o[k];
      else o[k] = stripOmitted(o[k]);
    }
  }
  return v;
}

export function describeErrors(moduleName: string, errors: ErrorObject[]): string {
  const lines = new Set<string>();
  for (const e of errors) {
    const where = e.instancePath ? e.instancePath.slice(1).replace(/\//g, '.') : moduleName;
    if (e.keyword === 'additionalProperties') {
      lines.add(`${where}: unknown parameter '${String(e.params.additionalProperty)}'`);
    } else if (e.keyword === 'required') {
      lines.add(`${where}: missing required parameter '${String(e.params.missingProperty)}'`);
    } else if (e.keyword === 'enum') {
      lines.add(`${where}: must be one of ${(e.params.allowedValues as unknown[]).map((x) => JSON.stringify(x)).join(', ')}`);
    } else if (e.keyword === 'oneOf' || e.keyword === 'anyOf' || e.keyword === 'if') {
      continue; // the specific branch errors say more
    } else {
      lines.add(`${where}: ${e.message ?? e.keyword}`);
    }
  }
  if (lines.size === 0 && errors[0]) lines.add(`${moduleName}: ${errors[0].message ?? 'invalid parameters'}`);
  return [...lines].join('; ');
}
