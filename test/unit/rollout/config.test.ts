import { mkdtemp, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { ConfigErrors } from '../../../src/core/errors.js';
import { loadPlaybook } from '../../../src/playbook/load.js';
import { rolloutConfig } from '../../../src/rollout/config.js';
import { knownModules } from '../playbook/modules.js';

/** The rollout section (SPEC §6): checked at load time at file:line:col, normalised for the engine. */

async function tmp(text: string): Promise<string> {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'runbook-rollout-'));
  const file = path.join(dir, 'pb.yml');
  await writeFile(file, text);
  return file;
}

async function errorsOf(text: string): Promise<{ file: string; errors: string[] }> {
  const file = await tmp(text);
  try {
    await loadPlaybook(file, { knownModules });
  } catch (e) {
    if (e instanceof ConfigErrors) return { file, errors: e.errors.map((x) => x.message) };
    throw e;
  }
  throw new Error('loaded without errors');
}

const play = (rollout: string) => `- hosts: all\n  rollout:\n${rollout}  tasks:\n    - debug: msg=x\n`;

describe('rollout section at load time', () => {
  it('accepts the SPEC §6 section and hands the engine its normalised form', async () => {
    const file = await tmp(
      play(
        '    batch: [1, "50%"]\n    max_fail_percentage: 0\n    drain:\n      nginx_lb: { host: lb1, name: web }\n' +
          '      backend: "{{ private_address }}:8080"\n      timeout: 10\n' +
          '    health_check: { http: { url: "http://127.0.0.1:8080/health" }, retries: 20, delay: 0.5 }\n    on_failure: rollback\n',
      ),
    );
    const pb = await loadPlaybook(file, { knownModules });
    expect(pb.plays[0]!.rollout).toEqual({
      batch: [1, '50%'],
      maxFailPercentage: 0,
      drain: { lbHost: 'lb1', site: 'web', backend: '{{ private_address }}:8080', timeout: 10 },
      healthCheck: { http: { url: 'http://127.0.0.1:8080/health' }, retries: 20, delay: 0.5 },
      onFailure: 'rollback',
    });
  });

  it('names each bad value at its file:line:col', async () => {
    const { file, errors } = await errorsOf(
      play(
        '    batch: [1, "half"]\n    max_fail_percentage: 150\n    drain:\n      nginx_lb: { host: lb1 }\n      backend: "10.0.0.1:80"\n' +
          '      timeout: -1\n    health_check: { retries: 2 }\n    on_failure: retry\n    canary: yes\n',
      ),
    );
    const at = (line: number) => errors.filter((e) => e.startsWith(`${file}:${line}:`));
    expect(at(3)).toEqual([`${file}:3:16: rollout.batch[1]: expected an integer or a percentage like "50%", found 'half'`]);
    expect(at(4).join('\n')).toMatch(/rollout\.max_fail_percentage/);
    expect(at(6).join('\n')).toMatch(/rollout\.drain\.nginx_lb.*name/);
    expect(at(8).join('\n')).toMatch(/rollout\.drain\.timeout/);
    expect(at(9).join('\n')).toMatch(/rollout\.health_check/);
    expect(at(10)).toEqual([`${file}:10:17: rollout.on_failure: expected 'rollback', 'halt' or 'continue', found 'retry'`]);
    expect(at(11).join('\n')).toMatch(/canary/);
    expect(errors).toHaveLength(7);
  });
});

describe('rolloutConfig', () => {
  it('normalises batch, drain (default timeout 10) and on_failure (default halt)', () => {
    expect(rolloutConfig({ batch: ' 30 % ' })).toEqual({ batch: ['30%'], onFailure: 'halt' });
    expect(
      rolloutConfig({
        batch: [1, '50%', '2'],
        max_fail_percentage: 0,
        drain: { nginx_lb: { host: 'lb1', name: 'web' }, backend: '{{ ip }}:8080' },
        health_check: { http: { url: 'http://127.0.0.1:8080/health' }, retries: 20 },
        on_failure: 'rollback',
      }),
    ).toEqual({
      batch: [1, '50%', 2],
      maxFailPercentage: 0,
      drain: { lbHost: 'lb1', site: 'web', backend: '{{ ip }}:8080', timeout: 10 },
      healthCheck: { http: { url: 'http://127.0.0.1:8080/health' }, retries: 20 },
      onFailure: 'rollback',
    });
  });
});
