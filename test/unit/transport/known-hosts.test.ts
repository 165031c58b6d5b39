import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import {
  appendKnownHost,
  checkHostKey,
  fingerprint,
  hostKeyAlgorithmsFor,
  keyTypeOf,
  knownHostName,
  knownTypesFor,
  parseKnownHosts,
  wildcardMatch,
} from '../../../src/transport/known-hosts.js';

// Keys and fingerprints as printed by OpenSSH's ssh-keygen -lf; the hashed line by ssh-keygen -H.
const ED = 'AAAAC3NzaC1lZDI1NTE5AAAAICYDtTNWWKeCchBAL2Qacnz4ptg41tIJ1Nm505lIM4LV';
const ED_FP = 'SHA256:IEtE1uCDcYpsXcceHEoLfNPQcojGBAYuOf8HtcqvHjE';
const RSA =
  'AAAAB3NzaC1yc2EAAAADAQABAAABAQCupQ8w1M+rVngN7NmRljtcK3juakb/ODbDHnd937Vkbs0opUGReR0RWvdSuoO8526l0QiLw0IVN/YbBr/NK/024IkryqO16Szej5blyH/6NP/x8GDvAEMzkh+Zvr4aBU3kXMR0BGTUQe3r5HCX3ec6X/3MkPqF3tr5LlBExy/oYpY4mq31KGRYuetiBEo76giCBhhbopWS4wGl7JoYQeHFlnehAVL6b7VHaZYFS7jH5j/q//yJau6VdvJ1ZTVShcL4JHYJNIvaYO8CeYqMrqhVoNsoa7wuZPQ2et6xsSjp2/rP8yZGXpO/rGnwfFYyQiUSOhkL/eMRWpLEt2yNzT0j';
const RSA_FP = 'SHA256:jn7KK+Iz2ZlCRG1L+j6CJdXGaMuE6jDX0iBKytmmq4o';
const HASHED_2222 = `|1|8I/ROUyjqk2IzWxDDuZB8rzpfyY=|g7b/PMjeRcmg8Re6CCKev6xH23A= ssh-ed25519 ${ED}`; // [h.example]:2222
const ed = Buffer.from(ED, 'base64');
const rsa = Buffer.from(RSA, 'base64');

