import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ConfigError } from '../../../src/core/errors.js';
import { groupsMap } from '../../../src/inventory/groups.js';
import { loadInventory, localInventory } from '../../../src/inventory/load.js';
import { rejection, tempTree } from './helpers.js';

describe('resolving -i', () => {
  it('takes a path (file or directory) relative to cwd', async () => {
    const root = await tempTree({ 'my/inv.yml': 'all:\n  hosts:\n    a:\n', 'd/hosts': '[g]\nb\n' });
    expect((await loadInventory('my/inv.yml', { cwd: root })).hostNames).toEqual(['a']);
    const dir = await loadInventory('d', { cwd: root });
    expect(dir.hostNames).toEqual(['b']);
    expect(dir.source).toBe(join(root, 'd'));
  });

  it('else looks for inventories/NAME.yml, .yaml, NAME/', async () => {
    const root = await tempTree({
      'inventories/a.yml': 'all:\n  hosts:\n    from-yml:\n',
      'inventories/b.yaml': 'all:\n  hosts:\n    from-yaml:\n',
      'inventories/c/hosts.yml': 'all:\n  hosts:\n    from-dir:\n',
      'inventories/c/group_vars/all.yml': 'v: 1\n',
    });
    expect((await loadInventory('a', { cwd: root })).hostNames).toEqual(['from-yml']);
    expect((await loadInventory('b', { cwd: root })).hostNames).toEqual(['from-yaml']);
    const c = await loadInventory('c', { cwd: root });
    expect(c.hostVars('from-dir')).toEqual({ v: 1 });
  });

  it('the example inventories of the repository load by name', async () => {
    const cwd = join(import.meta.dirname, '..', '..', '..');
    const file = await loadInventory('example', { cwd });
    const dir = await loadInventory('example-dir', { cwd });
    expect(dir.hostNames).toEqual(file.hostNames);
    expect(groupsMap(dir)).toEqual(groupsMap(file));
    for (const h of file.hostNames) {
      expect(dir.hostVars(h)).toMatchObject(file.hostVars(h));
    }
    expect(dir.hostVars('web1')).toEqual({
      ansible_user: 'root',
      ansible_host: '127.0.0.1',
      ntp_server: 'ntp.example.com',
      http_port: 8080,
      app_version: 'v2',
      ansible_port: 2201,
    });
  });

  it('a missing inventory names what was tried', async () => {
    const root = await tempTree({});
    const e = await rejection(loadInventory('prod', { cwd: root }));
    expect(e).toBeInstanceOf(ConfigError);
    expect(e.message).toContain("inventory 'prod' not found: tried prod, inventories/prod.yml, inventories/prod.yaml");
    expect(e.message).toContain('inventories/prod/');
  });

  it('an empty inventory directory is an error', async () => {
    const root = await tempTree({ 'inv/README.md': 'x' });
    const e = await rejection(loadInventory('inv', { cwd: root }));
    expect(e.message).toContain('holds no inventory file');
  });
});

describe('the built-in inventory local', () => {
  it('is one host, localhost, connection local, ungrouped', async () => {
    const root = await tempTree({});
    const inv = await loadInventory('local', { cwd: root });
    expect(inv.source).toBe('local');
    expect(inv.hostNames).toEqual(['localhost']);
    expect(inv.hostVars('localhost')).toEqual({ ansible_connection: 'local' });
    expect(inv.groups.get('all')!.children).toEqual(['ungrouped']);
    expect(inv.groups.get('ungrouped')!.hosts).toEqual(['localhost']);
    expect(inv.groupsOf('localhost')).toEqual(['ungrouped']);
    expect(inv.select('all')).toEqual(['localhost']);
    expect(groupsMap(inv)).toEqual({ all: ['localhost'], ungrouped: ['localhost'] });
    expect(localInventory().hostNames).toEqual(['localhost']);
  });

  it('gives way to a real inventories/local.yml', async () => {
    const root = await tempTree({ 'inventories/local.yml': 'all:\n  hosts:\n    mine:\n' });
    expect((await loadInventory('local', { cwd: root })).hostNames).toEqual(['mine']);
  });
});

describe('host lists', () => {
  it('reads -i "a,b:2222," as Ansible does', async () => {
    const inv = await loadInventory('web1, web2:2222,', { cwd: '/' });
    expect(inv.hostNames).toEqual(['web1', 'web2']);
    expect(inv.hostVars('web2')).toEqual({ ansible_port: 2222 });
    expect(inv.groups.get('ungrouped')!.hosts).toEqual(['web1', 'web2']);
  });
});

describe('vault', () => {
  const header = '$RUNBOOK_VAULT;1;AES256GCM;scrypt\n6162\n';

  it('refuses encrypted files and values without a password', async () => {
    const root = await tempTree({
      'hosts.yml': 'all:\n  hosts:\n    h:\n',
      'group_vars/all.yml': header,
    });
    const e = await rejection(loadInventory(root, { cwd: root }));
    expect(e.message).toMatch(/group_vars\/all\.yml:1:1: this file is vault-encrypted/);
    const inline = await tempTree({ 'hosts.yml': 'all:\n  vars:\n    pw: !vault |\n      $RUNBOOK_VAULT;1;AES256GCM;scrypt\n      6162\n  hosts:\n    h:\n' });
    const e2 = await rejection(loadInventory(inline, { cwd: inline }));
    expect(e2.message).toMatch(/hosts\.yml:3:16: an encrypted !vault value needs a vault password/);
  });

  it('decrypts them with the decrypt hook', async () => {
    const root = await tempTree({
      'hosts.yml': 'all:\n  vars:\n    pw: !vault |\n      $RUNBOOK_VAULT;1;AES256GCM;scrypt\n      6162\n  hosts:\n    h:\n',
      'host_vars/h.yml': header,
    });
    const seen: string[] = [];
    const inv = await loadInventory(root, {
      cwd: root,
      decrypt: (ciphertext, where) => {
        expect(ciphertext).toBe(header);
        seen.push(where);
        return where.endsWith('h.yml') ? 'secret: s3\n' : 'plain';
      },
    });
    expect(inv.hostVars('h')).toEqual({ pw: 'plain', secret: 's3' });
    expect(seen).toEqual([join(root, 'host_vars', 'h.yml'), root]);
  });
});
