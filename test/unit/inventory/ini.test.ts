import { describe, expect, it } from 'vitest';
import { groupsMap } from '../../../src/inventory/groups.js';
import { iniValue, pythonLiteral, shlexSplit } from '../../../src/inventory/python-literal.js';
import { loadFixture, loadText, rejection } from './helpers.js';

describe('INI inventories', () => {
  it('loads the documentation examples like their YAML twins', async () => {
    for (const name of ['basic', 'nested']) {
      const ini = await loadFixture('ansible-docs', `${name}.ini`);
      const yaml = await loadFixture('ansible-docs', `${name}.yml`);
      expect(groupsMap(ini)).toEqual(groupsMap(yaml));
      expect(ini.hostNames).toEqual(yaml.hostNames);
      expect(ini.groups.get('all')!.children).toEqual(yaml.groups.get('all')!.children);
    }
  });

  it('reads host lines, :vars and :children with Ansible value types', async () => {
    const inv = await loadFixture('ansible-docs', 'behavioral.ini');
    expect(inv.select('targets')).toEqual(['localhost', 'other1.example.com', 'other2.example.com']);
    expect(inv.hostVars('other1.example.com')).toEqual({ ansible_connection: 'ssh', ansible_user: 'myuser' });
    expect(inv.hostVars('host2')).toEqual({
      ntp_server: 'ntp.atlanta.example.com',
      proxy: 'proxy.atlanta.example.com',
      retries: 3,
      some_server: 'foo.southeast.example.com',
      halon_system_timeout: 30,
      escape_pods: 2,
      ansible_port: 2222,
      http_port: 303,
      maxRequestsPerChild: 909,
      secret: '03#pa33w0rd',
    });
    const www = inv.hostVars('www02.example.com');
    expect(www).toMatchObject({ ansible_become: true, flag: 'true', mode: '0755', ratio: 1.5, list: [1, 'two'] });
    expect(inv.groups.get('southeast')!.children).toEqual(['atlanta', 'raleigh']);
    expect(inv.groups.get('usa')!.children).toEqual(['southeast']);
    expect(inv.groupsOf('host3')).toEqual(['raleigh', 'southeast', 'usa']);
    // [southeast:children] names raleigh before [raleigh] defines it: resolved at the definition
    expect(inv.select('southeast')).toEqual(['host1', 'host2', 'www01.example.com', 'www02.example.com', 'www03.example.com', 'host3']);
  });

  it('puts hosts before any section in ungrouped, and takes them out once grouped', async () => {
    const inv = await loadText('a\nb\n[g]\nb\n', 'hosts');
    expect(inv.groups.get('ungrouped')!.hosts).toEqual(['a']);
    expect(inv.groupsOf('b')).toEqual(['g']);
  });

  it('accepts [all:vars] and sections declared after use', async () => {
    const inv = await loadText('[all:vars]\nx=1\n[web:vars]\ny=2\n[web]\nw1\n', 'inv.ini');
    expect(inv.hostVars('w1')).toEqual({ x: 1, y: 2 });
  });
});

describe('Python literals and shlex, as the INI plugin uses them', () => {
  it('parses literal values', () => {
    expect(iniValue('22')).toBe(22);
    expect(iniValue('-3')).toBe(-3);
    expect(iniValue('1_000')).toBe(1000);
    expect(iniValue('0x10')).toBe(16);
    expect(iniValue('0o17')).toBe(15);
    expect(iniValue('1.5e2')).toBe(150);
    expect(iniValue('True')).toBe(true);
    expect(iniValue('False')).toBe(false);
    expect(iniValue('None')).toBe(null);
    expect(iniValue("'x y'")).toBe('x y');
    expect(iniValue('"a\\tb"')).toBe('a\tb');
    expect(iniValue("r'a\\tb'")).toBe('a\\tb');
    expect(iniValue("'a' 'b'")).toBe('ab');
    expect(iniValue("[1, 'a', [True]]")).toEqual([1, 'a', [true]]);
    expect(iniValue("{'k': 1, 'n': None}")).toEqual({ k: 1, n: null });
    expect(iniValue('(1, 2)')).toEqual([1, 2]);
    expect(iniValue('(1)')).toBe(1);
    expect(iniValue('8080 # comment')).toBe(8080);
  });

  it('leaves anything else as text', () => {
    for (const s of ['true', 'yes', '0755', '10.0.0.1', 'hello', '1.2.3', "'open", '1j', '[1,', 'a b', '']) {
      expect(iniValue(s)).toBe(s);
    }
    expect(pythonLiteral('__import__("os")')).toEqual({ ok: false });
  });

  it('splits host lines like shlex with comments', () => {
    expect(shlexSplit(`h a=1 b="x y" c='q "r"' # note`)).toEqual(['h', 'a=1', 'b=x y', `c=q "r"`]);
    expect(shlexSplit(`h s="'03#pa33w0rd'"`)).toEqual(['h', "s='03#pa33w0rd'"]);
    expect(shlexSplit('h a=b#c')).toEqual(['h', 'a=b']);
    expect(shlexSplit('h a=x\\ y e=""')).toEqual(['h', 'a=x y', 'e=']);
    expect(() => shlexSplit('h a="x')).toThrow(/closing quotation/);
  });
});

describe('INI errors name file:line:col', () => {
  it('a host variable without =', async () => {
    const e = await rejection(loadText('[web]\nw1 a=1 oops\n', 'inv.ini'));
    expect(e.message).toMatch(/inv\.ini:2:8: expected key=value host variable after 'w1', found 'oops'/);
  });

  it('an unknown section type', async () => {
    const e = await rejection(loadText('[web:hosts]\n[web:var]\n', 'inv.ini'));
    expect(e.message).toMatch(/inv\.ini:2:\d+: section \[web:var\] has unknown type 'var'/);
  });

  it('a child group that is never defined', async () => {
    const e = await rejection(loadFixture('errors', 'bad-children.ini'));
    expect(e.message).toMatch(/bad-children\.ini:6:1: section \[prod:children\] includes group 'nosuch', which is not defined/);
  });

  it('vars of a group that is never defined', async () => {
    const e = await rejection(loadText('[w]\nh\n[ghost:vars]\na=1\n', 'inv.ini'));
    expect(e.message).toMatch(/inv\.ini:3:1: section \[ghost:vars\] is for group 'ghost', which is not defined/);
  });

  it('a section header with spaces, an unclosed quote, YAML in an INI file', async () => {
    expect((await rejection(loadText('[web servers]\n', 'inv.ini'))).message).toMatch(/inv\.ini:1:1: invalid section header/);
    expect((await rejection(loadText('[w]\nh a="x\n', 'inv.ini'))).message).toMatch(/inv\.ini:2:1: cannot read host line: no closing quotation/);
    expect((await rejection(loadText('all:\n  hosts:\n', 'inv.ini'))).message).toMatch(/inv\.ini:1:1: 'all:' looks like YAML/);
  });
});
