import { ConfigError } from '../core/errors.js';
import type { ModuleDefinition } from '../core/module.js';
import { checkUndefinedNames, targetedHosts } from '../executor/preflight.js';
import { checkConnectionVars } from '../inventory/connection-check.js';
import { loadInventory } from '../inventory/load.js';
import { loadPlaybook } from '../playbook/load.js';
import { parseExtraVars } from '../playbook/vars-file.js';
import { resolvePlaybookPath } from '../playbook/resolve.js';

export interface PrepareOptions {
  inventory: string;
  extraVars: string[];
  limit?: string;
}

/** Everything that can be checked without a host: inventory, playbook, -e, names. */
export async function prepare(
  playbookArg: string,
  opts: PrepareOptions,
  io: { cwd: string; modules: ReadonlyMap<string, ModuleDefinition<any, any>> },
) {
  const playbookPath = resolvePlaybookPath(playbookArg, io.cwd);
  const [inventory, playbook] = await Promise.all([
    loadInventory(opts.inventory, { cwd: io.cwd }),
    loadPlaybook(playbookPath, { knownModules: io.modules }),
  ]);
  const extraVars: Record<string, unknown> = {};
  for (const e of opts.extraVars) Object.assign(extraVars, await parseExtraVars(e, io.cwd));
  if (opts.limit && inventory.select(opts.limit).length === 0) {
    throw new ConfigError(`--limit '${opts.limit}' matches no host in ${inventory.source}`);
  }
  await checkUndefinedNames(playbook, inventory, extraVars);
  checkConnectionVars(inventory, targetedHosts(playbook, inventory, opts.limit), () => extraVars);
  return { playbook, inventory, extraVars };
}
