import { copyFileSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { beforeAll, describe, expect, inject, it } from 'vitest';
import { ssh } from '../fleet/fleet.mjs';
import { runbook, scratch } from '../support/cli.js';

/**
 * Vaulted values on a real host: a vaulted group_vars file, a vaulted vars_files file and an
 * inline !vault value used in a command, a template and a copy content. The host receives
 * the real values; text with --diff -v, JSON events, the --report file and the journal show
 * only ********. Without the password the run stops at file:line:col before any host.
 */

const fleet = inject('fleet');
const host = 'h1';
const PW = 'fleet-vault-pw';
const SECRETS = { group: 'grp-S3cret-{{x}}-41', file: "file'S3cret\"$(id)-42", inline: 'inl-S3cret-43' };
const sh = async (cmd: string) => (await ssh(fleet, host, cmd)).stdout;

const PLAY = `
- hosts: ${host}
  vars_files: [vf.yml]
  tasks:
    - name: secret file
      copy: { dest: /srv/rb-vault/copy.txt, content: "{{ db_pass }}|{{ api_key }}\\n", mode: "0600" }
    - name: secret template
      template: { src: app.conf.j2, dest: /srv/rb-vault/app.conf, mode: "0600" }
    - name: secret command
      command: { argv: [printf, "%s", "{{ file_pass }}"] }
      changed_when: false
`;

describe('vault on the fleet', () => {
  let dir: string;
  let env: Record<string, string>;
  const allOutputs: string[] = [];

  beforeAll(async () => {
    dir = scratch({
      'home/.keep': '',
      'p.yml': PLAY,
      'app.conf.j2': 'pass={{ db_pass }}\nfile={{ file_pass }}\n',
      'inv/group_vars/all.yml': `db_pass: ${JSON.stringify(SECRETS.group)}\n`,
      'vf.yml': `file_pass: ${JSON.stringify(SECRETS.file)}\n`,
    });
    mkdirSync(path.join(dir, 'inv'), { recursive: true });
    env = { RUNBOOK_VAULT_PASSWORD: PW, RUNBOOK_HOME: path.join(dir, 'home') };
    const enc = await runbook(['vault', 'encrypt', 'inv/group_vars/all.yml', 'vf.yml'], { cwd: dir, env });
    expect(enc.code).toBe(0);
    const inline = await runbook(['vault', 'encrypt-string', '--name', 'api_key', SECRETS.inline], { cwd: dir, env });
    expect(inline.code).toBe(0);
    copyFileSync(fleet.inventoryPath, path.join(dir, 'inv/hosts.yml'));
    // The inline value as a variable of all, in a second inventory file next to the fleet's.
    writeFileSync(path.join(dir, 'inv/inline.yml'), `all:\n  vars:\n${inline.stdout.trimEnd().replace(/^/gm, '    ')}\n`);
    await sh('rm -rf /srv/rb-vault && mkdir -p /srv/rb-vault');
  });

  const play = (...extra: string[]) => runbook(['play', 'p.yml', '-i', 'inv', ...extra], { cwd: dir, env });

  it('without a password: stops at file:line:col before any host is touched', async () => {
    const r = await runbook(['play', 'p.yml', '-i', 'inv'], { cwd: dir, env: { ...env, RUNBOOK_VAULT_PASSWORD: '' } });
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/(all\.yml:1:1: this needs the vault password|inline\.yml:\d+:\d+: an encrypted !vault value needs a vault password)/);
    expect(await sh('ls -A /srv/rb-vault')).toBe('');
  });

  it('check mode changes nothing, the first apply changes, the second is ok', async () => {
    const check = await play('--check', '--diff', '-v', '--output', 'json');
    allOutputs.push(check.stdout, check.stderr);
    expect(check.code).toBe(0);
    expect(await sh('ls -A /srv/rb-vault')).toBe('');
    const first = await play('--diff', '-vv', '--report', 'r1.json');
    allOutputs.push(first.stdout, first.stderr, readFileSync(path.join(dir, 'r1.json'), 'utf8'));
    expect(first.code).toBe(0);
    expect(first.stdout).toMatch(/changed\s+h1\s+secret file/);
    expect(await sh('cat /srv/rb-vault/copy.txt')).toBe(`${SECRETS.group}|${SECRETS.inline}\n`);
    expect(await sh('cat /srv/rb-vault/app.conf')).toBe(`pass=${SECRETS.group}\nfile=${SECRETS.file}\n`);
    const second = await play('--diff', '-v', '--output', 'json');
    allOutputs.push(second.stdout, second.stderr);
    expect(second.summary!.hosts[host]).toMatchObject({ changed: 0, failed: 0 });
    const cmd = second.events.find((e) => e.type === 'task:done' && e.task.name === 'secret command');
    expect(cmd.outcome.result.stdout).toBe('********');
  });

  it('no secret in any output, report or journal row', () => {
    const text = allOutputs.join('\n');
    expect(text).toContain('********');
    for (const s of Object.values(SECRETS)) expect(text.includes(s), s).toBe(false);
    const Sqlite = createRequire(import.meta.url)('better-sqlite3');
    const db = new Sqlite(path.join(dir, 'home', 'journal.db'), { readonly: true });
    const rows = JSON.stringify([db.prepare('SELECT * FROM runs').all(), db.prepare('SELECT * FROM tasks').all()]);
    db.close();
    expect(rows).toContain('secret file');
    for (const s of Object.values(SECRETS)) expect(rows.includes(s), s).toBe(false);
  });
});
