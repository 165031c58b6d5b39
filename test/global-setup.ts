// Vitest global setup: brings up the SSH test fleet when integration tests are
// selected, and hands it to tests through `inject('fleet')`.
//
// The fleet is left running afterwards so that the next run reuses it in well
// under a second; `node test/fleet/cli.mjs down` removes it.
// RUNBOOK_NO_FLEET=1 skips it (unit-only runs); RUNBOOK_FLEET_NAME and
// RUNBOOK_FLEET_COUNT override the defaults ('test', 4 hosts).
import type { TestProject } from 'vitest/node';
import { ensurePrereqs } from './fleet/prereqs.mjs';
import { ensureImages, startFleet, type Fleet } from './fleet/fleet.mjs';

declare module 'vitest' {
  export interface ProvidedContext {
    fleet: Fleet;
  }
}

async function integrationSelected(project: TestProject): Promise<boolean> {
  // The CLI's file filters (`vitest run test/unit`); not part of the typed API.
  const filters = (project.vitest as unknown as { filenamePattern?: string[] }).filenamePattern;
  const specs = await project.vitest.globTestSpecifications(filters);
  return specs.some((s) => /[\\/]test[\\/]integration[\\/]/.test(s.moduleId));
}

export default async function setup(project: TestProject): Promise<void> {
  if (process.env.RUNBOOK_NO_FLEET === '1') return;
  if (!(await integrationSelected(project))) return;
  await ensurePrereqs();
  await ensureImages();
  const fleet = await startFleet({
    name: process.env.RUNBOOK_FLEET_NAME || 'test',
    count: Number(process.env.RUNBOOK_FLEET_COUNT || 4),
    withDocker: true,
    ifUsedElsewhere: 'suffix',
  });
  project.provide('fleet', fleet);
}
