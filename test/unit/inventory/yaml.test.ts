import { describe, expect, it } from 'vitest';
import { groupsMap } from '../../../src/inventory/groups.js';
import { expandHostPattern, expandHostRange } from '../../../src/inventory/ranges.js';
import { loadFixture, loadText } from './helpers.js';

describe('YAML inventories from the Ansible documentation', () => {
  it('loads the ungrouped/webservers/dbservers example unchanged', async () => {
    const inv = await loadFixture('ansible-docs', 'basic.yml');
    expect(inv.hostNames).toEqual([
      'mail.example.com',
      'foo.example.com',
      'bar.example.com',
      'one.example.com',
      'two.example.com',
      'three.example.com',
    ]);
    expect([...inv.groups.keys()]).toEqual(['all', 'ungrouped', 'webservers', 'dbservers']);
    expect(inv.groups.get('all')!.children).toEqual(['ungrouped', 'webservers', 'dbservers']);
    expect(inv.groups.get('ungrouped')!.hosts).toEqual(['mail.example.com']);
    expect(inv.groups.get('webservers')!.hosts).toEqual(['foo.example.com', 'bar.example.com']);
    expect(inv.groupsOf('mail.example.com')).toEqual(['ungrouped']);
    expect(inv.groupsOf('foo.example.com')).toEqual(['webservers']);
    expect(inv.hostVars('foo.example.com')).toEqual({});
  });

  it('loads the nested east/west/prod/test example', async () => {
    const inv = await loadFixture('ansible-docs', 'nested.yml');
    expect(inv.groups.get('all')!.children).toEqual(['ungrouped', 'webservers', 'dbservers', 'prod', 'test']);
    expect(inv.groups.get('prod')!.children).toEqual(['east']);
    expect(inv.groups.get('test')!.children).toEqual(['west']);
    expect(inv.groupsOf('foo.example.com')).toEqual(['east', 'prod', 'webservers']);
    expect(inv.groupsOf('three.example.com')).toEqual(['dbservers', 'test', 'west']);
    expect(inv.select('prod')).toEqual(['foo.example.com', 'one.example.com', 'two.example.com']);
    expect(groupsMap(inv)).toEqual({
      all: ['mail.example.com', 'foo.example.com', 'bar.example.com', 'one.example.com', 'two.example.com', 'three.example.com'],
      ungrouped: ['mail.example.com'],
      webservers: ['foo.example.com', 'bar.example.com'],
      dbservers: ['one.example.com', 'two.example.com', 'three.example.com'],
      east: ['foo.example.com', 'one.example.com', 'two.example.com'],
      west: ['bar.example.com', 'three.example.com'],
      prod: ['foo.example.com', 'one.example.com', 'two.example.com'],
      test: ['bar.example.com', 'three.example.com'],
    });
  });

  it('gives the same inventory when everything sits under all:', async () => {
    const a = await loadFixture('ansible-docs', 'nested.yml');
    const b = await loadFixture('ansible-docs', 'nested-all.yml');
    expect(groupsMap(b)).toEqual(groupsMap(a));
    // mail.example.com is listed under all.hosts only: Ansible files it under ungrouped
    expect(b.groups.get('ungrouped')!.hosts).toEqual(['mail.example.com']);
    expect(b.groupsOf('mail.example.com')).toEqual(['ungrouped']);
  });

  it('expands host ranges (numeric with leading zeros, stride, letters)', async () => {
    const inv = await loadFixture('ansible-docs', 'ranges.yml');
    const www = inv.groups.get('webservers')!.hosts;
    expect(www).toHaveLength(50);
    expect(www[0]).toBe('www01.example.com');
    expect(www[9]).toBe('www10.example.com');
    expect(www[49]).toBe('www50.example.com');
    const stride = inv.groups.get('stride')!.hosts;
    expect(stride).toHaveLength(25);
    expect(stride.slice(0, 3)).toEqual(['www01.example.com', 'www03.example.com', 'www05.example.com']);
    expect(inv.groups.get('databases')!.hosts).toEqual(['db-a.example.com', 'db-b.example.com', 'db-c.example.com', 'db-d.example.com', 'db-e.example.com', 'db-f.example.com']);
    expect(inv.hostNames).toHaveLength(56);
  });

  it('loads the SPEC §3 example', async () => {
    const inv = await loadFixture('..', '..', '..', 'inventories', 'example.yml');
    expect(inv.hostNames).toEqual(['web1', 'web2', 'lb1']);
    expect(inv.hostVars('web2')).toEqual({ ansible_user: 'root', ansible_host: '127.0.0.1', ansible_port: 2202 });
    expect(inv.select('web')).toEqual(['web1', 'web2']);
  });
});

