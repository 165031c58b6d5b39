import { mkdtempSync, mkdirSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { checkReportPath } from '../../../src/cli/play.js';

describe('--report path checked before the run', () => {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'rb-report-'));
  mkdirSync(path.join(dir, 'sub'));
  writeFileSync(path.join(dir, 'old.json'), '{}');

  it('refuses a path in a missing folder', () => {
    expect(() => checkReportPath('nope/r.json', dir)).toThrow(/--report nope\/r.json: folder .*nope does not exist/);
  });
  it('refuses a path that is a folder', () => {
    expect(() => checkReportPath('sub', dir)).toThrow(/--report sub: is a folder/);
  });
  it('accepts a new file or an existing file in an existing folder', () => {
    expect(() => checkReportPath('sub/r.json', dir)).not.toThrow();
    expect(() => checkReportPath('old.json', dir)).not.toThrow();
  });
});

describe('drift --report path', () => {
  it('a report in a missing folder is refused before the run (exit 1)', async () => {
    const { runbook } = await import('../../support/cli.js');
    const r = await runbook(['drift', 'site.yml', '-i', 'local', '--report', '/nonexistent-runbook-dir/x.json']);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('folder /nonexistent-runbook-dir does not exist');
    expect(r.stdout).not.toContain('RECAP');
  });
});
