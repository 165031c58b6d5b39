import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { ConfigError } from '../../../src/core/errors.js';
import { splitShellWords as shellWords } from '../../../src/core/shell-words.js';
import { connectionSpecFromVars, parseSshArgs } from '../../../src/transport/connection-spec.js';
import { parseJumpHost } from '../../../src/transport/ssh.js';

describe('shellWords', () => {
  it('splits like a POSIX shell', () => {
    expect(shellWords(`-o 'A B' -o "C=\\"d\\"" e\\ f  g`)).toEqual(['-o', 'A B', '-o', 'C="d"', 'e f', 'g']);
    expect(shellWords('')).toEqual([]);
    expect(shellWords("''")).toEqual(['']);
    expect(() => shellWords("'open")).toThrow(/unterminated/);
  });
});

describe('parseSshArgs', () => {
  it('reads -o Key=Value, -oKey=Value, -o Key Value, -o "Key Value" and -J', () => {
    expect(parseSshArgs('-o ProxyJump=admin@bastion:2222 -oUserKnownHostsFile=/k -o StrictHostKeyChecking no')).toEqual({
      proxyJump: 'admin@bastion:2222',
      knownHostsFile: '/k',
      strictHostKeyChecking: 'no',
    });
    expect(parseSshArgs(`-o 'StrictHostKeyChecking accept-new' -J jump1,jump2 -o ConnectTimeout=4`)).toEqual({
      strictHostKeyChecking: 'accept-new',
      proxyJump: 'jump1,jump2',
      connectTimeoutMs: 4000,
    });
    expect(parseSshArgs('-Jj -p 2200 -l bob -i ~/k -C -o ControlMaster=auto -o ControlPersist=60s')).toEqual({
      proxyJump: 'j',
      port: 2200,
      user: 'bob',
      privateKeyFile: path.join(os.homedir(), 'k'),
    });
  });

  it('keeps the first value, as ssh does', () => {
    expect(parseSshArgs('-o StrictHostKeyChecking=yes -o StrictHostKeyChecking=no').strictHostKeyChecking).toBe('yes');
  });

  it('turns a `ssh -W %h:%p` ProxyCommand into a jump and refuses other ProxyCommands', () => {
    expect(parseSshArgs(`-o ProxyCommand="ssh -W %h:%p -q ops@bastion.example"`).proxyJump).toBe('ops@bastion.example');
    expect(parseSshArgs(`-o 'ProxyCommand=ssh -p 2022 -l ops -W %h:%p bastion'`).proxyJump).toBe('ops@bastion:2022');
    expect(() => parseSshArgs('-o ProxyCommand="nc -X 5 -x proxy:1080 %h %p"')).toThrow(ConfigError);
  });

  it('reports bad values', () => {
    expect(() => parseSshArgs('-o StrictHostKeyChecking=maybe')).toThrow(/StrictHostKeyChecking/);
    expect(() => parseSshArgs('-o')).toThrow(/needs a value/);
    expect(() => parseSshArgs('-p http')).toThrow(/port/);
  });
});

describe('connectionSpecFromVars', () => {
  it('defaults: ssh to the host name on port 22, strict checking, 10 s', () => {
    expect(connectionSpecFromVars('web1', {})).toEqual({
      host: 'web1',
      connection: 'ssh',
      address: 'web1',
      port: 22,
      strictHostKeyChecking: 'yes',
      connectTimeoutMs: 10_000,
    });
  });

  it('reads the Ansible connection variables', () => {
    const spec = connectionSpecFromVars('web1', {
      ansible_host: '10.0.0.5',
      ansible_port: '2201',
      ansible_user: 'deploy',
      ansible_ssh_private_key_file: '~/.ssh/deploy_ed25519',
      ansible_ssh_pass: 's3cret',
      ansible_connection: 'smart',
      ansible_become: 'yes',
      ansible_become_user: 'app',
      ansible_ssh_common_args: '-o UserKnownHostsFile=/etc/kh -o StrictHostKeyChecking=accept-new',
      ansible_ssh_extra_args: '-J ops@bastion:2222',
      ansible_ssh_timeout: 3,
    });
    expect(spec).toEqual({
      host: 'web1',
      connection: 'ssh',
      address: '10.0.0.5',
      port: 2201,
      user: 'deploy',
      privateKeyFile: path.join(os.homedir(), '.ssh/deploy_ed25519'),
      password: 's3cret',
      knownHostsFile: '/etc/kh',
      strictHostKeyChecking: 'accept-new',
      proxyJump: 'ops@bastion:2222',
      connectTimeoutMs: 3000,
      become: { user: 'app' },
    });
  });

  it('parses the fleet inventory form', () => {
    const spec = connectionSpecFromVars('h1', {
      ansible_host: '127.0.0.1',
      ansible_port: 2201,
      ansible_user: 'root',
      ansible_ssh_private_key_file: '/abs/id_ed25519',
      ansible_ssh_common_args: '-o UserKnownHostsFile=/abs/known_hosts -o StrictHostKeyChecking=yes',
    });
    expect(spec).toMatchObject({ address: '127.0.0.1', port: 2201, knownHostsFile: '/abs/known_hosts', strictHostKeyChecking: 'yes' });
  });

  it('chooses local for connection local and for a bare localhost', () => {
    expect(connectionSpecFromVars('localhost', {}).connection).toBe('local');
    expect(connectionSpecFromVars('localhost', { ansible_host: '127.0.0.1' }).connection).toBe('ssh');
    expect(connectionSpecFromVars('box', { ansible_connection: 'local' }).connection).toBe('local');
    expect(connectionSpecFromVars('localhost', { ansible_connection: 'ssh' }).connection).toBe('ssh');
    expect(connectionSpecFromVars('h', { ansible_connection: 'paramiko' }).connection).toBe('ssh');
  });

  it('maps host key checking and become defaults', () => {
    expect(connectionSpecFromVars('h', { ansible_host_key_checking: false }).strictHostKeyChecking).toBe('no');
    expect(connectionSpecFromVars('h', { ansible_become: true }).become).toEqual({});
    expect(connectionSpecFromVars('h', { ansible_become: 'no', ansible_become_user: 'x' }).become).toBeUndefined();
    expect(connectionSpecFromVars('h', { ansible_password: 'p' }).password).toBe('p');
  });

  it('rejects what it cannot honour, with the variable named', () => {
    expect(() => connectionSpecFromVars('h', { ansible_port: 'ssh' })).toThrow(/ansible_port/);
    expect(() => connectionSpecFromVars('h', { ansible_port: 70000 })).toThrow(ConfigError);
    expect(() => connectionSpecFromVars('h', { ansible_connection: 'winrm' })).toThrow(/winrm/);
    expect(() => connectionSpecFromVars('h', { ansible_become: true, ansible_become_method: 'su' })).toThrow(/su/);
    expect(() => connectionSpecFromVars('h', { ansible_become: 'perhaps' })).toThrow(/ansible_become/);
    expect(() => connectionSpecFromVars('h', { ansible_ssh_timeout: 'soon' })).toThrow(/ansible_ssh_timeout/);
  });
});

describe('parseJumpHost', () => {
  it('reads user@host:port forms', () => {
    expect(parseJumpHost('bastion')).toEqual({ host: 'bastion' });
    expect(parseJumpHost('ops@bastion:2222')).toEqual({ user: 'ops', host: 'bastion', port: 2222 });
    expect(parseJumpHost('ssh://ops@[2001:db8::1]:22')).toEqual({ user: 'ops', host: '2001:db8::1', port: 22 });
  });
});
