import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { runbook, scratch } from '../../support/cli.js';

const SECRET = 'hunter2-Zq9-s3cret';

describe('an unnamed no_log task never shows its arguments', () => {
  it('not in text output, JSON events, --report, --list-tasks or --diff', async () => {
    const dir = scratch({ 'hosts.yml': 'all:\n  hosts:\n    localhost: { ansible_connection: local }\n' });
    const pb = path.join(dir, 'pb.yml');
    writeFileSync(
      pb,
      `- hosts: all
  tasks:
    - copy: { content: "${SECRET}", dest: ${path.join(dir, 'app.key')} }
      no_log: true
`,
    );
    const inv = ['-i', path.join(dir, 'hosts.yml')];
    const list = await runbook(['play', pb, ...inv, '--list-tasks'], { cwd: dir });
    expect(list.code).toBe(0);
    expect(list.stdout).toContain('copy (no_log)');
    const text = await runbook(['play', pb, ...inv, '--diff', '-v', '--report', path.join(dir, 'report.json')], { cwd: dir });
    expect(text.code).toBe(0);
    expect(text.stdout).toContain('copy (no_log)');
    const json = await runbook(['play', pb, ...inv, '--output', 'json', '--check', '--diff'], { cwd: dir });
    expect(json.events.length).toBeGreaterThan(0);
    expect(readFileSync(path.join(dir, 'app.key'), 'utf8')).toBe(SECRET);
    for (const out of [list.stdout + list.stderr, text.stdout + text.stderr, json.stdout + json.stderr, readFileSync(path.join(dir, 'report.json'), 'utf8')]) {
      expect(out).not.toContain(SECRET);
    }
  });
});