describe('YAML values', () => {
  it('reads YAML 1.1 as Ansible does: 0755 is 493, yes is true', async () => {
    const inv = await loadText(`
all:
  hosts:
    h1:
      mode: 0755
      enabled: yes
      off: no
      quoted: "0755"
      hex: 0x1F
      port: 22
      when: 2024-01-02
      empty:
`);
    expect(inv.hostVars('h1')).toEqual({
      mode: 493,
      enabled: true,
      off: false,
      quoted: '0755',
      hex: 31,
      port: 22,
      when: '2024-01-02',
      empty: null,
    });
  });

  it('resolves scalars as PyYAML does, where yaml 1.1 readers differ', async () => {
    const inv = await loadText(`
all:
  hosts:
    h1:
      y: n
      on_: on
      Off_: Off
      nine: 09
      exp: 1e5
      exp_dot: 1.5e+2
      ref: 1234e56
      sexagesimal: 1:30
      float: 1.5
      dot: .
`);
    expect(inv.hostVars('h1')).toEqual({
      y: 'n',
      on_: true,
      Off_: false,
      nine: '09',
      exp: '1e5',
      exp_dot: 150,
      ref: '1234e56',
      sexagesimal: 90,
      float: 1.5,
      dot: '.',
    });
  });

  it('keeps host and group names as written (01 is not 1)', async () => {
    const inv = await loadText(`
all:
  children:
    2024:
      hosts:
        01:
        10.0.0.1:
        yes:
`);
    expect(inv.hostNames).toEqual(['01', '10.0.0.1', 'yes']);
    expect(inv.groups.has('2024')).toBe(true);
  });

  it('merges a group that appears in several places, and host vars across groups', async () => {
    const inv = await loadText(`
all:
  children:
    web:
      hosts:
        w1: { a: 1 }
      vars: { g1: 1 }
    prod:
      children:
        web:
          hosts:
            w2:
            w1: { b: 2 }
          vars: { g2: 2 }
`);
    expect(inv.groups.get('web')!.hosts).toEqual(['w1', 'w2']);
    expect(inv.groups.get('web')!.vars).toEqual({ g1: 1, g2: 2 });
    expect(inv.groups.get('all')!.children).toEqual(['ungrouped', 'web', 'prod']);
    expect(inv.groups.get('prod')!.children).toEqual(['web']);
    expect(inv.hostVars('w1')).toEqual({ g1: 1, g2: 2, a: 1, b: 2 });
  });

  it('accepts a port in the host key, strings for sections, and anchors/merge keys', async () => {
    const inv = await loadText(`
defaults: &defaults
  vars: { shared: 1 }
web:
  <<: *defaults
  hosts:
    w1:2222:
    "[fe80::1]:2200":
    ::1:
db:
  hosts: db1
`);
    expect(inv.hostVars('w1')).toEqual({ shared: 1, ansible_port: 2222 });
    expect(inv.hostVars('fe80::1')).toEqual({ shared: 1, ansible_port: 2200 });
    expect(inv.hostNames).toContain('::1');
    expect(inv.groups.get('db')!.hosts).toEqual(['db1']);
  });

  it('a host listed in all.hosts and in a group is not ungrouped', async () => {
    const inv = await loadText(`
all:
  hosts:
    a:
    b:
  children:
    g:
      hosts:
        b:
`);
    expect(inv.groups.get('ungrouped')!.hosts).toEqual(['a']);
    expect(inv.groupsOf('b')).toEqual(['g']);
  });
});

describe('host ranges', () => {
  it('expands like Ansible', () => {
    expect(expandHostRange('db[1:3]-node')).toEqual(['db1-node', 'db2-node', 'db3-node']);
    expect(expandHostRange('h[:2]')).toEqual(['h0', 'h1', 'h2']);
    expect(expandHostRange('n[08:10]')).toEqual(['n08', 'n09', 'n10']);
    expect(expandHostRange('r[1:2]c[a:b]')).toEqual(['r1ca', 'r1cb', 'r2ca', 'r2cb']);
    expect(expandHostRange('x[A:C]')).toEqual(['xA', 'xB', 'xC']);
    expect(expandHostPattern('www[01:02].example.com:2222')).toEqual({ hosts: ['www01.example.com', 'www02.example.com'], port: 2222 });
    expect(() => expandHostRange('n[01:100]')).toThrow(/equal width/);
    expect(() => expandHostRange('n[1]')).toThrow(/begin:end/);
    expect(() => expandHostRange('n[3:1:0]')).toThrow(/step/);
    expect(() => expandHostRange('n[c:a]')).toThrow(/begin <= end/);
    expect(() => expandHostRange('n[3:1]')).toThrow(/begin <= end/);
    expect(() => expandHostPattern('web1:')).toThrow(/ends in ':'/);
  });
});
