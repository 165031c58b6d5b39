import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { main } from '../../../src/cli/main.js';

// A play on the local connection: vaulted group_vars and vars_files values used in a copy
// content, a command and a task name never reach any output, report or journal row.
const SECRETS = ['hunter2-group-secret', 'file-secret-99', 'inline-secret-77'];
let dir: string;

async function run(...argv: string[]) {
  const out: string[] = [];
  const code = await main(argv, { cwd: dir, out: (s) => out.push(s), err: (s) => out.push(s), isTTY: false, color: false });
  return { code, text: out.join('\n') };
}

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'runbook-vault-mask-'));
  vi.stubEnv('RUNBOOK_VAULT_PASSWORD', 'mask-pw');
  vi.stubEnv('RUNBOOK_HOME', join(dir, 'home'));
  await mkdir(join(dir, 'inv/group_vars'), { recursive: true });
  await writeFile(join(dir, 'inv/group_vars/all.yml'), `db_pass: ${SECRETS[0]}\n`);
  await writeFile(join(dir, 'vf.yml'), `file_pass: ${SECRETS[1]}\n`);
  expect((await run('vault', 'encrypt', 'inv/group_vars/all.yml', 'vf.yml')).code).toBe(0);
  const inline = await run('vault', 'encrypt-string', '--name', 'api_key', SECRETS[2]!);
  await writeFile(
    join(dir, 'inv/hosts.yml'),
    `all:\n  hosts:\n    localhost:\n      ansible_connection: local\n${inline.text.replace(/^/gm, '      ')}\n`,
  );
  await writeFile(
    join(dir, 'p.yml'),
    [
      '- hosts: all',
      '  vars_files: [vf.yml]',
      '  tasks:',
      '    - name: "write {{ api_key }}"',
      '      copy:',
      `        dest: ${dir}/out.txt`,
      '        content: "{{ db_pass }} {{ file_pass }} {{ api_key }}\\n"',
      '    - command: echo {{ db_pass }} {{ api_key }}',
      '',
    ].join('\n'),
  );
});
afterAll(async () => {
  vi.unstubAllEnvs();
  await rm(dir, { recursive: true, force: true });
});

describe('vault values are masked', () => {
  it('in text with --diff -v, JSON events, the --report file and the journal; the host gets the real values', async () => {
    const text = await run('play', 'p.yml', '-i', 'inv', '--diff', '-vv', '--report', 'r.json');
    expect(text.code).toBe(0);
    expect(await readFile(join(dir, 'out.txt'), 'utf8')).toBe(`${SECRETS[0]} ${SECRETS[1]} ${SECRETS[2]}\n`);
    await rm(join(dir, 'out.txt'));
    const json = await run('play', 'p.yml', '-i', 'inv', '--diff', '-v', '--output', 'json');
    expect(json.code).toBe(0);
    const report = await readFile(join(dir, 'r.json'), 'utf8');
    const Sqlite = createRequire(import.meta.url)('better-sqlite3');
    const db = new Sqlite(join(dir, 'home', 'journal.db'), { readonly: true });
    const rows = JSON.stringify([db.prepare('SELECT * FROM runs').all(), db.prepare('SELECT * FROM tasks').all()]);
    db.close();
    for (const [what, out] of Object.entries({ text: text.text, json: json.text, report, journal: rows })) {
      for (const s of SECRETS) expect(out.includes(s), `${s} in ${what}`).toBe(false);
      expect(out, what).toContain('********');
    }
    expect(text.text).toContain('+******** ******** ********');
  });

  it('what a no_log task printed stays masked when later tasks use it', async () => {
    await writeFile(
      join(dir, 'nolog.yml'),
      [
        '- hosts: all',
        '  tasks:',
        '    - command: echo read-secret-88',
        '      register: got',
        '      no_log: true',
        '    - command: echo {{ got.stdout }}',
        '',
      ].join('\n'),
    );
    const r = await run('play', 'nolog.yml', '-i', 'inv', '-vv', '--output', 'json');
    expect(r.code).toBe(0);
    expect(r.text).not.toContain('read-secret-88');
    expect(r.text).toContain('"stdout":"********"');
  });
});
