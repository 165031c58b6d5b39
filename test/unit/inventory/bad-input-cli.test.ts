import { existsSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { runbook, scratch } from '../../support/cli.js';

/**
 * Bad input found before the run: exit 1, the problem at file:line:col, and the first host
 * (localhost, whose turn comes first) untouched.
 */
describe('runbook play refuses bad input before any host is touched', () => {
  const inventory = (bad: string) => `all:
  hosts:
    localhost: { ansible_connection: local }
    h2: { ${bad} }
`;
  const playbook = (marker: string, more = '') => `- hosts: all
  tasks:
    - copy: { dest: ${marker}, content: touched }
${more}`;

  it('a bad ansible_port or ansible_connection of another host', async () => {
    for (const bad of ['ansible_port: 70000', 'ansible_connection: telnet']) {
      const dir = scratch({ 'hosts.yml': inventory(bad) });
      const marker = path.join(dir, 'marker');
      const pb = path.join(dir, 'pb.yml');
      writeFileSync(pb, playbook(marker));
      const r = await runbook(['play', pb, '-i', path.join(dir, 'hosts.yml')], { cwd: dir });
      expect(r.code).toBe(1);
      expect(r.stderr + r.stdout).toMatch(/hosts\.yml:4:\d+: (ansible_port|ansible_connection) of host h2/);
      expect(existsSync(marker)).toBe(false);
      const list = await runbook(['inventory', '-i', path.join(dir, 'hosts.yml'), '--list'], { cwd: dir });
      expect(list.code).toBe(1);
    }
  });

  it('a missing copy src in a later task, also under --syntax-check', async () => {
    const dir = scratch({ 'hosts.yml': inventory('ansible_connection: local') });
    const marker = path.join(dir, 'marker');
    const pb = path.join(dir, 'pb.yml');
    writeFileSync(pb, playbook(marker, `    - copy: { dest: ${marker}.2, src: not-there.txt }\n`));
    for (const extra of [[], ['--syntax-check']]) {
      const r = await runbook(['play', pb, '-i', path.join(dir, 'hosts.yml'), ...extra], { cwd: dir });
      expect(r.code).toBe(1);
      expect(r.stderr + r.stdout).toMatch(/pb\.yml:4:\d+: task .*src not-there\.txt: file not found/);
      expect(existsSync(marker)).toBe(false);
    }
  });
});
