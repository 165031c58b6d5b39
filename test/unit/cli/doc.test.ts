import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { builtinModules } from '../../../modules/index.js';
import { docCommand } from '../../../src/cli/doc.js';
import { loadPlaybook } from '../../../src/playbook/load.js';

const modules = new Map(builtinModules.map((m) => [m.name, m]));
const dirs: string[] = [];
afterAll(async () => {
  for (const d of dirs) await rm(d, { recursive: true, force: true });
});

describe('runbook doc', () => {
  it('lists every module with the first sentence of its description', () => {
    const text = docCommand(modules);
    for (const m of builtinModules) expect(text).toMatch(new RegExp(`^${m.name} +\\S`, 'm'));
    expect(text).toContain('runbook doc MODULE');
  });

  it('prints type, required, default and choices of each parameter', () => {
    const text = docCommand(modules, 'file');
    expect(text).toMatch(/^ {2}state \(string; choices: "file", "directory", "link", "absent", "touch"\)$/m);
    expect(text).toMatch(/^ {2}recurse \(boolean; default false\)$/m);
    const copy = docCommand(modules, 'copy');
    expect(copy).toMatch(/^ {2}dest \(string; required\)$/m);
  });

  it('is empty for an unknown module (the CLI names the known ones)', () => {
    expect(docCommand(modules, 'nope')).toBe('');
  });

  // Every module documents itself with an example, and the example is a valid task list as
  // written: a schema change that breaks it fails here, not in a user's editor.
  for (const m of builtinModules) {
    it(`${m.name}: has an example that loads and validates`, async () => {
      expect(m.example, `${m.name} has no example`).toBeTruthy();
      const text = docCommand(modules, m.name);
      expect(text).toContain('Example:');
      const dir = await mkdtemp(path.join(tmpdir(), 'runbook-doc-'));
      dirs.push(dir);
      const body = (m.example ?? '').trimEnd().split('\n').map((l) => `    ${l}`).join('\n');
      const file = path.join(dir, 'example.yml');
      // Handlers for whatever the example notifies, so the loader's handler check passes.
      const notified = [...(m.example ?? '').matchAll(/notify: (.+)/g)].map((x) => x[1].trim());
      const handlers = notified.map((n) => `    - name: ${n}\n      command: "true"`).join('\n');
      await writeFile(file, `- hosts: all\n  tasks:\n${body}\n${handlers ? `  handlers:\n${handlers}\n` : ''}`);
      const pb = await loadPlaybook(file, { knownModules: modules });
      expect(pb.plays[0].sections.tasks.length).toBeGreaterThan(0);
    });
  }
});
