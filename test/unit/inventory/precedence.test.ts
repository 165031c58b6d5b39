import { describe, expect, it } from 'vitest';
import { fixture, loadFixture, loadText } from './helpers.js';

describe('directory inventories', () => {
  it('reads every inventory file in the directory, skipping others', async () => {
    const inv = await loadFixture('dir');
    expect(inv.source).toBe(fixture('dir'));
    expect(inv.dir).toBe(fixture('dir'));
    expect(inv.hostNames).toEqual(['web1', 'web2', 'db1', 'mon1']);
    expect(inv.groups.get('all')!.children).toEqual(['ungrouped', 'prod', 'canary', 'monitoring']);
    expect(inv.hostVars('mon1')).toMatchObject({ ansible_port: 2299 });
  });

  it('merges group_vars files (file, or folder in name order) and host_vars files', async () => {
    const inv = await loadFixture('dir');
    expect(inv.groups.get('web')!.vars).toEqual({
      level: 'web-dir-b',
      k: 'web-inline',
      a: 1,
      nested: true,
    });
    expect(inv.groups.get('all')!.vars).toMatchObject({ mode: 493, from_all_file: true, from_all_inline: 1 });
  });

  it('applies precedence: all < parent < child < host inline < host_vars file', async () => {
    const inv = await loadFixture('dir');
    expect(inv.hostVars('web1')).toEqual({
      level: 'web1-file', // host_vars/web1.yml beats the inline host var
      host_inline: true,
      from_all_inline: 1,
      from_all_file: true,
      mode: 493,
      sib: 'prod',
      k: 'web-inline', // a child group's inline var beats the parent's group_vars file
      a: 1,
      nested: true,
    });
    expect(inv.hostVars('web2').level).toBe('web-dir-b'); // group_vars/web beats web's inline vars
    expect(inv.hostVars('db1').level).toBe('prod-file'); // group_vars/prod.yaml beats prod's inline vars
    expect(inv.hostVars('mon1').level).toBe('all-file'); // group_vars/all.yml beats all's inline vars
  });

  it('merges siblings at equal depth by name: the later name wins', async () => {
    const inv = await loadFixture('dir');
    // web2 is in canary (depth 1) and prod (depth 1): prod sorts after canary
    expect(inv.hostVars('web2').sib).toBe('prod');
  });

  it('gives the implicit localhost all-group vars and its host_vars file', async () => {
    const inv = await loadFixture('dir');
    expect(inv.hostNames).not.toContain('localhost');
    expect(inv.select('localhost')).toEqual(['localhost']);
    expect(inv.select('all')).not.toContain('localhost');
    expect(inv.hostVars('localhost')).toMatchObject({ ansible_connection: 'local', implicit_var: 1, level: 'all-file' });
    expect(inv.groupsOf('localhost')).toEqual([]);
  });

  it('reads group_vars/ and host_vars/ next to an inventory file', async () => {
    const inv = await loadFixture('file-with-vars', 'inventory.ini');
    expect(inv.dir).toBe(fixture('file-with-vars'));
    expect(inv.hostVars('h1')).toEqual({ color: 'green', ansible_port: 2222 });
    expect(inv.hostVars('h2')).toEqual({ color: 'green' });
  });
});

describe('group depth and priority', () => {
  it('deeper groups win over shallower ones, whatever the source order', async () => {
    const inv = await loadText(`
leaf:
  hosts:
    h:
  vars: { v: leaf }
mid:
  children:
    leaf:
  vars: { v: mid }
top:
  children:
    mid:
  vars: { v: top }
all:
  vars: { v: all }
`);
    expect(inv.hostVars('h').v).toBe('leaf');
  });

  it('the documentation example southeast/atlanta inherits group vars', async () => {
    const inv = await loadFixture('ansible-docs', 'usa.yml');
    expect(inv.hostVars('host2')).toEqual({
      some_server: 'foo.southeast.example.com',
      halon_system_timeout: 30,
      self_destruct_countdown: 60,
      escape_pods: 2,
    });
    expect(inv.groupsOf('host2')).toEqual(['atlanta', 'raleigh', 'southeast', 'usa']);
    expect(inv.groups.get('usa')!.children).toEqual(['southeast', 'northeast', 'northwest', 'southwest']);
  });

  it('ansible_group_priority beats the name order (documentation example)', async () => {
    const inv = await loadFixture('ansible-docs', 'priority.yml');
    expect(inv.hostVars('testhost')).toEqual({ testvar: 'a' });
  });

  it('a depth reached through a longer path counts (longest path from all)', async () => {
    const inv = await loadText(`
all:
  children:
    a:
      vars: { v: a }
      hosts: { h: }
    b:
      vars: { v: b }
      children:
        a:
`);
    // a is a child of all (depth 1) and of b (depth 2): its depth is 2, so it beats b
    expect(inv.hostVars('h').v).toBe('a');
  });

  it('merges shallowly: a dict var is replaced, not merged', async () => {
    const inv = await loadText(`
all:
  vars: { cfg: { a: 1, b: 2 } }
  children:
    g:
      vars: { cfg: { a: 9 } }
      hosts: { h: }
`);
    expect(inv.hostVars('h').cfg).toEqual({ a: 9 });
  });

  it('hostVars returns a copy the caller may change', async () => {
    const inv = await loadText('all:\n  vars: { l: [1] }\n  hosts: { h: }\n');
    (inv.hostVars('h').l as number[]).push(2);
    expect(inv.hostVars('h').l).toEqual([1]);
  });
});
