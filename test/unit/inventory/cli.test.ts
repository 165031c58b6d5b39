import { describe, expect, it } from 'vitest';
import { inventoryGraph, inventoryHost, inventoryList } from '../../../src/cli/inventory.js';
import { ConfigError } from '../../../src/core/errors.js';
import { loadFixture, loadText } from './helpers.js';

describe('runbook inventory --list (ansible-inventory --list)', () => {
  it('prints what ansible-inventory prints for the documentation example', async () => {
    const inv = await loadFixture('ansible-docs', 'nested.yml');
    expect(JSON.stringify(inventoryList(inv), null, 4)).toBe(
      JSON.stringify(
        {
          _meta: { hostvars: {} },
          all: { children: ['ungrouped', 'webservers', 'dbservers', 'prod', 'test'] },
          dbservers: { hosts: ['one.example.com', 'two.example.com', 'three.example.com'] },
          east: { hosts: ['foo.example.com', 'one.example.com', 'two.example.com'] },
          prod: { children: ['east'] },
          test: { children: ['west'] },
          ungrouped: { hosts: ['mail.example.com'] },
          webservers: { hosts: ['foo.example.com', 'bar.example.com'] },
          west: { hosts: ['bar.example.com', 'three.example.com'] },
        },
        null,
        4,
      ),
    );
  });

  it('merges host variables into _meta.hostvars with sorted keys, leaving out empty groups', async () => {
    const inv = await loadText(`
all:
  vars: { z: 1, a: 2 }
  children:
    empty:
    web:
      hosts:
        w1: { m: { y: 1, b: 2 } }
`);
    const list = inventoryList(inv);
    expect(list).toEqual({
      _meta: { hostvars: { w1: { a: 2, m: { b: 2, y: 1 }, z: 1 } } },
      all: { children: ['ungrouped', 'empty', 'web'] },
      web: { hosts: ['w1'] },
    });
    expect(Object.keys((list._meta as { hostvars: { w1: object } }).hostvars.w1)).toEqual(['a', 'm', 'z']);
  });

  it('narrows to --limit', async () => {
    const inv = await loadFixture('ansible-docs', 'nested.yml');
    expect(inventoryList(inv, 'east:!two.example.com')).toEqual({
      _meta: { hostvars: {} },
      all: { children: ['ungrouped', 'webservers', 'dbservers', 'prod', 'test'] },
      dbservers: { hosts: ['one.example.com'] },
      east: { hosts: ['foo.example.com', 'one.example.com'] },
      prod: { children: ['east'] },
      test: { children: ['west'] },
      webservers: { hosts: ['foo.example.com'] },
    });
  });
});

describe('runbook inventory --host', () => {
  it('prints the merged variables of one host', async () => {
    const inv = await loadFixture('dir');
    const vars = inventoryHost(inv, 'web2');
    expect(Object.keys(vars)).toEqual([...Object.keys(vars)].sort());
    expect(vars).toMatchObject({ level: 'web-dir-b', sib: 'prod', mode: 493 });
  });

  it('refuses a pattern that is not exactly one host', async () => {
    const inv = await loadFixture('dir');
    expect(() => inventoryHost(inv, 'web')).toThrow(ConfigError);
    expect(() => inventoryHost(inv, 'web')).toThrow(/matches 2 \(web1, web2\)/);
    expect(() => inventoryHost(inv, 'nosuch')).toThrow(/no host in inventory/);
  });
});

describe('runbook inventory --graph', () => {
  it('draws the tree as ansible-inventory --graph does', async () => {
    const inv = await loadFixture('ansible-docs', 'nested.yml');
    expect(inventoryGraph(inv)).toBe(
      [
        '@all:',
        '  |--@ungrouped:',
        '  |  |--mail.example.com',
        '  |--@webservers:',
        '  |  |--foo.example.com',
        '  |  |--bar.example.com',
        '  |--@dbservers:',
        '  |  |--one.example.com',
        '  |  |--two.example.com',
        '  |  |--three.example.com',
        '  |--@prod:',
        '  |  |--@east:',
        '  |  |  |--foo.example.com',
        '  |  |  |--one.example.com',
        '  |  |  |--two.example.com',
        '  |--@test:',
        '  |  |--@west:',
        '  |  |  |--bar.example.com',
        '  |  |  |--three.example.com',
      ].join('\n'),
    );
  });

  it('starts at a group, shows variables with vars, and refuses a non-group', async () => {
    const inv = await loadFixture('..', '..', '..', 'inventories', 'example.yml');
    expect(inventoryGraph(inv, 'web')).toBe('@web:\n  |--web1\n  |--web2');
    expect(inventoryGraph(inv, 'lb', { vars: true })).toBe(
      ['@lb:', '  |--lb1', '  |  |--{ansible_host = 127.0.0.1}', '  |  |--{ansible_port = 2203}', '  |  |--{ansible_user = root}'].join('\n'),
    );
    expect(() => inventoryGraph(inv, 'web1')).toThrow(/--graph needs a group name: 'web1' is not a group/);
  });

  it('the built-in local inventory', async () => {
    const { localInventory } = await import('../../../src/inventory/load.js');
    const inv = localInventory();
    expect(inventoryGraph(inv)).toBe('@all:\n  |--@ungrouped:\n  |  |--localhost');
    expect(inventoryList(inv)).toEqual({
      _meta: { hostvars: { localhost: { ansible_connection: 'local' } } },
      all: { children: ['ungrouped'] },
      ungrouped: { hosts: ['localhost'] },
    });
  });
});
