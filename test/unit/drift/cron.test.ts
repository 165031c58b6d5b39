import { describe, expect, it } from 'vitest';
import { cronLine, parseEntries, replaceEntry, validateName, validateSchedule } from '../../../src/cli/cron.js';

const base = { name: 'prod-drift', schedule: '*/30 * * * *', splay: 0, cwd: '/srv/ops', home: '/srv/ops/.runbook', node: '/usr/bin/node', bin: '/opt/runbook/bin/runbook.js' };

describe('cron line builder', () => {
  it('builds the exact marked line', () => {
    expect(cronLine({ ...base, args: ['drift', 'site.yml', '-i', 'prod', '--fix'] })).toBe(
      "*/30 * * * * cd /srv/ops && RUNBOOK_HOME=/srv/ops/.runbook /usr/bin/node /opt/runbook/bin/runbook.js cron run prod-drift -- drift site.yml -i prod --fix >> /srv/ops/.runbook/cron/prod-drift.log 2>&1 # runbook:prod-drift",
    );
  });

  it('passes the splay, quotes odd arguments and escapes cron\'s %', () => {
    expect(cronLine({ ...base, splay: 120, args: ['drift', 'my site.yml', '-e', "msg=it's 100%"] })).toBe(
      "*/30 * * * * cd /srv/ops && RUNBOOK_HOME=/srv/ops/.runbook /usr/bin/node /opt/runbook/bin/runbook.js cron run prod-drift --splay 120 -- drift 'my site.yml' -e 'msg=it'\\''s 100\\%' >> /srv/ops/.runbook/cron/prod-drift.log 2>&1 # runbook:prod-drift",
    );
  });

  it('refuses a newline, which a crontab line cannot hold', () => {
    expect(() => cronLine({ ...base, args: ['drift', 'a\nb'] })).toThrow(/cannot hold a newline/);
  });
});

describe('crontab editing', () => {
  const mine = cronLine({ ...base, args: ['drift', 'site.yml', '-i', 'prod'] });
  const other = '0 4 * * * /usr/local/bin/backup # runbook:prod-drift-not-this';
  const commented = `# ${mine}`;

  it('adds, replaces and removes only its own line', () => {
    const start = `MAILTO=ops\n${other}\n${commented}\n`;
    const added = replaceEntry(start, 'prod-drift', mine);
    expect(added).toBe(`MAILTO=ops\n${other}\n${commented}\n${mine}\n`);
    const newer = mine.replace('*/30', '*/5');
    const replaced = replaceEntry(added, 'prod-drift', newer);
    expect(replaced).toBe(`MAILTO=ops\n${other}\n${commented}\n${newer}\n`);
    expect(replaceEntry(replaced, 'prod-drift', undefined)).toBe(start);
    expect(replaceEntry('', 'x', undefined)).toBe('');
  });

  it('lists entries by their marker, skipping commented lines', () => {
    const entries = parseEntries(`${other}\n${commented}\n${mine}\n@daily /bin/true # runbook:nightly\n`);
    expect(entries.map((e) => [e.name, e.schedule])).toEqual([
      ['prod-drift-not-this', '0 4 * * *'],
      ['prod-drift', '*/30 * * * *'],
      ['nightly', '@daily'],
    ]);
    expect(entries[1]!.command).toMatch(/^cd \/srv\/ops && /);
  });
});

describe('schedule and name validation', () => {
  it('accepts five fields and macros, returning the next time', async () => {
    expect((await validateSchedule('*/30 * * * *', new Date('2026-12-02T12:10:00Z'))).toISOString()).toBe('2026-12-02T12:30:00.000Z');
    expect((await validateSchedule('@hourly', new Date('2026-12-02T12:10:00Z'))).toISOString()).toBe('2026-12-02T13:00:00.000Z');
  });

  it('refuses what cron would not run', async () => {
    await expect(validateSchedule('* * * *')).rejects.toThrow(/expected five cron fields .* found 4 field\(s\) in '\* \* \* \*'/);
    await expect(validateSchedule('0 0 0 * * *')).rejects.toThrow(/found 6 field/);
    await expect(validateSchedule('61 * * * *')).rejects.toThrow(/'61 \* \* \* \*' is not a valid cron schedule/);
    await expect(validateSchedule('@reboot')).rejects.toThrow(/expected five cron fields/);
    expect(() => validateName('a b')).toThrow(/expected letters, digits/);
    expect(() => validateName('ok.name_1-2')).not.toThrow();
  });
});
