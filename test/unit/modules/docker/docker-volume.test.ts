import { describe, expect, it } from 'vitest';
import { bindDirCommands, diffBindDir, diffVolume, octalMode, parseStatOutput, statArgv, volumeCreateBody } from '../../../../modules/_lib/docker-volume.js';

describe('named volumes', () => {
  it('create body and comparison of driver, options and labels', () => {
    expect(volumeCreateBody({ name: 'data', driver_opts: { type: 'tmpfs', o: 'size=10m' }, labels: { a: 1 } })).toEqual({
      Name: 'data',
      Driver: 'local',
      DriverOpts: { o: 'size=10m', type: 'tmpfs' },
      Labels: { a: '1' },
    });
    const v = { Name: 'data', Driver: 'local', Options: null, Labels: { a: '1' } };
    expect(diffVolume({ name: 'data' }, v)).toEqual([]);
    expect(diffVolume({ name: 'data', labels: { a: 1 } }, v)).toEqual([]);
    expect(diffVolume({ name: 'data', driver_opts: { type: 'tmpfs' }, labels: { a: '2' } }, v)).toEqual([
      { field: 'driver_opts', before: {}, after: { type: 'tmpfs' } },
      { field: 'labels', before: { a: '1' }, after: { a: '2' } },
    ]);
  });
});

describe('bind directories', () => {
  const st = parseStatOutput('directory\nroot\nroot\n0\n0\n755\n');

  it('stat command and its parsing', () => {
    expect(statArgv('/srv/x')).toEqual(['stat', '-c', '%F\n%U\n%G\n%u\n%g\n%a', '--', '/srv/x']);
    expect(st).toEqual({ type: 'directory', owner: 'root', group: 'root', uid: 0, gid: 0, mode: 0o755 });
  });

  it('a missing directory is made with its owner, group and mode', () => {
    const p = { type: 'bind' as const, path: '/srv/x', owner: 'deploy', group: 'deploy', mode: '0750' };
    const changes = diffBindDir(p, undefined);
    expect(changes).toEqual([{ field: 'path', before: 'absent', after: 'directory' }]);
    expect(bindDirCommands(p, changes)).toEqual([
      ['mkdir', '-p', '--', '/srv/x'],
      ['chown', 'deploy:deploy', '--', '/srv/x'],
      ['chmod', '0750', '--', '/srv/x'],
    ]);
  });

  it('an existing one gets only what differs; ids match names', () => {
    expect(diffBindDir({ path: '/srv/x', owner: 0, group: 'root', mode: 755 }, st)).toEqual([]);
    const p = { path: '/srv/x', owner: 'root', group: 'deploy', mode: '0700' };
    const changes = diffBindDir(p, st);
    expect(changes).toEqual([
      { field: 'group', before: 'root', after: 'deploy' },
      { field: 'mode', before: '0755', after: '0700' },
    ]);
    expect(bindDirCommands(p, changes)).toEqual([
      ['chown', ':deploy', '--', '/srv/x'],
      ['chmod', '0700', '--', '/srv/x'],
    ]);
    expect(() => octalMode('u+rwx')).toThrow(/expected octal digits/);
  });
});
