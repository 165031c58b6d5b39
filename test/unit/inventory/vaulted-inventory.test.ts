import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { loadInventory } from '../../../src/inventory/load.js';
import { configureVault } from '../../../src/vault/keyring.js';
import { clearSecrets, maskSecrets } from '../../../src/vault/secrets.js';
import { encrypt } from '../../../src/vault/vault.js';

const PW = 'inventory-pw';

describe('a vaulted inventory', () => {
  afterEach(() => {
    configureVault(undefined);
    clearSecrets();
  });

  it('masks every variable it holds in output, but where and how to connect', async () => {
    const root = mkdtempSync(join(os.tmpdir(), 'runbook-vinv-'));
    mkdirSync(join(root, 'inv'));
    writeFileSync(
      join(root, 'inv', 'hosts.yml'),
      encrypt('all:\n  vars:\n    api_token: tok-9f8e7d6c\n  hosts:\n    web1:\n      ansible_host: 10.1.2.3\n      ansible_user: root\n      ansible_password: pa55-w0rd-x\n      db: { password: nested-s3cret }\n', PW),
    );
    // Merged from a plain file: not a secret.
    writeFileSync(join(root, 'inv', 'plain.yml'), 'all:\n  vars:\n    greeting: hello-world\n');
    configureVault(async () => PW);
    const inv = await loadInventory(join(root, 'inv'), { cwd: root });
    const vars = inv.hostVars('web1');
    expect(vars.api_token).toBe('tok-9f8e7d6c');
    expect(maskSecrets('tok-9f8e7d6c pa55-w0rd-x nested-s3cret')).toBe('******** ******** ********');
    expect(maskSecrets('root@10.1.2.3 hello-world')).toBe('root@10.1.2.3 hello-world');
  });
});
