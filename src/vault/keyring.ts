/**
 * The vault password of this run, for every loader: inventory files and group/host vars,
 * playbook vars files, inline `!vault` values. Each decrypted value is registered for masking.
 */
import type { ScalarTag } from 'yaml';
import { ConfigError } from '../core/errors.js';
import { literalTemplate } from '../template/unsafe.js';
import type { PasswordSource } from './password.js';
import { registerSecret } from './secrets.js';
import { decrypt, VaultError, VAULT_PREFIX } from './vault.js';

export const ANSIBLE_VAULT_PREFIX = '$ANSIBLE_VAULT;';

let source: PasswordSource | undefined;
let loaded: string | undefined;

/** Set (or clear) where the password comes from. */
export function configureVault(src: PasswordSource | undefined): void {
  source = src;
  loaded = undefined;
}

/**
 * Get the password now (when it was given explicitly), so that inline `!vault` values in
 * playbooks, which the YAML parser resolves synchronously, can be opened.
 */
export async function preloadPassword(): Promise<void> {
  if (source) loaded = await source();
}

/** The playbook parser's `!vault` tag: the plaintext (made literal), or an error at the value. */
export const vaultTag: ScalarTag = {
  tag: '!vault',
  identify: () => false,
  resolve(text: string, onError: (message: string) => void): string {
    if (text.trimStart().startsWith(ANSIBLE_VAULT_PREFIX)) {
      onError('this is an Ansible vault value, which runbook does not read: encrypt it again with `runbook vault encrypt-string`');
      return '';
    }
    if (loaded === undefined) {
      onError('an encrypted !vault value needs a vault password (--vault-password-file, --ask-vault-pass or RUNBOOK_VAULT_PASSWORD)');
      return '';
    }
    try {
      const plain = decrypt(text, loaded);
      registerSecret(plain);
      return literalTemplate(plain);
    } catch (e) {
      onError(e instanceof VaultError ? e.message : String(e));
      return '';
    }
  },
};

/** Whether a text is a whole vault (runbook's, or Ansible's which is refused with a message). */
export function isAnyVault(text: string): boolean {
  const t = text.trimStart();
  return t.startsWith(VAULT_PREFIX) || t.startsWith(ANSIBLE_VAULT_PREFIX);
}

/**
 * Open vault text found in `file` (`line`: where the vault starts there, 1 for a whole file).
 * Errors are ConfigErrors naming file:line:col. The plaintext is registered for masking
 * unless `register` is false (`runbook vault view` prints it on purpose).
 */
export async function openVault(
  text: string,
  file: string,
  line = 1,
  col = 1,
  pw: PasswordSource | undefined = source,
  register = true,
): Promise<string> {
  const pos = { file, line, col };
  if (text.trimStart().startsWith(ANSIBLE_VAULT_PREFIX)) {
    throw new ConfigError(
      'this is an Ansible vault, which runbook does not read: decrypt it with ansible-vault and encrypt it again with `runbook vault encrypt`',
      pos,
    );
  }
  if (!pw) throw new ConfigError('this file is vault-encrypted and needs a vault password (--vault-password-file, --ask-vault-pass or RUNBOOK_VAULT_PASSWORD)', pos);
  let password: string;
  try {
    password = await pw();
  } catch (e) {
    if (e instanceof ConfigError && !e.pos) throw new ConfigError(`this needs the vault password: ${e.message}`, pos, undefined, { cause: e });
    throw e;
  }
  try {
    const plain = decrypt(text, password);
    if (register) registerSecret(plain);
    return plain;
  } catch (e) {
    if (e instanceof VaultError) throw new ConfigError(e.message, { file, line: line + (e.line ?? 1) - 1, col }, undefined, { cause: e });
    throw e;
  }
}

/** The loaders' decrypt hook, when a password source is configured. */
export function activeDecrypt(): ((text: string, file: string) => Promise<string>) | undefined {
  const pw = source;
  return pw ? (text, file) => openVault(text, file, 1, 1, pw) : undefined;
}

/**
 * Decrypted values as the variable layers hold them: every string made literal (as `!unsafe`),
 * so a secret holding `{{` is passed as written, never rendered as a template.
 */
export function literalValues(value: unknown): unknown {
  if (typeof value === 'string') return literalTemplate(value);
  if (Array.isArray(value)) return value.map(literalValues);
  if (value && typeof value === 'object' && Object.getPrototypeOf(value) === Object.prototype) {
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, literalValues(v)]));
  }
  return value;
}

/** A decrypt hook for inline `!vault` values: the plaintext, made literal. */
export function inlineDecrypt<W>(decrypt: (text: string, where: W) => string | Promise<string>) {
  return async (text: string, where: W): Promise<string> => literalTemplate(await decrypt(text, where));
}
