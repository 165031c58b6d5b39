import { execFileSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import {
  GROUP_FACTS_SCRIPT,
  groupFactsCommand,
  groupSteps,
  parseGroupFacts,
  parseUserFacts,
  USER_FACTS_SCRIPT,
  userFactsCommand,
  userSteps,
  type UserFacts,
} from '../../../../modules/_lib/accounts.js';

const app: UserFacts = {
  user: { name: 'app', uid: 1500, gid: 1500, comment: '', home: '/home/app', shell: '/bin/sh' },
  primary: 'app',
  groups: ['app', 'adm'],
  lookedUp: { adm: { name: 'adm', gid: 4, members: ['app'] }, users: { name: 'users', gid: 100, members: [] }, '100': { name: 'users', gid: 100, members: [] } },
};
const argvs = (steps: { argv: string[] }[]) => steps.map((s) => s.argv);

describe('user facts', () => {
  it('is one script: the user, then every group asked for, once', () => {
    expect(userFactsCommand({ name: 'app', group: 'users', groups: 'adm,users' })).toEqual({
      script: USER_FACTS_SCRIPT,
      args: ['app', 'users', 'adm'],
    });
  });

  it('parses getent/id output; a missing group is null', () => {
    const out = 'passwd app:x:1500:1500:App:/home/app:/bin/sh\nprimary app\ngroups app adm\npw 0\ngroup adm adm:x:4:app\nnogroup nope\n';
    expect(parseUserFacts(out)).toEqual({
      user: { name: 'app', uid: 1500, gid: 1500, comment: 'App', home: '/home/app', shell: '/bin/sh' },
      primary: 'app',
      groups: ['app', 'adm'],
      passwordMatches: false,
      lookedUp: { adm: { name: 'adm', gid: 4, members: ['app'] }, nope: null },
    });
    expect(parseUserFacts('nogroup x\n')).toEqual({ groups: [], lookedUp: { x: null } });
  });

  it('runs read-only under sh and says whether the hash on stdin matches, never printing it', () => {
    const out = execFileSync('sh', ['-c', USER_FACTS_SCRIPT, 'sh', 'root', 'root', 'no-such-group-x'], {
      encoding: 'utf8',
      input: 'not-the-hash\n',
    });
    const f = parseUserFacts(out);
    expect(f.user).toMatchObject({ name: 'root', uid: 0 });
    expect(f.primary).toBe('root');
    expect(f.passwordMatches).toBe(false);
    expect(f.lookedUp).toEqual({ root: { name: 'root', gid: 0, members: [] }, 'no-such-group-x': null });
    expect(out).not.toMatch(/\$[0-9a-z]+\$/);
  });
});

describe('user steps (exact argv)', () => {
  it('creates a missing user with every option, then sets the hash through chpasswd -e on stdin', () => {
    const steps = userSteps(
      { name: 'app', uid: 1500, group: '100', groups: ['adm'], shell: '/bin/sh', home: '/srv/app', comment: 'App', system: true, password: '$6$s$h' },
      { groups: [], lookedUp: app.lookedUp },
    );
    expect(steps).toEqual([
      {
        change: { field: 'user', before: '(absent)', after: 'app' },
        argv: ['useradd', '-u', '1500', '-g', 'users', '-G', 'adm', '-s', '/bin/sh', '-d', '/srv/app', '-c', 'App', '-r', '-m', '--', 'app'],
      },
      { change: { field: 'password', before: '(hidden)', after: '(hidden)' }, argv: ['chpasswd', '-e'], password: true },
    ]);
    expect(argvs(userSteps({ name: 'b', create_home: false }, { groups: [], lookedUp: {} }))).toEqual([['useradd', '-M', '--', 'b']]);
  });

  it('modifies only what differs, in one usermod', () => {
    expect(userSteps({ name: 'app', uid: 1500, shell: '/bin/sh', groups: ['adm'] }, app)).toEqual([]);
    const steps = userSteps({ name: 'app', uid: 1501, shell: '/bin/bash', groups: ['adm', 'users'] }, app);
    expect(steps.map((s) => s.change)).toEqual([
      { field: 'uid', before: 1500, after: 1501 },
      { field: 'groups', before: 'adm', after: 'adm,users' },
      { field: 'shell', before: '/bin/sh', after: '/bin/bash' },
    ]);
    expect(argvs(steps).filter((a) => a.length)).toEqual([['usermod', '-u', '1501', '-G', 'adm,users', '-s', '/bin/bash', '--', 'app']]);
  });

  it('groups: append adds only the missing ones; without append the list is replaced ([] removes all)', () => {
    expect(userSteps({ name: 'app', groups: ['adm'], append: true }, app)).toEqual([]);
    expect(argvs(userSteps({ name: 'app', groups: 'users', append: true }, app))).toEqual([['usermod', '-a', '-G', 'users', '--', 'app']]);
    expect(argvs(userSteps({ name: 'app', groups: [] }, app))).toEqual([['usermod', '-G', '', '--', 'app']]);
    expect(() => userSteps({ name: 'app', groups: ['nope'] }, { ...app, lookedUp: { nope: null } })).toThrow('user: group nope does not exist');
  });

  it('password: set only when the shadow hash differs and update_password is always', () => {
    expect(userSteps({ name: 'app', password: 'h' }, { ...app, passwordMatches: true })).toEqual([]);
    expect(argvs(userSteps({ name: 'app', password: 'h' }, { ...app, passwordMatches: false }))).toEqual([['chpasswd', '-e']]);
    expect(userSteps({ name: 'app', password: 'h', update_password: 'on_create' }, { ...app, passwordMatches: false })).toEqual([]);
  });

  it('absent: userdel (-r with remove), nothing when already gone', () => {
    expect(argvs(userSteps({ name: 'app', state: 'absent', remove: true }, app))).toEqual([['userdel', '-r', '--', 'app']]);
    expect(argvs(userSteps({ name: 'app', state: 'absent' }, app))).toEqual([['userdel', '--', 'app']]);
    expect(userSteps({ name: 'app', state: 'absent' }, { groups: [], lookedUp: {} })).toEqual([]);
  });
});

describe('group', () => {
  it('facts: one getent, parsed', () => {
    expect(groupFactsCommand('app')).toEqual({ script: GROUP_FACTS_SCRIPT, args: ['app'] });
    expect(parseGroupFacts('group app:x:1500:a,b\n')).toEqual({ name: 'app', gid: 1500, members: ['a', 'b'] });
    expect(parseGroupFacts('')).toBeUndefined();
  });

  it('steps: groupadd / groupmod -g / groupdel, nothing when as asked', () => {
    const g = { name: 'app', gid: 1500, members: [] };
    expect(argvs(groupSteps({ name: 'app', gid: 1500, system: true }, undefined))).toEqual([['groupadd', '-g', '1500', '-r', '--', 'app']]);
    expect(groupSteps({ name: 'app', gid: 1500 }, g)).toEqual([]);
    expect(groupSteps({ name: 'app' }, g)).toEqual([]);
    expect(argvs(groupSteps({ name: 'app', gid: 1501 }, g))).toEqual([['groupmod', '-g', '1501', '--', 'app']]);
    expect(argvs(groupSteps({ name: 'app', state: 'absent' }, g))).toEqual([['groupdel', '--', 'app']]);
    expect(groupSteps({ name: 'app', state: 'absent' }, undefined)).toEqual([]);
  });
});