const tmp = mkdtempSync(path.join(os.tmpdir(), 'known-hosts-test-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

describe('known_hosts', () => {
  it('prints fingerprints as OpenSSH does', () => {
    expect(fingerprint(ed)).toBe(ED_FP);
    expect(fingerprint(rsa)).toBe(RSA_FP);
    expect(keyTypeOf(ed)).toBe('ssh-ed25519');
    expect(keyTypeOf(rsa)).toBe('ssh-rsa');
  });

  it('names hosts as OpenSSH does', () => {
    expect(knownHostName('Example.COM', 22)).toBe('example.com');
    expect(knownHostName('127.0.0.1', 2201)).toBe('[127.0.0.1]:2201');
  });

  it('parses plain, bracketed, listed, hashed and marked entries, skipping junk', () => {
    const entries = parseKnownHosts(
      [
        '# comment',
        '',
        `a.example,10.0.0.1 ssh-ed25519 ${ED} comment here`,
        `[b.example]:2222 ssh-rsa ${RSA}`,
        HASHED_2222,
        `@revoked * ssh-rsa ${RSA}`,
        `@cert-authority *.example ssh-ed25519 ${ED}`,
        `@unknown-marker x ssh-ed25519 ${ED}`,
        'short line',
        'bad ssh-ed25519 !!!notbase64',
      ].join('\n'),
      'kh',
    );
    expect(entries).toHaveLength(5);
    expect(entries[0]).toMatchObject({ file: 'kh', line: 3, patterns: ['a.example', '10.0.0.1'], keyType: 'ssh-ed25519' });
    expect(entries[2]!.hashed).toBeDefined();
    expect(entries[3]!.marker).toBe('revoked');
    expect(entries[4]!.marker).toBe('cert-authority');
  });

  it('matches plain names, lists, ports, wildcards and negations', () => {
    const entries = parseKnownHosts(
      [
        `a.example,10.0.0.1 ssh-ed25519 ${ED}`,
        `[b.example]:2222 ssh-ed25519 ${ED}`,
        `*.web.example,!bad.web.example ssh-ed25519 ${ED}`,
        `[10.1.0.?]:* ssh-ed25519 ${ED}`,
      ].join('\n'),
    );
    const check = (name: string) => checkHostKey(entries, name, ed).status;
    expect(check('a.example')).toBe('known');
    expect(check('10.0.0.1')).toBe('known');
    expect(check('[b.example]:2222')).toBe('known');
    expect(check('b.example')).toBe('unknown');
    expect(check('[a.example]:2222')).toBe('unknown');
    expect(check('x.web.example')).toBe('known');
    expect(check('bad.web.example')).toBe('unknown');
    expect(check('[10.1.0.7]:2200')).toBe('known');
    expect(check('[10.1.0.70]:2200')).toBe('unknown');
  });

  it('matches hashed entries made by ssh-keygen -H', () => {
    const entries = parseKnownHosts(HASHED_2222);
    expect(checkHostKey(entries, knownHostName('h.example', 2222), ed).status).toBe('known');
    expect(checkHostKey(entries, knownHostName('h.example', 22), ed).status).toBe('unknown');
    expect(checkHostKey(entries, knownHostName('other', 2222), ed).status).toBe('unknown');
  });

  it('tells a changed key of the same type from a new type, and honours @revoked', () => {
    const other = Buffer.from(ed);
    other[other.length - 1] ^= 0xff;
    const entries = parseKnownHosts(`h ssh-ed25519 ${other.toString('base64')}\nh ssh-rsa ${RSA}`, 'kh');
    const changed = checkHostKey(entries, 'h', ed);
    expect(changed.status).toBe('changed');
    expect(changed.status === 'changed' && changed.entries[0]!.line).toBe(1);
    const onlyRsa = parseKnownHosts(`h ssh-rsa ${RSA}`);
    expect(checkHostKey(onlyRsa, 'h', ed)).toEqual({ status: 'unknown', otherTypes: ['ssh-rsa'] });
    expect(knownTypesFor(onlyRsa, 'h')).toEqual(['ssh-rsa']);
    const revoked = parseKnownHosts(`h ssh-ed25519 ${ED}\n@revoked * ssh-ed25519 ${ED}`);
    expect(checkHostKey(revoked, 'h', ed).status).toBe('revoked');
  });

  it('orders host key algorithms for known types', () => {
    expect(hostKeyAlgorithmsFor(['ssh-rsa', 'ssh-ed25519'])).toEqual(['rsa-sha2-512', 'rsa-sha2-256', 'ssh-rsa', 'ssh-ed25519']);
  });

  it('wildcards behave like OpenSSH match_pattern', () => {
    expect(wildcardMatch('*', '')).toBe(true);
    expect(wildcardMatch('a*b*c', 'aXXbYYc')).toBe(true);
    expect(wildcardMatch('a*b*c', 'aXXbYY')).toBe(false);
    expect(wildcardMatch('h?', 'h1')).toBe(true);
    expect(wildcardMatch('h?', 'h12')).toBe(false);
    expect(wildcardMatch('WEB*', 'web1')).toBe(true);
  });

  it('appends new keys once, on a line of their own', async () => {
    const file = path.join(tmp, 'sub', 'known_hosts');
    expect(await appendKnownHost(file, '[h]:2222', ed)).toBe(true);
    expect(await appendKnownHost(file, '[h]:2222', ed)).toBe(false);
    expect(readFileSync(file, 'utf8')).toBe(`[h]:2222 ssh-ed25519 ${ED}\n`);
    const noNewline = path.join(tmp, 'nonl');
    writeFileSync(noNewline, `x ssh-rsa ${RSA}`);
    await appendKnownHost(noNewline, 'y', ed);
    expect(readFileSync(noNewline, 'utf8')).toBe(`x ssh-rsa ${RSA}\ny ssh-ed25519 ${ED}\n`);
    // Concurrent appenders never interleave within a line.
    const many = path.join(tmp, 'many');
    await Promise.all(Array.from({ length: 20 }, (_, i) => appendKnownHost(many, `host${i}`, rsa)));
    const lines = readFileSync(many, 'utf8').trim().split('\n');
    expect(lines).toHaveLength(20);
    for (const l of lines) expect(l).toMatch(new RegExp(`^host\\d+ ssh-rsa ${RSA.replace(/[+/]/g, '\\$&')}$`));
  });
});
