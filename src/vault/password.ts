/**
 * Where the vault password comes from, in this order: `--vault-password-file FILE` (an
 * executable file is run and its stdout used, as Ansible does), `--ask-vault-pass` (a prompt),
 * the file named by `RUNBOOK_VAULT_PASSWORD_FILE`, `RUNBOOK_VAULT_PASSWORD`, and last a prompt
 * when stdin is a terminal. The password is asked for only when a vault is met.
 */
import { execFile } from 'node:child_process';
import { readFile, stat } from 'node:fs/promises';
import { resolve } from 'node:path';
import { ConfigError } from '../core/errors.js';

export interface PasswordOptions {
  vaultPasswordFile?: string;
  askVaultPass?: boolean;
}

export type PasswordSource = () => Promise<string>;

/** Read a password file, or run it when it is executable; surrounding whitespace is dropped. */
export async function readPasswordFile(file: string): Promise<string> {
  let mode: number;
  try {
    const s = await stat(file);
    if (!s.isFile()) throw new Error('not a regular file');
    mode = s.mode;
  } catch (e) {
    throw new ConfigError(`vault password file ${file}: ${(e as Error).message}`);
  }
  let text: string;
  if (mode & 0o111) {
    text = await new Promise<string>((res, rej) =>
      execFile(file, [], { encoding: 'utf8', maxBuffer: 1 << 20 }, (err, stdout, stderr) =>
        err ? rej(new ConfigError(`vault password script ${file} failed: ${(stderr || err.message).trim()}`)) : res(stdout),
      ),
    );
  } else {
    text = await readFile(file, 'utf8');
  }
  const pw = text.trim();
  if (!pw) throw new ConfigError(`vault password file ${file} is empty`);
  return pw;
}

/** Ask on the terminal without echo; stderr carries the prompt. */
export async function promptPassword(prompt: string): Promise<string> {
  const stdin = process.stdin;
  if (!stdin.isTTY) throw new ConfigError('no password given (--vault-password-file, --ask-vault-pass on a terminal, or RUNBOOK_VAULT_PASSWORD)');
  process.stderr.write(prompt);
  return new Promise((res, rej) => {
    let buf = '';
    stdin.setRawMode(true);
    stdin.resume();
    stdin.setEncoding('utf8');
    const done = (err?: Error) => {
      stdin.setRawMode(false);
      stdin.pause();
      stdin.off('data', onData);
      process.stderr.write('\n');
      if (err) rej(err);
      else res(buf);
    };
    const onData = (chunk: string) => {
      for (const ch of chunk) {
        if (ch === '\r' || ch === '\n') return done();
        if (ch === '\u0003') return done(new ConfigError('vault password prompt interrupted'));
        if (ch === '\u007f' || ch === '\b') buf = buf.slice(0, -1);
        else buf += ch;
      }
    };
    stdin.on('data', onData);
  });
}

/** A lazy, cached password source for the given options and environment. */
export function passwordSource(opts: PasswordOptions, cwd: string, env: NodeJS.ProcessEnv = process.env, confirm = false): PasswordSource {
  let cached: Promise<string> | undefined;
  const get = async (): Promise<string> => {
    if (opts.vaultPasswordFile) return readPasswordFile(resolve(cwd, opts.vaultPasswordFile));
    if (!opts.askVaultPass) {
      if (env.RUNBOOK_VAULT_PASSWORD_FILE) return readPasswordFile(resolve(cwd, env.RUNBOOK_VAULT_PASSWORD_FILE));
      if (env.RUNBOOK_VAULT_PASSWORD) return env.RUNBOOK_VAULT_PASSWORD;
    }
    const pw = await promptPassword('Vault password: ');
    if (!pw) throw new ConfigError('the vault password is empty');
    if (confirm && (await promptPassword('Confirm vault password: ')) !== pw) throw new ConfigError('the vault passwords do not match');
    return pw;
  };
  return () => (cached ??= get());
}
