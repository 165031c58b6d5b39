/**
 * The vault format: AES-256-GCM under a key derived from the password with scrypt.
 *
 *   $RUNBOOK_VAULT;1;AES256GCM;scrypt
 *   <base64 of salt(16) | iv(12) | tag(16) | ciphertext>, wrapped at 80 columns
 *
 * The header line is authenticated as additional data, so a changed header, ciphertext or
 * tag is detected. A wrong password and tampering are told apart only as far as GCM allows:
 * both fail authentication, named as "wrong password or the data was changed".
 */
import { createCipheriv, createDecipheriv, randomBytes, scryptSync } from 'node:crypto';

export const VAULT_HEADER = '$RUNBOOK_VAULT;1;AES256GCM;scrypt';
export const VAULT_PREFIX = '$RUNBOOK_VAULT;';
const SCRYPT = { N: 1 << 15, r: 8, p: 1, maxmem: 64 * 1024 * 1024 };

/** A vault that cannot be opened; `line` counts from the start of the vault text (1-based). */
export class VaultError extends Error {
  constructor(
    message: string,
    readonly line?: number,
  ) {
    super(message);
    this.name = 'VaultError';
  }
}

export function isVaultText(text: string): boolean {
  return text.trimStart().startsWith(VAULT_PREFIX);
}

function deriveKey(password: string, salt: Buffer): Buffer {
  return scryptSync(password.normalize('NFC'), salt, 32, SCRYPT);
}

/** Encrypt `plaintext`; the result ends with a newline. */
export function encrypt(plaintext: string, password: string): string {
  if (!password) throw new VaultError('the vault password is empty');
  const salt = randomBytes(16);
  const iv = randomBytes(12);
  const cipher = createCipheriv('aes-256-gcm', deriveKey(password, salt), iv);
  cipher.setAAD(Buffer.from(VAULT_HEADER, 'utf8'));
  const body = Buffer.concat([cipher.update(plaintext, 'utf8'), cipher.final()]);
  const blob = Buffer.concat([salt, iv, cipher.getAuthTag(), body]).toString('base64');
  const lines = blob.match(/.{1,80}/g) ?? [''];
  return `${VAULT_HEADER}\n${lines.join('\n')}\n`;
}

/** Decrypt vault text made by `encrypt`. Throws `VaultError` naming what is wrong. */
export function decrypt(text: string, password: string): string {
  const lines = text.replace(/^\s+/, '').split(/\r?\n/).map((l) => l.trim());
  const header = lines[0] ?? '';
  if (!header.startsWith(VAULT_PREFIX)) throw new VaultError('not a vault: the first line is not a $RUNBOOK_VAULT header', 1);
  if (header !== VAULT_HEADER) {
    throw new VaultError(`unsupported or changed vault header ${JSON.stringify(header)} (expected ${VAULT_HEADER})`, 1);
  }
  const bodyLines = lines.slice(1);
  for (let i = 0; i < bodyLines.length; i++) {
    if (!/^[A-Za-z0-9+/=]*$/.test(bodyLines[i]!)) throw new VaultError('the vault body is not base64 (the data was changed)', i + 2);
  }
  const blob = Buffer.from(bodyLines.join(''), 'base64');
  if (blob.length < 44) throw new VaultError('the vault body is truncated (the data was changed)', 2);
  const salt = blob.subarray(0, 16);
  const iv = blob.subarray(16, 28);
  const tag = blob.subarray(28, 44);
  const decipher = createDecipheriv('aes-256-gcm', deriveKey(password, salt), iv);
  decipher.setAAD(Buffer.from(header, 'utf8'));
  decipher.setAuthTag(tag);
  try {
    return Buffer.concat([decipher.update(blob.subarray(44)), decipher.final()]).toString('utf8');
  } catch {
    throw new VaultError('cannot decrypt: wrong vault password, or the vault data was changed (authentication failed)', 1);
  }
}

/** The inline YAML shape: `NAME: !vault |` followed by the vault lines indented by two. */
export function inlineValue(name: string, plaintext: string, password: string): string {
  const body = encrypt(plaintext, password).trimEnd().split('\n').map((l) => `  ${l}`).join('\n');
  return `${name}: !vault |\n${body}\n`;
}
