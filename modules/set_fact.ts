import { defineModule } from '../src/core/module.js';

export type SetFactParams = Record<string, unknown> & { cacheable?: boolean };

/** The host variables a set_fact task sets: every parameter but `cacheable` (pure). */
export function factsOf(params: SetFactParams): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(params)) if (k !== 'cacheable') out[k] = v;
  return out;
}

export default defineModule<SetFactParams>({
  name: 'set_fact',
  description:
    'Set host variables (key: value pairs, templated when the task runs) for the later tasks and ' +
    'plays of that host, at set_fact precedence: above inventory, play, vars_files, role and task ' +
    'vars and include_vars, alongside registered results (the later write wins), below role ' +
    'parameters and -e. Runs on the controller, in check mode too, and reports ok. The values ' +
    'are visible to other hosts through hostvars. `cacheable` is accepted and ignored (there is ' +
    'no fact cache).',
  example: `- name: Pick the release
  set_fact:
    release: "v{{ app_version }}"
    replicas: 3
`,
  schema: {
    type: 'object',
    properties: {
      cacheable: { type: 'boolean', description: 'Accepted for Ansible compatibility and ignored (no fact cache).' },
    },
    propertyNames: { pattern: '^[A-Za-z_][A-Za-z0-9_]*$' },
    additionalProperties: true,
    minProperties: 1,
    description: 'Variables to set, by name.',
  },
  controller: true,
  async plan(_ctx, params) {
    const facts = factsOf(params);
    if (Object.keys(facts).length === 0) throw new Error('set_fact: give at least one variable to set');
    return { changes: [], result: { ansible_facts: facts }, effects: { facts } };
  },
  async apply() {
    return { changed: false };
  },
});
