import { describe, expect, it } from 'vitest';
import { ConfigError } from '../../../src/core/errors.js';
import { fixture, loadFixture, loadText, rejection } from './helpers.js';

describe('inventory errors name file:line:col and what was expected', () => {
  it('a YAML syntax error', async () => {
    const e = await rejection(loadFixture('errors', 'syntax.yml'));
    expect(e).toBeInstanceOf(ConfigError);
    expect(e.pos).toEqual({ file: fixture('errors', 'syntax.yml'), line: 3, col: 8 });
    expect(e.message).toMatch(/^\S+syntax\.yml:3:8: invalid YAML: .*\(the \{ here is never closed\)$/);
  });

  it('a misspelt key under a group is skipped with a warning, as Ansible does', async () => {
    const inv = await loadFixture('errors', 'typo.yml');
    expect(inv.warnings).toEqual([
      {
        msg: "skipping unexpected key 'host' in group 'web': only hosts, children and vars are valid (did you mean 'hosts'?)",
        pos: { file: fixture('errors', 'typo.yml'), line: 4, col: 7 },
      },
    ]);
    expect(inv.groups.get('web')?.hosts).toEqual([]);
  });

  it('a key written twice keeps the last one, with a warning, as Ansible does', async () => {
    const inv = await loadText('all:\n  hosts:\n    h1: { a: 1, a: 2 }\n    h2:\n    h1: { b: 3 }\n');
    expect(inv.warnings?.map((w) => `${w.pos?.line}:${w.pos?.col}: ${w.msg}`)).toEqual([
      "5:5: duplicate key 'h1' (first at line 3): using the last one only, as Ansible does",
    ]);
    expect(inv.hostNames).toEqual(['h2', 'h1']);
    expect(inv.hostVars('h1')).toMatchObject({ b: 3 });
    expect(inv.hostVars('h1').a).toBeUndefined();
    const inner = await loadText('all:\n  hosts:\n    h1: { a: 1, a: 2 }\n');
    expect(inner.warnings?.map((w) => `${w.pos?.line}:${w.pos?.col}: ${w.msg}`)).toEqual(["3:17: duplicate key 'a' (first at line 3): using the last one only, as Ansible does"]);
    expect(inner.hostVars('h1').a).toBe(2);
  });

  it('odd names Ansible warns about load with a warning', async () => {
    const inv = await loadText('all:\n  children:\n    web-servers:\n      hosts:\n        db:\n    db:\n      hosts:\n        x:\n');
    expect(inv.warnings?.map((w) => w.msg)).toEqual([
      "invalid characters in group name 'web-servers' (Ansible warns the same): it works in host patterns; in expressions write groups['web-servers']",
      "found both a group and a host named 'db': the pattern 'db' means the host, as in Ansible",
    ]);
  });

  it('hosts written as a list', async () => {
    const e = await rejection(loadFixture('errors', 'host-list.yml'));
    expect(e.pos).toMatchObject({ line: 5, col: 9 });
    expect(e.message).toContain("'hosts' of group 'web' must be a mapping, found a list");
  });

  it('a host whose value is a list', async () => {
    const e = await rejection(loadFixture('errors', 'host-value-list.yml'));
    expect(e.pos).toMatchObject({ line: 6, col: 11 });
    expect(e.message).toContain("host 'web1' in group 'web' must be followed by a mapping of its variables or nothing, found a list");
  });

  it('a playbook given as inventory', async () => {
    const e = await rejection(loadFixture('errors', 'top-list.yml'));
    expect(e.pos).toMatchObject({ line: 1, col: 1 });
    expect(e.message).toContain('expected a mapping of group names at the top level');
  });

  it('other structural mistakes', async () => {
    const cases: [string, RegExp][] = [
      ['all:\n  children:\n    web: [a, b]\n', /:3:10: group 'web' must be a mapping/],
      ['all:\n  vars: [a]\n', /:2:9: 'vars' of group 'all' must be a mapping, found a list/],
      ['all:\n  hosts:\n    "db[1:x]":\n', /:3:5: host range .* must be numbers/],
      ['all:\n  children:\n    a:\n      children:\n        b:\n          children:\n            a:\n', /:5:9: making 'b' a child of 'a' creates a loop \('a' is already under 'b'\)/],
      ['web:\n  children:\n    all:\n', /:3:5: group 'all' cannot be a child of 'web'/],
      ['', /:1:1: empty inventory/],
      ['plugin: aws_ec2\n', /:1:1: this is an inventory plugin configuration/],
      ['a:\n  vars: { ansible_group_priority: high }\n', /:2:35: ansible_group_priority of group 'a' must be an integer/],
    ];
    for (const [text, re] of cases) {
      const e = await rejection(loadText(text));
      expect(e, text).toBeInstanceOf(ConfigError);
      expect(e.message, text).toMatch(re);
    }
  });

  it('a vars file that is not a mapping', async () => {
    const { tempTree } = await import('./helpers.js');
    const { loadInventory } = await import('../../../src/inventory/load.js');
    const root = await tempTree({ 'hosts.yml': 'all:\n  hosts:\n    h:\n', 'group_vars/all.yml': '# vars\n- a\n- b\n' });
    const e = await rejection(loadInventory(root, { cwd: root }));
    expect(e.message).toMatch(/group_vars\/all\.yml:2:1: expected a mapping of variable names to values, found a list/);
  });
});
