import { describe, expect, it } from 'vitest';
import dockerContainer from '../../../../modules/docker_container.js';
import { builtinModules } from '../../../../modules/index.js';
import volume from '../../../../modules/volume.js';
import { runbook } from '../../../support/cli.js';

function undescribed(schema: Record<string, any>, at = ''): string[] {
  const out: string[] = [];
  for (const [k, v] of Object.entries<Record<string, any>>(schema.properties ?? {})) {
    if (typeof v.description !== 'string' || v.description.length < 10) out.push(`${at}${k}`);
    if (v.properties) out.push(...undescribed(v, `${at}${k}.`));
  }
  return out;
}

describe('runbook doc for docker_container and volume', () => {
  it('both are registered and every parameter has a description', () => {
    expect(builtinModules).toContain(dockerContainer);
    expect(builtinModules).toContain(volume);
    expect(undescribed(dockerContainer.schema)).toEqual([]);
    expect(undescribed(volume.schema)).toEqual([]);
  });

  it('the CLI prints every parameter', async () => {
    for (const mod of [dockerContainer, volume]) {
      const r = await runbook(['doc', mod.name]);
      expect(r.code).toBe(0);
      for (const k of Object.keys((mod.schema as { properties: object }).properties)) expect(r.stdout).toMatch(new RegExp(`^  ${k} \\(`, 'm'));
    }
  });
});
