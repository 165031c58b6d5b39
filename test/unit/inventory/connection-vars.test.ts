import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { inventoryList } from '../../../src/cli/inventory.js';
import { ConfigErrors } from '../../../src/core/errors.js';
import { prepare } from '../../../src/engine/prepare.js';
import { checkConnectionVars } from '../../../src/inventory/connection-check.js';
import { knownModules } from '../playbook/modules.js';
import { loadText, tempTree } from './helpers.js';

function messages(f: () => unknown): string[] {
  try {
    f();
  } catch (e) {
    if (e instanceof ConfigErrors) return e.errors.map((x) => x.message);
    throw e;
  }
  throw new Error('no error');
}

describe('connection variables are checked for every host before any is touched', () => {
  it('names the host and the file:line:col of a bad port or connection (YAML)', async () => {
    const inv = await loadText(`all:
  hosts:
    h1: { ansible_port: 70000 }
    h2:
      ansible_port: "twenty-two"
    h3:
      ansible_connection: telnet
    h4: {}
`);
    const errs = messages(() => checkConnectionVars(inv, inv.hostNames));
    expect(errs).toHaveLength(3);
    expect(errs[0]).toMatch(/inventory\.yml:3:25: ansible_port of host h1: expected a port number \(1-65535\), found 70000$/);
    expect(errs[1]).toMatch(/inventory\.yml:5:21: ansible_port of host h2: expected a port number \(1-65535\), found "twenty-two"$/);
    expect(errs[2]).toMatch(/inventory\.yml:7:27: ansible_connection of host h3: 'telnet' is not supported \(expected ssh or local\)$/);
  });

  it('INI host and group variables, and group_vars files', async () => {
    const inv = await loadText(`[web]
w1 ansible_port=0
[db]
d1
[db:vars]
ansible_connection=winrm
`, 'hosts.ini');
    const errs = messages(() => checkConnectionVars(inv, inv.hostNames));
    expect(errs[0]).toMatch(/hosts\.ini:2:17: ansible_port of host w1: expected a port number/);
    expect(errs[1]).toMatch(/hosts\.ini:6:20: ansible_connection of host d1: 'winrm' is not supported/);
    const root = await tempTree({ 'inv/hosts.yml': 'web:\n  hosts:\n    a1:\n', 'inv/group_vars/web.yml': 'ansible_port: 99999\n' });
    const { loadInventory } = await import('../../../src/inventory/load.js');
    const inv2 = await loadInventory(join(root, 'inv/hosts.yml'), { cwd: root });
    expect(messages(() => checkConnectionVars(inv2, inv2.hostNames))).toEqual([
      'ansible_port of host a1: expected a port number (1-65535), found 99999 (set in group_vars of web)',
    ]);
  });

  it('inventory --list refuses them', async () => {
    const inv = await loadText('all:\n  hosts:\n    h1: { ansible_port: 70000 }\n');
    expect(() => inventoryList(inv)).toThrow(/inventory\.yml:3:25: ansible_port of host h1/);
  });

  it('prepare refuses a run when any targeted host has one, and ignores hosts not targeted', async () => {
    const root = await tempTree({
      'hosts.yml': 'web:\n  hosts:\n    w1: {}\n    w2: { ansible_port: 65536 }\ndb:\n  hosts:\n    d1: { ansible_port: -1 }\n',
      'web.yml': '- hosts: web\n  tasks:\n    - debug: { msg: hi }\n',
    });
    const io = { cwd: root, modules: knownModules as never };
    await expect(prepare('web.yml', { inventory: join(root, 'hosts.yml'), extraVars: [] }, io)).rejects.toThrow(
      /hosts\.yml:4:25: ansible_port of host w2: expected a port number \(1-65535\), found 65536/,
    );
    await expect(prepare('web.yml', { inventory: join(root, 'hosts.yml'), extraVars: [], limit: 'w1' }, io)).resolves.toBeTruthy();
    await writeFile(join(root, 'web.yml'), '- hosts: web\n  tasks:\n    - debug: { msg: hi }\n');
    await expect(
      prepare('web.yml', { inventory: join(root, 'hosts.yml'), extraVars: ['ansible_connection=rsh'], limit: 'w1' }, io),
    ).rejects.toThrow(/ansible_connection of host w1: 'rsh' is not supported .*\(set in -e or play keywords\)/);
  });
});
