import { mkdtemp, readFile, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import type { RunEvent } from '../../../src/core/types.js';
import { runPass } from '../../../src/engine/pass.js';
import { prepare } from '../../../src/engine/prepare.js';
import { builtinModules } from '../../../modules/index.js';

const modules = new Map(builtinModules.map((m) => [m.name, m]));

/**
 * A fault inside runbook after a host changed (here: an output that throws) must not look
 * like "nothing ran" (exit 1, no recap): the run stops, the recap and report say what was
 * done, and it exits as failed.
 */
describe('an internal error after hosts changed', () => {
  it('stops the run with a recap, a report that names the error, and exit bit 4', async () => {
    const dir = await mkdtemp(path.join(os.tmpdir(), 'runbook-internal-'));
    await writeFile(
      path.join(dir, 'pb.yml'),
      `- hosts: localhost
  connection: local
  tasks:
    - name: first
      copy: { dest: "${dir}/a", content: "one" }
    - name: second
      copy: { dest: "${dir}/b", content: "two" }
`,
    );
    const { playbook, inventory, extraVars } = await prepare('pb.yml', { inventory: 'localhost,', extraVars: [] }, { cwd: dir, modules });
    const out: string[] = [];
    const throwing = (e: RunEvent) => {
      if (e.type === 'task:done' && e.task.name === 'first') throw new Error('journal disk full');
    };
    const ac = new AbortController();
    const pass = await runPass(
      {
        playbook,
        inventory,
        extraVars,
        check: false,
        diff: false,
        verbose: false,
        forks: 5,
        tags: [],
        skipTags: [],
        output: 'text',
        detailedExitcode: false,
        runId: 'r1',
        subscribers: [throwing],
      },
      { cwd: dir, out: (s) => out.push(s), isTTY: false, color: false, modules, signal: ac.signal, abort: ac.signal },
    );
    expect(await readFile(path.join(dir, 'a'), 'utf8')).toBe('one');
    await expect(readFile(path.join(dir, 'b'), 'utf8')).rejects.toThrow(/ENOENT/);
    expect(pass.exit).toBe(4);
    expect(pass.report.exit).toBe(4);
    expect(pass.report.error).toBe('runbook stopped on an internal error: journal disk full');
    expect(pass.report.hosts.localhost!.tasks.map((t) => [t.name, t.status])).toEqual([['first', 'changed']]);
    const text = out.join("\n");
    expect(text).toMatch(/RECAP\n.*\nlocalhost +0 +1 +0 +0 +0 /);
    expect(text).toMatch(/runbook stopped on an internal error: journal disk full\nThe changes above stay on the hosts; rerun to converge them\./);
  });
});
