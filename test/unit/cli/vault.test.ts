import { chmod, mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { main } from '../../../src/cli/main.js';
import { loadInventory } from '../../../src/inventory/load.js';
import { loadVarsFile } from '../../../src/playbook/vars-file.js';
import { configureVault } from '../../../src/vault/keyring.js';
import { passwordSource } from '../../../src/vault/password.js';
import { VAULT_HEADER } from '../../../src/vault/vault.js';
import { literalText } from '../../../src/template/unsafe.js';

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'runbook-vault-cli-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});
afterEach(() => {
  vi.unstubAllEnvs();
  configureVault(undefined);
});

async function run(...argv: string[]) {
  const out: string[] = [];
  const err: string[] = [];
  const code = await main(argv, { cwd: dir, out: (s) => out.push(s), err: (s) => err.push(s), isTTY: false, color: false });
  return { code, out: out.join('\n'), err: err.join('\n') };
}

describe('runbook vault', () => {
  it('encrypts, views and decrypts files in place, keeping their mode', async () => {
    vi.stubEnv('RUNBOOK_VAULT_PASSWORD', 'pw-one');
    const f = join(dir, 'a.yml');
    await writeFile(f, 'db_pass: hunter2-secret\n', { mode: 0o640 });
    await chmod(f, 0o640);
    expect(await run('vault', 'encrypt', 'a.yml')).toMatchObject({ code: 0, out: 'encrypted a.yml' });
    const enc = await readFile(f, 'utf8');
    expect(enc.split('\n')[0]).toBe(VAULT_HEADER);
    expect(enc).not.toContain('hunter2');
    expect((await stat(f)).mode & 0o777).toBe(0o640);
    expect(await run('vault', 'encrypt', 'a.yml')).toMatchObject({ code: 1, err: 'error: a.yml is already vault-encrypted' });
    expect(await run('vault', 'view', 'a.yml')).toMatchObject({ code: 0, out: 'db_pass: hunter2-secret' });
    expect(await run('vault', 'decrypt', 'a.yml')).toMatchObject({ code: 0, out: 'decrypted a.yml' });
    expect(await readFile(f, 'utf8')).toBe('db_pass: hunter2-secret\n');
  });

  it('names the file on a wrong password, a tampered file, an Ansible vault and a missing password', async () => {
    vi.stubEnv('RUNBOOK_VAULT_PASSWORD', 'pw-one');
    await writeFile(join(dir, 'b.yml'), 'x: 1\n');
    await run('vault', 'encrypt', 'b.yml');
    vi.stubEnv('RUNBOOK_VAULT_PASSWORD', 'pw-two');
    const wrong = await run('vault', 'view', 'b.yml');
    expect(wrong.code).toBe(1);
    expect(wrong.err).toBe('error: b.yml:1:1: cannot decrypt: wrong vault password, or the vault data was changed (authentication failed)');
    vi.stubEnv('RUNBOOK_VAULT_PASSWORD', 'pw-one');
    const lines = (await readFile(join(dir, 'b.yml'), 'utf8')).split('\n');
    lines[1] = (lines[1]![0] === 'A' ? 'B' : 'A') + lines[1]!.slice(1);
    await writeFile(join(dir, 'b.yml'), lines.join('\n'));
    expect((await run('vault', 'view', 'b.yml')).err).toMatch(/^error: b\.yml:1:1: cannot decrypt: .*the vault data was changed/);
    await writeFile(join(dir, 'c.yml'), '$ANSIBLE_VAULT;1.1;AES256\n6162\n');
    const ansible = await run('vault', 'view', 'c.yml');
    expect(ansible.code).toBe(1);
    expect(ansible.err).toMatch(/^error: c\.yml:1:1: this is an Ansible vault, which runbook does not read: .*runbook vault encrypt/);
    vi.stubEnv('RUNBOOK_VAULT_PASSWORD', '');
    const none = await run('vault', 'view', 'b.yml');
    expect(none.code).toBe(1);
    expect(none.err).toMatch(/^error: b\.yml:1:1: this needs the vault password: no password given/);
  });

  it('takes the password from a file, or from the output of an executable file', async () => {
    await writeFile(join(dir, 'pw.txt'), 'from-file\n');
    const script = join(dir, 'pw.sh');
    await writeFile(script, '#!/bin/sh\necho from-script\n');
    await chmod(script, 0o755);
    vi.stubEnv('RUNBOOK_VAULT_PASSWORD', 'not-this');
    expect(await passwordSource({ vaultPasswordFile: 'pw.txt' }, dir)()).toBe('from-file');
    expect(await passwordSource({ vaultPasswordFile: 'pw.sh' }, dir)()).toBe('from-script');
    expect(await passwordSource({}, dir, { RUNBOOK_VAULT_PASSWORD_FILE: join(dir, 'pw.txt') })()).toBe('from-file');
    await writeFile(join(dir, 'd.yml'), 'y: 2\n');
    expect((await run('vault', 'encrypt', 'd.yml', '--vault-password-file', 'pw.sh')).code).toBe(0);
    expect(await run('vault', 'view', 'd.yml', '--vault-password-file', 'pw.sh')).toMatchObject({ code: 0, out: 'y: 2' });
    expect((await run('vault', 'view', 'd.yml')).code).toBe(1);
  });

  it('edit runs $EDITOR on a 0600 file in a private 0700 folder, re-encrypts, and removes the plaintext', async () => {
    vi.stubEnv('RUNBOOK_VAULT_PASSWORD', 'pw-one');
    await writeFile(join(dir, 'e.yml'), 'token: old-value\n');
    await run('vault', 'encrypt', 'e.yml');
    const seen = join(dir, 'seen.txt');
    const editor = join(dir, 'editor.sh');
    await writeFile(editor, `#!/bin/sh\nprintf '%s %s %s' "$1" "$(stat -c %a "$(dirname "$1")")" "$(stat -c %a "$1")" > ${seen}\nsed -i s/old-value/new-value/ "$1"\n`);
    await chmod(editor, 0o755);
    vi.stubEnv('VISUAL', '');
    vi.stubEnv('EDITOR', editor);
    expect(await run('vault', 'edit', 'e.yml')).toMatchObject({ code: 0, out: 'updated e.yml' });
    const [tmp, dirMode, fileMode] = (await readFile(seen, 'utf8')).split(' ');
    expect([dirMode, fileMode]).toEqual(['700', '600']);
    await expect(stat(tmp!)).rejects.toThrow(/ENOENT/);
    await expect(stat(join(tmp!, '..'))).rejects.toThrow(/ENOENT/);
    const enc = await readFile(join(dir, 'e.yml'), 'utf8');
    expect(enc).not.toContain('value');
    expect((await run('vault', 'view', 'e.yml')).out).toBe('token: new-value');
    vi.stubEnv('EDITOR', 'true');
    expect(await run('vault', 'edit', 'e.yml')).toMatchObject({ code: 0, out: 'e.yml unchanged' });
    expect(await readFile(join(dir, 'e.yml'), 'utf8')).toBe(enc);
    vi.stubEnv('EDITOR', 'false');
    expect(await run('vault', 'edit', 'e.yml')).toMatchObject({ code: 1 });
    expect(await readFile(join(dir, 'e.yml'), 'utf8')).toBe(enc);
  });

  it('encrypt-string prints an inline !vault value that the inventory loader decrypts', async () => {
    vi.stubEnv('RUNBOOK_VAULT_PASSWORD', 'pw-one');
    const r = await run('vault', 'encrypt-string', '--name', 'api_key', 'k3y {{ raw }}');
    expect(r.code).toBe(0);
    expect(r.out).toMatch(/^api_key: !vault \|\n {2}\$RUNBOOK_VAULT;1;AES256GCM;scrypt\n {2}[A-Za-z0-9+/=]+/);
    expect(r.out).not.toContain('k3y');
    expect((await run('vault', 'encrypt-string', '--name', '1bad', 'x')).err).toMatch(/--name '1bad' is not a valid variable name/);
    await writeFile(join(dir, 'inv.yml'), `all:\n  vars:\n${r.out.replace(/^/gm, '    ')}\n  hosts:\n    h1:\n`);
    configureVault(passwordSource({}, dir));
    const loaded = await loadInventory(join(dir, 'inv.yml'), { cwd: dir });
    // Held as a literal (like !unsafe): it renders to itself, never as a template.
    expect(loaded.hostVars('h1')).toEqual({ api_key: "k3y {{ '{{' }} raw {{ '}}' }}" });
    expect(literalText(loaded.hostVars('h1').api_key as string)).toBe('k3y {{ raw }}');
    configureVault(undefined);
    const e = await loadInventory(join(dir, 'inv.yml'), { cwd: dir }).catch((x: Error) => x);
    expect((e as Error).message).toMatch(/inv\.yml:3:21: an encrypted !vault value needs a vault password/);
  });

  it('vaulted vars files load with the configured password, and are refused at file:1:1 without one', async () => {
    vi.stubEnv('RUNBOOK_VAULT_PASSWORD', 'pw-one');
    await writeFile(join(dir, 'vf.yml'), 'secret_file: s3cr3t\n');
    await run('vault', 'encrypt', 'vf.yml');
    const e = await loadVarsFile(join(dir, 'vf.yml')).catch((x: Error) => x);
    expect((e as Error).message).toMatch(/vf\.yml:1:1: this file is vault-encrypted and needs a vault password/);
    configureVault(passwordSource({}, dir));
    expect(await loadVarsFile(join(dir, 'vf.yml'))).toEqual({ secret_file: 's3cr3t' });
  });

  it('inline !vault values in playbook vars decrypt when a password is given, else stop at file:line:col', async () => {
    vi.stubEnv('RUNBOOK_VAULT_PASSWORD', 'pw-one');
    vi.stubEnv('RUNBOOK_HOME', join(dir, 'home'));
    const inline = (await run('vault', 'encrypt-string', '--name', 'play_secret', 'pl{{ay}}-secret-5')).out;
    await writeFile(join(dir, 'inv-local.yml'), 'all:\n  hosts:\n    localhost:\n      ansible_connection: local\n');
    const out = join(dir, 'play-out.txt');
    await writeFile(
      join(dir, 'pv.yml'),
      `- hosts: all\n  vars:\n${inline.replace(/^/gm, '    ')}\n  tasks:\n    - copy: { dest: ${out}, content: "{{ play_secret }}" }\n`,
    );
    const r = await run('play', 'pv.yml', '-i', 'inv-local.yml', '--diff');
    expect(r).toMatchObject({ code: 0 });
    expect(r.out).not.toContain('secret-5');
    expect(await readFile(out, 'utf8')).toBe('pl{{ay}}-secret-5');
    vi.stubEnv('RUNBOOK_VAULT_PASSWORD', '');
    const none = await run('play', 'pv.yml', '-i', 'inv-local.yml');
    expect(none.code).toBe(1);
    expect(none.err).toMatch(/^error: \S*pv\.yml:3:18: YAML: an encrypted !vault value needs a vault password/);
  });
});
