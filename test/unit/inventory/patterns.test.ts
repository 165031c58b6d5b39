import { beforeAll, describe, expect, it } from 'vitest';
import type { StaticInventory } from '../../../src/inventory/model.js';
import { globToRegExp, orderPatterns, splitPattern } from '../../../src/inventory/patterns.js';
import { loadFixture, loadText } from './helpers.js';

let inv: StaticInventory;
beforeAll(async () => {
  inv = await loadFixture('ansible-docs', 'nested.yml');
});

const MAIL = 'mail.example.com';
const FOO = 'foo.example.com';
const BAR = 'bar.example.com';
const ONE = 'one.example.com';
const TWO = 'two.example.com';
const THREE = 'three.example.com';

describe('patterns', () => {
  it('all and * select every host in inventory order', () => {
    expect(inv.select('all')).toEqual([MAIL, FOO, BAR, ONE, TWO, THREE]);
    expect(inv.select('*')).toEqual(inv.select('all'));
  });

  it('host names and group names', () => {
    expect(inv.select(TWO)).toEqual([TWO]);
    expect(inv.select('webservers')).toEqual([FOO, BAR]);
    expect(inv.select('ungrouped')).toEqual([MAIL]);
    expect(inv.select('prod')).toEqual([FOO, ONE, TWO]); // through the child group east
  });

  it('unions with : and , (inventory order, no duplicates)', () => {
    expect(inv.select('dbservers:webservers')).toEqual([FOO, BAR, ONE, TWO, THREE]);
    expect(inv.select('webservers,dbservers')).toEqual([FOO, BAR, ONE, TWO, THREE]);
    expect(inv.select('webservers:east')).toEqual([FOO, BAR, ONE, TWO]);
    expect(inv.select(' webservers , mail.example.com ')).toEqual([MAIL, FOO, BAR]);
  });

  it('intersections with :&', () => {
    expect(inv.select('webservers:&prod')).toEqual([FOO]);
    expect(inv.select('dbservers:&east:&prod')).toEqual([ONE, TWO]);
  });

  it('exclusions with :!', () => {
    expect(inv.select('all:!webservers')).toEqual([MAIL, ONE, TWO, THREE]);
    expect(inv.select('dbservers:!three.example.com')).toEqual([ONE, TWO]);
    expect(inv.select('!dbservers')).toEqual([MAIL, FOO, BAR]); // only exclusions: from all
  });

  it('evaluates unions, then intersections, then exclusions, whatever the written order', () => {
    expect(inv.select('webservers:!foo.example.com:dbservers:&test')).toEqual([BAR, THREE]);
    expect(inv.select('!two.example.com:&prod:webservers:dbservers')).toEqual([FOO, ONE]);
    expect(inv.select('&east')).toEqual([FOO, ONE, TWO]);
  });

  it('globs on groups and hosts', () => {
    expect(inv.select('web*')).toEqual([FOO, BAR]);
    expect(inv.select('*.example.com')).toEqual([MAIL, FOO, BAR, ONE, TWO, THREE]);
    expect(inv.select('t*.example.com')).toEqual([TWO, THREE]);
    expect(inv.select('?ne.example.com')).toEqual([ONE]);
    expect(inv.select('[fb]*')).toEqual([FOO, BAR]);
    expect(inv.select('[!fbmt]*.example.com')).toEqual([ONE]);
    expect(inv.select('e*:w*')).toEqual([FOO, BAR, ONE, TWO, THREE]); // east, west, webservers
  });

  it('regular expressions with ~ (anchored at the start, as re.match)', () => {
    expect(inv.select('~(foo|bar)\\.example')).toEqual([FOO, BAR]);
    expect(inv.select('~example')).toEqual([]);
    expect(inv.select('~t.*')).toEqual([BAR, TWO, THREE]); // group test (bar, three) and hosts two, three
  });

  it('subscripts pick hosts of a group by position', () => {
    expect(inv.select('dbservers[0]')).toEqual([ONE]);
    expect(inv.select('dbservers[-1]')).toEqual([THREE]);
    expect(inv.select('dbservers[1:]')).toEqual([TWO, THREE]);
    expect(inv.select('dbservers[0:1]')).toEqual([ONE, TWO]);
    expect(inv.select('webservers[0]:dbservers[2]')).toEqual([FOO, THREE]);
    expect(inv.select('all:!dbservers[0:1]')).toEqual([MAIL, FOO, BAR, THREE]);
    expect(inv.select('dbservers[7]')).toEqual([]);
  });

  it('matches nothing as []', () => {
    expect(inv.select('nosuch')).toEqual([]);
    expect(inv.select('nosuch*')).toEqual([]);
    expect(inv.select('')).toEqual([]);
    expect(inv.select('webservers:&dbservers')).toEqual([]);
  });

  it('matches the implicit localhost only by name', async () => {
    expect(inv.select('localhost')).toEqual(['localhost']);
    expect(inv.select('127.0.0.1')).toEqual(['127.0.0.1']);
    expect(inv.select('webservers:localhost')).toEqual([FOO, BAR, 'localhost']);
    expect(inv.select('all')).not.toContain('localhost');
    expect(inv.select('local*')).toEqual([]);
    const withLocal = await loadText('all:\n  hosts:\n    localhost: { ansible_connection: local }\n    b:\n');
    expect(withLocal.select('localhost')).toEqual(['localhost']);
    expect(withLocal.hostVars('localhost')).toEqual({ ansible_connection: 'local' });
  });

  it('IPv6 addresses and ranges are single patterns', async () => {
    const v6 = await loadText('all:\n  hosts:\n    "fe80::1":\n    w[1:3]:\n');
    expect(v6.select('fe80::1')).toEqual(['fe80::1']);
    expect(v6.select('w[0:1]')).toEqual([]); // no group w: subscripts apply to groups
    expect(splitPattern('w[0:1]:db')).toEqual(['w[0:1]', 'db']);
  });
});

describe('pattern helpers', () => {
  it('splits and orders', () => {
    expect(splitPattern('a:b,c:!d:&e')).toEqual(['a', 'b', 'c', '!d', '&e']);
    expect(splitPattern(['a:b', 'c'])).toEqual(['a', 'b', 'c']);
    expect(orderPatterns(['!x', 'a', '&y', 'b'])).toEqual(['a', 'b', '&y', '!x']);
    expect(orderPatterns(['!x'])).toEqual(['all', '!x']);
  });

  it('translates globs like fnmatch', () => {
    expect(globToRegExp('a.b*').test('a.bcd')).toBe(true);
    expect(globToRegExp('a.b*').test('axbcd')).toBe(false);
    expect(globToRegExp('x[').test('x[')).toBe(true);
    expect(globToRegExp('h[0-2]').test('h1')).toBe(true);
    expect(globToRegExp('h[!0-2]').test('h1')).toBe(false);
  });
});
