import { readFileSync } from 'node:fs';
import path from 'node:path';
import type { EventBus } from '../core/types.js';
import type { Inventory } from '../inventory/types.js';
import type { ModuleDefinition } from '../core/module.js';
import type { Play, Playbook } from '../playbook/types.js';
import type { Transport } from '../transport/types.js';
import type { DockerClients } from './docker.js';
import type { HostState } from './host-state.js';
import type { Vars } from './vars.js';

/** Everything one run shares: what was asked for and where its results go. */
export interface RunContext {
  playbook: Playbook;
  inventory: Inventory;
  modules: ReadonlyMap<string, ModuleDefinition<any, any>>;
  check: boolean;
  diff: boolean;
  verbose: boolean;
  forks: number;
  tags: string[];
  skipTags: string[];
  extraVars: Vars;
  /** Every inventory host the run has touched, by name. */
  hosts: Map<string, HostState>;
  /** The pooled transport of a host (by inventory name), opened on first use. */
  transportFor(host: string, vars: Vars): Transport;
  bus: EventBus;
  /** Stop starting new work (first interrupt); in-flight tasks finish. */
  signal: AbortSignal;
  /** Abort in-flight commands too (second interrupt). */
  abort: AbortSignal;
  /** The run's dockerode clients, one per host; closed when the run ends (absent: one per task). */
  docker?: DockerClients;
  /** Ask modules for undo records kept on the hosts (a rollout sets it); default false. */
  keepUndo?: boolean;
}

/** What the tasks of one play share. */
export interface PlayContext {
  run: RunContext;
  play: Play;
  playIndex: number;
  /** Hosts of the play (after --limit), and of the current batch. */
  playHosts: string[];
  batchHosts: string[];
  /** Variables from the play's vars_files, loaded once per play. */
  varsFilesVars: Vars;
  /** The `groups` magic variable. */
  groups: Record<string, string[]>;
  /** The `hostvars` magic variable (lazy). */
  hostvars: Vars;
  /** Overrides the run's keepUndo for this play (or rollout batch). */
  keepUndo?: boolean;
}

/** Where a relative controller file is looked for, in order (the role first, as in Ansible). */
export function localFileCandidates(playbookDir: string, file: string, subdir: string, roleDir?: string): string[] {
  if (path.isAbsolute(file)) return [file];
  return [
    ...(roleDir ? [path.join(roleDir, subdir, file), path.join(roleDir, file)] : []),
    path.join(playbookDir, file),
    path.join(playbookDir, subdir, file),
  ];
}

/**
 * Read a controller-side file the way Ansible finds `src`: in a role's templates/ or files/
 * and the role's folder first (a role's task), then relative to the playbook's folder, then
 * its templates/ or files/ (SPEC §5).
 */
export async function readLocalFile(
  playbookDir: string,
  file: string,
  subdir: 'templates' | 'files' | 'vars',
  roleDir?: string,
): Promise<{ path: string; content: Buffer }> {
  const candidates = localFileCandidates(playbookDir, file, subdir, roleDir);
  for (const p of candidates) {
    try {
      // Read at once: the promise API's open, stat, read and close each wait for the thread
      // pool, which with hundreds of hosts reading the same template cost more than the read.
      return { path: p, content: readFileSync(p) };
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'ENOENT') throw e;
    }
  }
  throw new Error(`file not found: '${file}' (looked in ${candidates.join(', ')})`);
}
