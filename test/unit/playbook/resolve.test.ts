import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { resolvePlaybookPath } from '../../../src/playbook/resolve.js';

describe('resolvePlaybookPath', () => {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'runbook-resolve-'));
  mkdirSync(path.join(dir, 'playbooks'));
  writeFileSync(path.join(dir, 'playbooks', 'site.yml'), '[]\n');

  it('finds a name under playbooks/, adding .yml', () => {
    expect(resolvePlaybookPath('site', dir)).toBe(path.join(dir, 'playbooks', 'site.yml'));
  });

  it('names each place it looked for a relative name, once', () => {
    expect(() => resolvePlaybookPath('nope', dir)).toThrow("playbook not found: 'nope' (looked for nope, playbooks/nope, playbooks/nope.yml, playbooks/nope.yaml)");
  });

  it('looks for an absolute path only there, and shows it as given', () => {
    expect(() => resolvePlaybookPath('/nonexistent/x.yml', dir)).toThrow("playbook not found: '/nonexistent/x.yml' (looked for /nonexistent/x.yml)");
  });
});
