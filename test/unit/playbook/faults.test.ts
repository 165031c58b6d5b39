import { mkdtemp, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { ConfigErrors } from '../../../src/core/errors.js';
import { loadPlaybook } from '../../../src/playbook/load.js';
import type { Playbook, Task } from '../../../src/playbook/types.js';
import { knownModules } from './modules.js';

async function tmpPlaybook(text: string, files: Record<string, string> = {}): Promise<string> {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'runbook-faults-'));
  const file = path.join(dir, 'pb.yml');
  await writeFile(file, text);
  for (const [name, body] of Object.entries(files)) await writeFile(path.join(dir, name), body);
  return file;
}

async function loadText(text: string, files: Record<string, string> = {}): Promise<Playbook> {
  return loadPlaybook(await tmpPlaybook(text, files), { knownModules });
}

async function errorsOfText(text: string, files: Record<string, string> = {}): Promise<string[]> {
  try {
    await loadText(text, files);
  } catch (e) {
    if (e instanceof ConfigErrors) return e.errors.map((x) => x.message);
    throw e;
  }
  throw new Error('loaded without errors');
}

const tasksOf = (pb: Playbook): Task[] => pb.plays.flatMap((p) => [...p.sections.pre_tasks, ...p.sections.tasks, ...p.sections.post_tasks, ...p.handlers]);

describe('no_log tasks never show their arguments', () => {
  it('an unnamed no_log task is named from its module alone', async () => {
    const pb = await loadText(`- hosts: all
  tasks:
    - copy: { dest: /etc/app.key, content: "hunter2-s3cret" }
      no_log: true
    - copy: dest=/etc/b.key content=hunter2-s3cret
      no_log: yes
    - block:
        - command: echo hunter2-s3cret
      no_log: true
    - copy: { dest: /etc/c.key, content: "plain" }
`);
    const names = tasksOf(pb).map((t) => t.name);
    expect(names).toEqual(['copy (no_log)', 'copy (no_log)', 'command (no_log)', 'copy: dest=/etc/c.key content=plain']);
    expect(JSON.stringify(names)).not.toContain('hunter2');
  });

  it('load-time errors of a no_log task do not print argument values', async () => {
    const errs = await errorsOfText(`- hosts: all
  tasks:
    - copy: { dest: /etc/app.key, content: "x", backup: "hunter2-s3cret" }
      no_log: true
    - copy: dest=/etc/b.key hunter2-s3cret
      no_log: true
`);
    expect(errs.some((e) => /pb\.yml:3:\d+: tasks\[0\]\.copy\.backup: expected a boolean, found a string/.test(e))).toBe(true);
    expect(errs.some((e) => /pb\.yml:5:\d+: tasks\[1\]\.copy: expected key=value arguments/.test(e))).toBe(true);
    for (const e of errs) expect(e).not.toContain('hunter2');
  });
});

describe('numeric modes', () => {
  it('refuses a bare number with digits 8 or 9, at file:line:col', async () => {
    const errs = await errorsOfText(`- hosts: all
  tasks:
    - copy: { dest: /a, content: x, mode: 999 }
    - file:
        path: /b
        mode: 0789
    - copy:
      args: { dest: /c, content: x, mode: 1888 }
`);
    expect(errs).toHaveLength(3);
    expect(errs[0]).toMatch(/pb\.yml:3:43: tasks\[0\]\.copy\.mode: expected an octal mode \(digits 0-7, e\.g\. '0644'\), found 999/);
    expect(errs[1]).toMatch(/pb\.yml:6:15: tasks\[1\]\.file\.mode: expected an octal mode .*found 0789/);
    expect(errs[2]).toMatch(/pb\.yml:8:43: tasks\[2\]\.args\.mode: .*found 1888/);
  });

  it('keeps Ansible readings of legitimate modes: 0755 (YAML 1.1 octal), 644, 0o644 strings, symbolic', async () => {
    const pb = await loadText(`- hosts: all
  tasks:
    - file: { path: /a, mode: 0755 }
    - file: { path: /b, mode: 644 }
    - file: { path: /c, mode: '0644' }
    - file: { path: /d, mode: 'u=rw,g=r' }
    - file: { path: /e, mode: 420 }
`);
    expect(tasksOf(pb).map((t) => t.args.mode)).toEqual([0o755, 644, '0644', 'u=rw,g=r', 420]);
  });
});

describe('host patterns that can never match', () => {
  it('are errors at the play\'s hosts: file:line:col', async () => {
    const errs = await errorsOfText(`- hosts: web[3:1]
  tasks: []
- hosts: "web:&"
  tasks: []
- hosts: [web, "!"]
  tasks: []
- hosts: "~web("
  tasks: []
- hosts: web[1:3]:&db:!web[0]
  tasks: []
`);
    expect(errs).toHaveLength(4);
    expect(errs[0]).toMatch(/pb\.yml:1:10: hosts: the pattern 'web\[3:1\]' can never match a host: the range in 'web\[3:1\]' runs backwards \(3 > 1\)/);
    expect(errs[1]).toMatch(/pb\.yml:3:11: hosts: the pattern 'web:&' can never match a host: '&' needs a host or group after it/);
    expect(errs[2]).toMatch(/pb\.yml:5:\d+: hosts: the pattern 'web:!' can never match a host: '!' needs/);
    expect(errs[3]).toMatch(/pb\.yml:7:11: hosts: the pattern '~web\(' can never match a host: '~web\(' is not a valid regular expression/);
  });
});
