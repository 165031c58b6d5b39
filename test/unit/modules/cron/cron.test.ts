import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, existsSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { CRON_READ_SCRIPT, CRON_WRITE_SCRIPT, cronLine, cronTarget, editCrontab, parseCrontabRead } from '../../../../modules/_lib/crontab.js';

describe('cron lines', () => {
  it('five fields (default *), special_time, user field in a cron_file, disabled', () => {
    expect(cronLine({ name: 'a', job: '/bin/x', minute: '30', hour: '2' })).toBe('30 2 * * * /bin/x');
    expect(cronLine({ name: 'a', job: '/bin/x', minute: 5 as unknown as string, weekday: 'mon-fri' })).toBe('5 * * * mon-fri /bin/x');
    expect(cronLine({ name: 'a', job: '/bin/x', special_time: 'reboot' })).toBe('@reboot /bin/x');
    expect(cronLine({ name: 'a', job: '/bin/x', special_time: 'daily', cron_file: 'app', user: 'app' })).toBe('@daily app /bin/x');
    expect(cronLine({ name: 'a', job: '/bin/x', cron_file: 'app' })).toBe('* * * * * root /bin/x');
    expect(cronLine({ name: 'a', job: '/bin/x', disabled: true })).toBe('#* * * * * /bin/x');
  });

  it('an invalid schedule is a clear error', () => {
    expect(() => cronLine({ name: 'a', job: 'x', minute: '61' })).toThrow("cron a: '61 * * * *' is not a valid schedule");
  });

  it('target: user crontab, or /etc/cron.d/NAME, or an absolute cron_file', () => {
    expect(cronTarget({ name: 'a', user: 'app' })).toEqual(['app', '']);
    expect(cronTarget({ name: 'a', cron_file: 'app' })).toEqual(['', '/etc/cron.d/app']);
    expect(cronTarget({ name: 'a', cron_file: '/etc/cron.d/x' })).toEqual(['', '/etc/cron.d/x']);
  });
});

describe('editCrontab', () => {
  const text = 'MAILTO=ops\n#Ansible: backup\n0 1 * * * /bin/backup\n5 * * * * /bin/other\n';
  it('replaces an entry Ansible made in place, keeps the other lines', () => {
    expect(editCrontab(text, { name: 'backup', job: '/bin/backup --all', hour: '3', minute: '0' })).toBe(
      'MAILTO=ops\n#Ansible: backup\n0 3 * * * /bin/backup --all\n5 * * * * /bin/other\n',
    );
    expect(editCrontab(text, { name: 'backup', job: '/bin/backup', hour: '1', minute: '0' })).toBe(text);
  });
  it('adds a new entry at the end, removes one with state absent', () => {
    expect(editCrontab('', { name: 'n', job: 'j', special_time: 'hourly' })).toBe('#Ansible: n\n@hourly j\n');
    expect(editCrontab(text, { name: 'n', job: 'j', special_time: 'hourly' })).toBe(`${text}#Ansible: n\n@hourly j\n`);
    expect(editCrontab(text, { name: 'backup', state: 'absent' })).toBe('MAILTO=ops\n5 * * * * /bin/other\n');
    expect(editCrontab(text, { name: 'nope', state: 'absent' })).toBe(text);
    expect(editCrontab('#Ansible: n\n@hourly j\n', { name: 'n', state: 'absent' })).toBe('');
  });
});

describe('cron scripts (run by sh on a cron_file in a temporary folder)', () => {
  it('reads nothing for a missing file, writes, reads back, and removes a file written empty', () => {
    const d = mkdtempSync(path.join(tmpdir(), 'cron-'));
    const f = path.join(d, 'app');
    const read = () => parseCrontabRead(execFileSync('sh', ['-c', CRON_READ_SCRIPT, 'sh', '', f], { encoding: 'utf8' }));
    expect(read()).toEqual({ text: '', exists: false });
    execFileSync('sh', ['-c', CRON_WRITE_SCRIPT, 'sh', '', f], { input: '#Ansible: n\n@hourly root j\n' });
    expect(readFileSync(f, 'utf8')).toBe('#Ansible: n\n@hourly root j\n');
    expect(statSync(f).mode & 0o777).toBe(0o644);
    expect(read()).toEqual({ text: '#Ansible: n\n@hourly root j\n', exists: true });
    execFileSync('sh', ['-c', CRON_WRITE_SCRIPT, 'sh', '', f], { input: '' });
    expect(existsSync(f)).toBe(false);
  });
});
