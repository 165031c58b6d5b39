/**
 * `runbook vault encrypt|decrypt|view|edit FILE…` and `runbook vault encrypt-string`.
 * Files are rewritten atomically (a temp file in the same folder, renamed over), keeping
 * their mode; `edit` decrypts into a private (0700) temp folder, runs $VISUAL/$EDITOR, and
 * removes the plaintext whatever happens.
 */
import { spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { chmod, mkdtemp, readFile, rename, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { basename, dirname, join, relative, resolve } from 'node:path';
import { ConfigError } from '../core/errors.js';
import { isAnyVault, openVault } from '../vault/keyring.js';
import type { PasswordSource } from '../vault/password.js';
import { encrypt, inlineValue } from '../vault/vault.js';

export interface VaultIO {
  cwd: string;
  out: (s: string) => void;
  env?: NodeJS.ProcessEnv;
}

const NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;

async function readText(file: string): Promise<string> {
  try {
    return await readFile(file, 'utf8');
  } catch (e) {
    throw new ConfigError(`cannot read ${file}: ${(e as NodeJS.ErrnoException).code === 'ENOENT' ? 'no such file' : (e as Error).message}`);
  }
}

/** Replace `file` with `text` atomically, keeping its mode (0600 for a new file). */
export async function writeAtomic(file: string, text: string): Promise<void> {
  let mode = 0o600;
  try {
    mode = (await stat(file)).mode & 0o7777;
  } catch {
    /* a new file */
  }
  const tmp = join(dirname(file), `.${basename(file)}.${randomBytes(6).toString('hex')}.tmp`);
  try {
    await writeFile(tmp, text, { mode, flag: 'wx' });
    await chmod(tmp, mode);
    await rename(tmp, file);
  } catch (e) {
    await rm(tmp, { force: true });
    throw new ConfigError(`cannot write ${file}: ${(e as Error).message}`, undefined, undefined, { cause: e });
  }
}

export async function vaultCommand(action: string, files: string[], password: PasswordSource, io: VaultIO): Promise<number> {
  const shown = (abs: string) => relative(io.cwd, abs) || abs;
  for (const f of files) {
    const abs = resolve(io.cwd, f);
    const name = shown(abs);
    if (action === 'encrypt') {
      const text = await readText(abs);
      if (isAnyVault(text)) throw new ConfigError(`${name} is already vault-encrypted`);
      await writeAtomic(abs, encrypt(text, await password()));
      io.out(`encrypted ${name}`);
    } else if (action === 'decrypt') {
      const plain = await openVault(await readText(abs), name, 1, 1, password, false);
      await writeAtomic(abs, plain);
      io.out(`decrypted ${name}`);
    } else if (action === 'view') {
      const plain = await openVault(await readText(abs), name, 1, 1, password, false);
      io.out(plain.replace(/\n$/, ''));
    } else if (action === 'edit') {
      await editFile(abs, name, password, io);
    } else {
      throw new ConfigError(`unknown vault action '${action}' (encrypt, decrypt, view, edit, encrypt-string)`);
    }
  }
  return 0;
}

async function editFile(abs: string, name: string, password: PasswordSource, io: VaultIO): Promise<void> {
  const env = io.env ?? process.env;
  let exists = true;
  try {
    await stat(abs);
  } catch {
    exists = false;
  }
  const plain = exists ? await openVault(await readText(abs), name, 1, 1, password, false) : '';
  const pw = await password();
  const dir = await mkdtemp(join(tmpdir(), 'runbook-vault-'));
  try {
    await chmod(dir, 0o700);
    const tmp = join(dir, basename(abs));
    await writeFile(tmp, plain, { mode: 0o600 });
    const editor = env.VISUAL || env.EDITOR || 'vi';
    // Through sh so that EDITOR may carry arguments (`code --wait`), the file passed as $1.
    const r = spawnSync('/bin/sh', ['-c', `${editor} "$1"`, 'sh', tmp], { stdio: 'inherit', env });
    if (r.error || r.status !== 0) {
      throw new ConfigError(`editor '${editor}' failed (${r.error?.message ?? `exit ${r.status ?? r.signal}`}): ${name} is unchanged`);
    }
    const edited = await readFile(tmp, 'utf8');
    if (exists && edited === plain) {
      io.out(`${name} unchanged`);
      return;
    }
    await writeAtomic(abs, encrypt(edited, pw));
    io.out(`${exists ? 'updated' : 'created'} ${name}`);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

/** `encrypt-string [--name NAME] [VALUE]`: the value (else stdin) as an inline `!vault |` YAML value. */
export async function encryptString(value: string, opts: { name?: string }, password: PasswordSource, io: VaultIO): Promise<number> {
  if (opts.name !== undefined && !NAME.test(opts.name)) {
    throw new ConfigError(`--name '${opts.name}' is not a valid variable name (letters, digits and _, not starting with a digit)`);
  }
  const pw = await password();
  const text = opts.name !== undefined ? inlineValue(opts.name, value, pw) : `!vault |\n${encrypt(value, pw).trimEnd().split('\n').map((l) => `  ${l}`).join('\n')}\n`;
  io.out(text.trimEnd());
  return 0;
}

export async function readStdin(): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const c of process.stdin) chunks.push(c as Buffer);
  return Buffer.concat(chunks).toString('utf8').replace(/\r?\n$/, '');
}
