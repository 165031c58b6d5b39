import { mkdir, mkdtemp, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { ConfigErrors } from '../../../src/core/errors.js';
import { prepare } from '../../../src/engine/prepare.js';
import { knownModules } from './modules.js';

async function tree(files: Record<string, string>): Promise<string> {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'runbook-pre-'));
  for (const [rel, body] of Object.entries(files)) {
    await mkdir(path.dirname(path.join(dir, rel)), { recursive: true });
    await writeFile(path.join(dir, rel), body);
  }
  return dir;
}

async function prepareErrors(dir: string): Promise<string[]> {
  try {
    await prepare('pb.yml', { inventory: 'localhost,', extraVars: [] }, { cwd: dir, modules: knownModules as never });
  } catch (e) {
    if (e instanceof ConfigErrors) return e.errors.map((x) => x.message);
    throw e;
  }
  throw new Error('prepared without errors');
}

describe('copy and template files are checked before any host is touched', () => {
  it('a missing literal src and a template syntax error, at the task\'s src', async () => {
    const dir = await tree({
      'pb.yml': `- hosts: localhost
  tasks:
    - copy: { dest: /tmp/a, content: first }
    - copy: { dest: /tmp/b, src: nope.txt }
    - template: { dest: /tmp/c, src: broken.j2 }
    - template: { dest: /tmp/d, src: missing.j2 }
    - copy: { dest: /tmp/e, src: "{{ later }}" }
      vars: { later: whatever.txt }
    - copy: { dest: /tmp/f, src: ok.txt }
    - template: { dest: /tmp/g, src: ok.j2 }
`,
      'templates/broken.j2': 'line one\nport={{ port \n',
      'files/ok.txt': 'x',
      'templates/ok.j2': 'hello {{ inventory_hostname }}\n',
    });
    const errs = await prepareErrors(dir);
    expect(errs).toHaveLength(3);
    expect(errs[0]).toMatch(/pb\.yml:4:29: task "copy: dest=\/tmp\/b src=nope\.txt": src nope\.txt: file not found: 'nope\.txt'/);
    expect(errs[1]).toMatch(/pb\.yml:5:33: task "template: dest=\/tmp\/c src=broken\.j2": template broken\.j2: .*broken\.j2:2:6: unterminated expression: missing \}\}/);
    expect(errs[2]).toMatch(/pb\.yml:6:33: task "template: dest=\/tmp\/d src=missing\.j2": src missing\.j2: file not found/);
  });
});

describe('undefined variables caught before the run', () => {
  it('suggest the name meant, and are caught in task names too', async () => {
    const dir = await tree({
      'pb.yml': `- hosts: localhost
  vars: { app_port: 8080, release: v2 }
  tasks:
    - debug: { msg: "{{ app_prot }}" }
    - name: deploy {{ relase }}
      debug: { msg: hi }
    - name: item {{ item }}
      debug: { msg: "{{ item }}" }
      loop: [1]
`,
    });
    const errs = await prepareErrors(dir);
    expect(errs).toHaveLength(2);
    expect(errs[0]).toMatch(/pb\.yml:4:\d+: undefined variable 'app_prot' in task .*nothing defines it .* \(did you mean 'app_port'\?\)$/);
    expect(errs[1]).toMatch(/pb\.yml:5:13: undefined variable 'relase' in task "deploy \{\{ relase \}\}" \(its name\): .* \(did you mean 'release'\?\)$/);
  });
});
