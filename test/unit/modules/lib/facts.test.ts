import { spawnSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { parseFileFacts, posixCksum } from '../../../../modules/_lib/facts.js';

describe('file facts', () => {
  it('posixCksum matches cksum(1) (hosts without sha256sum)', () => {
    for (const data of [Buffer.alloc(0), Buffer.from('hello\n'), Buffer.from(Array.from({ length: 70000 }, (_, i) => i % 251))]) {
      const r = spawnSync('cksum', [], { input: data, encoding: 'utf8' });
      const [crc, size] = r.stdout.trim().split(/\s+/).map(Number);
      expect(posixCksum(data)).toBe(crc);
      expect(size).toBe(data.length);
    }
  });

  it('parses hex content (od fallback), joins, dangling links and ancestors', () => {
    const out = [
      'umask 0002',
      'id uid=1000(deploy) gid=1000(deploy) groups=1000(deploy),27(sudo)',
      'path',
      'joined',
      'lstat 81a4 1000 1000 deploy deploy 3',
      'cksum 1234 3',
      'content hex',
      ' 61 00 62',
      'content_end',
      'parent dir',
      'end',
      'path',
      'lstat a1ff 0 0 root root 4',
      `link ${Buffer.from('a b\nc').toString('hex')}`,
      'parent dir',
      'end',
      'path',
      'absent',
      `ancestor ${Buffer.from('/srv').toString('hex')}`,
      'parent absent',
      'end',
      '',
    ].join('\n');
    const f = parseFileFacts(out, ['/srv/', '/srv/l', '/srv/x/y'], 'f.txt');
    expect(f.me).toEqual({ user: 'deploy', group: 'deploy', uid: 1000, gid: 1000, umask: 0o002 });
    expect(f.paths[0]).toMatchObject({ path: '/srv/f.txt', joined: true, cksum: { crc: 1234, size: 3 } });
    expect(f.paths[0].content).toEqual(Buffer.from([0x61, 0, 0x62]));
    expect(f.paths[1]).toMatchObject({ exists: true, linkTarget: 'a b\nc', lstat: { type: 'link' } });
    expect(f.paths[1].stat).toBeUndefined();
    expect(f.paths[2]).toMatchObject({ exists: false, ancestor: '/srv', parent: 'absent' });
  });

  it('refuses output that is not the script\'s', () => {
    expect(() => parseFileFacts('garbage', ['/x'])).toThrow(/unexpected output/);
    expect(() => parseFileFacts('umask 0022\nid uid=0(a) gid=0(b)\n', ['/x'])).toThrow(/0 of 1 paths/);
  });
});
