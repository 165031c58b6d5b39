import { describe, expect, it } from 'vitest';
import { decrypt, encrypt, inlineValue, isVaultText, VAULT_HEADER, VaultError } from '../../../src/vault/vault.js';

const PW = 'correct horse';

describe('vault format', () => {
  it('round-trips text, including non-ASCII and newlines', () => {
    const plain = 'pässwörd\n{{ not a template }}\n$(rm -rf /)\n';
    const v = encrypt(plain, PW);
    expect(v.split('\n')[0]).toBe(VAULT_HEADER);
    expect(v).not.toContain('pässwörd');
    expect(isVaultText(v)).toBe(true);
    expect(decrypt(v, PW)).toBe(plain);
  });

  it('names a wrong password', () => {
    expect(() => decrypt(encrypt('s', PW), 'wrong')).toThrow(/wrong vault password/);
  });

  it('detects a changed header', () => {
    const v = encrypt('s', PW).replace(';1;', ';2;');
    expect(() => decrypt(v, PW)).toThrow(/header/);
  });

  function flip(v: string, byteIndex: number): string {
    const [header, ...rest] = v.trimEnd().split('\n');
    const blob = Buffer.from(rest.join(''), 'base64');
    blob[byteIndex]! ^= 1;
    return `${header}\n${blob.toString('base64')}\n`;
  }

  it('detects a changed tag and a changed ciphertext', () => {
    const v = encrypt('secret value', PW);
    expect(() => decrypt(flip(v, 30), PW)).toThrow(VaultError);
    expect(() => decrypt(flip(v, 46), PW)).toThrow(/authentication failed/);
    expect(() => decrypt(flip(v, 2), PW)).toThrow(/authentication failed/);
  });

  it('names the line of a broken body line', () => {
    const v = encrypt('x'.repeat(200), PW).split('\n');
    v[2] = 'not*base64';
    try {
      decrypt(v.join('\n'), PW);
      expect.unreachable();
    } catch (e) {
      expect((e as VaultError).line).toBe(3);
    }
  });

  it('prints an inline !vault value that decrypts after dedenting', () => {
    const text = inlineValue('db_password', 'hunter2', PW);
    expect(text.startsWith('db_password: !vault |\n  $RUNBOOK_VAULT;1;AES256GCM;scrypt\n')).toBe(true);
    const body = text.split('\n').slice(1).map((l) => l.slice(2)).join('\n');
    expect(decrypt(body, PW)).toBe('hunter2');
  });
});
