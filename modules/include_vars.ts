import { ModuleError } from '../src/core/errors.js';
import { defineModule } from '../src/core/module.js';

export interface IncludeVarsParams {
  file: string;
  name?: string;
}

/** The variables an include_vars task sets: the file's, or nested under `name` (pure). */
export function includedVars(params: IncludeVarsParams, vars: Record<string, unknown>): Record<string, unknown> {
  return params.name ? { [params.name]: vars } : { ...vars };
}

export default defineModule<IncludeVarsParams>({
  name: 'include_vars',
  description:
    'Load variables from a YAML (or JSON) file on the controller for the later tasks and plays ' +
    'of the host, at include_vars precedence (above task vars, below set_fact and registered ' +
    'results). A relative path is looked up in the role\'s vars/ first (a role\'s task), then ' +
    'next to the playbook (or the including task file), then in its vars/. `name` nests them ' +
    'under one variable. The file is read when the task runs (its values may use templates); a ' +
    'file named without templates is also read before the run, so later tasks may use its ' +
    'names (with a templated file name, give `name:` for that). ' +
    'Runs on the controller, in check mode too, and reports ok.',
  example: `- name: Load the site settings
  include_vars: site.yml
- name: Load the limits under one name
  include_vars: { file: vars/limits.yml, name: limits }
`,
  schema: {
    type: 'object',
    additionalProperties: false,
    properties: {
      file: { type: 'string', minLength: 1, description: 'The variables file (relative: to the role\'s vars/, the playbook, its vars/).' },
      name: { type: 'string', pattern: '^[A-Za-z_][A-Za-z0-9_]*$', description: 'Put the file\'s variables under this one variable.' },
    },
    required: ['file'],
  },
  freeForm: 'file',
  controller: true,
  async plan(ctx, params) {
    if (!ctx.loadVars) throw new ModuleError('include_vars: variables files cannot be read here');
    let loaded: { path: string; vars: Record<string, unknown> };
    try {
      loaded = await ctx.loadVars(params.file);
    } catch (e) {
      throw new ModuleError(`include_vars ${params.file}: ${(e as Error).message}`);
    }
    const vars = includedVars(params, loaded.vars);
    return {
      changes: [],
      result: { ansible_included_var_files: [loaded.path], ansible_facts: vars },
      effects: { includedVars: vars },
    };
  },
  async apply() {
    return { changed: false };
  },
});
