import type { JsonSchema } from '../core/module.js';
import { inventorySchema } from '../inventory/schema.js';
import type { ModuleInfo } from './load.js';
import { playbookSchema, taskFileSchema, taskSchema } from './schema.js';

/** What `runbook schema` can print. */
export const SCHEMA_KINDS = ['playbook', 'tasks', 'inventory'] as const;
export type SchemaKind = (typeof SCHEMA_KINDS)[number];

/**
 * JSON Schemas for editors, made from the schemas the loader validates with: the playbook's
 * structure, with each module's own parameter schema under its task key (short and
 * `ansible.builtin.` names), so the YAML language server completes and checks module
 * parameters too.
 */
export function editorSchema(kind: SchemaKind, modules: ReadonlyMap<string, ModuleInfo & { description?: string }>): JsonSchema {
  if (kind === 'inventory') return { $schema: 'http://json-schema.org/draft-07/schema#', ...inventorySchema };
  const moduleProps: Record<string, JsonSchema> = {};
  for (const [name, m] of [...modules.entries()].sort(([a], [b]) => a.localeCompare(b))) {
    const schema = allowTemplates(m.schema);
    const params: JsonSchema = m.freeForm ? { anyOf: [{ type: 'string' }, schema] } : schema;
    const described: JsonSchema = m.description ? { description: m.description, ...params } : params;
    moduleProps[name] = described;
    moduleProps[`ansible.builtin.${name}`] = described;
  }
  const task: JsonSchema = {
    ...taskSchema,
    properties: { ...(taskSchema.properties as Record<string, JsonSchema>), ...moduleProps },
  };
  const base = kind === 'playbook' ? playbookSchema : taskFileSchema;
  const { $id: _id, ...rest } = base;
  return {
    $schema: 'http://json-schema.org/draft-07/schema#',
    ...rest,
    definitions: { ...(base.definitions as Record<string, JsonSchema>), task },
  };
}

/** A string holding `{{ … }}`: its value is only known at run time, so any parameter may be one. */
const templated: JsonSchema = { type: 'string', pattern: '\\{\\{' };

/** The module's schema with each parameter also accepting a templated string. */
function allowTemplates(schema: JsonSchema): JsonSchema {
  const props = schema.properties as Record<string, JsonSchema> | undefined;
  if (!props) return schema;
  const wrapped: Record<string, JsonSchema> = {};
  for (const [k, v] of Object.entries(props)) {
    const { description, ...rest } = v;
    wrapped[k] = { ...(description !== undefined ? { description } : {}), anyOf: [rest, templated] };
  }
  return { ...schema, properties: wrapped };
}
