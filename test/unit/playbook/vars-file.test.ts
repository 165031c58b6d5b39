import { mkdtemp, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { ConfigErrors } from '../../../src/core/errors.js';
import { loadVarsFile, parseExtraVars } from '../../../src/playbook/vars-file.js';

const FIX = 'test/fixtures/playbooks/vars';

async function messages(p: Promise<unknown>): Promise<string[]> {
  try {
    await p;
  } catch (e) {
    if (e instanceof ConfigErrors) return e.errors.map((x) => x.message);
    throw e;
  }
  throw new Error('expected ConfigErrors');
}

describe('loadVarsFile', () => {
  it('loads a map of variables', async () => {
    expect(await loadVarsFile(`${FIX}/common.yml`)).toEqual({ app: 'web', servers: [{ name: 'a' }, { name: 'b' }] });
  });

  it('an empty file is no variables', async () => {
    const dir = await mkdtemp(path.join(os.tmpdir(), 'runbook-vars-'));
    await writeFile(path.join(dir, 'empty.yml'), '# nothing here\n');
    expect(await loadVarsFile(path.join(dir, 'empty.yml'))).toEqual({});
  });

  it('errors name file:line:col', async () => {
    expect(await messages(loadVarsFile(`${FIX}/list.yml`))).toEqual([`${FIX}/list.yml:1:1: expected a map of variables (name: value), found a list`]);
    expect(await messages(loadVarsFile(`${FIX}/badname.yml`))).toEqual([
      `${FIX}/badname.yml:2:1: 'bad-name' is not a valid variable name (letters, digits and _, not starting with a digit)`,
    ]);
    const dir = await mkdtemp(path.join(os.tmpdir(), 'runbook-vars-'));
    const file = path.join(dir, 'bad.yml');
    await writeFile(file, 'a: 1\nb: [1, 2\nc: 3\n');
    const [first] = await messages(loadVarsFile(file));
    expect(first).toMatch(/bad\.yml:2:4: YAML: .*the \[ here is never closed/);
    expect(await messages(loadVarsFile(`${FIX}/nope.yml`))).toEqual([`variables file not found: ${FIX}/nope.yml`]);
  });

  it('encrypted files need a decrypter', async () => {
    expect(await messages(loadVarsFile(`${FIX}/vault.yml`))).toEqual([
      `${FIX}/vault.yml:1:1: this file is vault-encrypted and needs a vault password (--vault-password-file, --ask-vault-pass or RUNBOOK_VAULT_PASSWORD)`,
    ]);
    const vars = await loadVarsFile(`${FIX}/vault.yml`, { decrypt: async (text) => (text.includes('6162') ? 'secret: s3cr3t\n' : '') });
    expect(vars).toEqual({ secret: 's3cr3t' });
  });
});

describe('parseExtraVars (-e)', () => {
  const cwd = path.resolve('test/fixtures/playbooks');

  it('key=value pairs stay strings, quotes group words', async () => {
    expect(await parseExtraVars(`version=v3 count=2 msg="hello world" q='a b' empty=`, cwd)).toEqual({
      version: 'v3',
      count: '2',
      msg: 'hello world',
      q: 'a b',
      empty: '',
    });
    expect(await parseExtraVars('url=http://x/?a=b', cwd)).toEqual({ url: 'http://x/?a=b' });
  });

  it('JSON and YAML flow maps keep their types', async () => {
    expect(await parseExtraVars('{"a": 1, "b": [true]}', cwd)).toEqual({ a: 1, b: [true] });
    expect(await parseExtraVars('{a: 1, b: yes}', cwd)).toEqual({ a: 1, b: true });
  });

  it('@file loads a variables file relative to cwd', async () => {
    expect(await parseExtraVars('@vars/common.yml', cwd)).toMatchObject({ app: 'web' });
  });

  it('rejects what it cannot read', async () => {
    expect(await messages(parseExtraVars('novalue', cwd))).toEqual([`-e: expected key=value, found 'novalue'`]);
    expect(await messages(parseExtraVars('bad-name=1', cwd))).toEqual([`-e: 'bad-name' is not a valid variable name`]);
    expect((await messages(parseExtraVars('{a: [1', cwd)))[0]).toMatch(/^-e \{a: \[1: not valid JSON or YAML/);
    expect(await messages(parseExtraVars('@', cwd))).toEqual(['-e @: expected a file name after @']);
  });
});
