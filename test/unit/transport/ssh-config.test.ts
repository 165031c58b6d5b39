import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { loadSshConfig, parseSshConfig, resolveSshConfig, splitConfigWords } from '../../../src/transport/ssh-config.js';

const home = mkdtempSync(path.join(os.tmpdir(), 'ssh-config-test-'));
afterAll(() => rmSync(home, { recursive: true, force: true }));

const CONFIG = `
# global defaults come first only if written first
Host bastion
  HostName 203.0.113.7
  User jump
  Port 2222
  IdentityFile ~/.ssh/bastion_key

Host web-* !web-legacy
  User=deploy
  ProxyJump bastion
  IdentityFile %d/.ssh/web_%r
  StrictHostKeyChecking accept-new
  UserKnownHostsFile "~/.ssh/known hosts web"

Host db?
  HostName %h.internal.example
  Port = 5022
  ConnectTimeout 3

Match host something
  User never

Host *
  User fallback
  Port 22
  IdentitiesOnly yes
`;

describe('ssh config', () => {
  const lines = parseSshConfig(CONFIG, { home });

  it('splits Key Value, Key=Value and quoted values', () => {
    expect(splitConfigWords('User deploy')).toEqual(['User', 'deploy']);
    expect(splitConfigWords('User=deploy')).toEqual(['User', 'deploy']);
    expect(splitConfigWords('Port = 22')).toEqual(['Port', '22']);
    expect(splitConfigWords('IdentityFile "a b/c"')).toEqual(['IdentityFile', 'a b/c']);
    expect(splitConfigWords('Host a b  c')).toEqual(['Host', 'a', 'b', 'c']);
  });

  it('applies the first value per option across matching blocks', () => {
    expect(resolveSshConfig(lines, 'bastion', { home })).toMatchObject({
      hostName: '203.0.113.7',
      user: 'jump',
      port: 2222,
      identityFiles: [path.join(home, '.ssh/bastion_key')],
      identitiesOnly: true,
    });
    const web = resolveSshConfig(lines, 'web-1', { home });
    expect(web).toMatchObject({
      user: 'deploy',
      port: 22,
      proxyJump: 'bastion',
      strictHostKeyChecking: 'accept-new',
      identityFiles: [path.join(home, '.ssh/web_deploy')],
      userKnownHostsFiles: [path.join(home, '.ssh/known hosts web')],
    });
    expect(web.hostName).toBeUndefined();
  });

  it('honours negated patterns and ? wildcards, expands %h, and skips Match blocks', () => {
    expect(resolveSshConfig(lines, 'web-legacy', { home })).toMatchObject({ user: 'fallback' });
    expect(resolveSshConfig(lines, 'web-legacy', { home }).proxyJump).toBeUndefined();
    expect(resolveSshConfig(lines, 'db1', { home })).toMatchObject({
      hostName: 'db1.internal.example',
      port: 5022,
      connectTimeoutMs: 3000,
      user: 'fallback',
    });
    expect(resolveSshConfig(lines, 'something', { home }).user).toBe('fallback');
    expect(resolveSshConfig(lines, 'db12', { home }).hostName).toBeUndefined();
  });

  it('reads ~/.ssh/config with Include, and treats a missing file as empty', () => {
    mkdirSync(path.join(home, '.ssh', 'conf.d'), { recursive: true });
    writeFileSync(path.join(home, '.ssh', 'conf.d', 'one.conf'), 'Host inc\n  HostName 192.0.2.1\n');
    writeFileSync(path.join(home, '.ssh', 'config'), 'Include conf.d/*.conf\nHost other\n  User o\n');
    expect(loadSshConfig('inc', { home })).toMatchObject({ hostName: '192.0.2.1' });
    expect(loadSshConfig('other', { home })).toMatchObject({ user: 'o' });
    expect(loadSshConfig('x', { home, file: path.join(home, 'missing') })).toEqual({ identityFiles: [] });
  });
});
