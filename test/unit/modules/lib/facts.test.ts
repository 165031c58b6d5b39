import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { factsArgs, FILE_FACTS_SCRIPT, parseFileFacts, posixCksum, predictFacts } from '../../../../modules/_lib/facts.js';

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

describe('the facts script in a real sh', () => {
  const run = (paths: string[]) => {
    const r = spawnSync('sh', ['-c', FILE_FACTS_SCRIPT, 'sh', ...factsArgs(paths)], { encoding: 'utf8' });
    expect(r.stderr).toBe('');
    return parseFileFacts(r.stdout, paths);
  };

  it('finds the nearest existing ancestor of a missing path, plain or odd-named, as dirname would', () => {
    const root = mkdtempSync(path.join(os.tmpdir(), 'facts-'));
    try {
      const odd = path.join(root, "it's a\nname é");
      mkdirSync(odd);
      const cases = [
        [path.join(root, 'a/b/c'), root],
        [path.join(root, 'a/b/c/'), root],
        [`${root}//x//y`, root],
        [path.join(odd, 'x/y'), odd],
        ['/no-such-top-folder', '/'],
        ['no/such/relative', '.'],
      ];
      const f = run(cases.map(([p]) => p!));
      cases.forEach(([p, ancestor], i) => expect(f.paths[i], p).toMatchObject({ exists: false, ancestor }));
    } finally {
      rmSync(root, { recursive: true, force: true });
    }
  });
});

describe('predicting the facts of a missing path once folders are made', () => {
  it('gives what the script itself prints after the mkdir, for every layout tried', () => {
    const root = mkdtempSync(path.join(os.tmpdir(), 'predict-'));
    try {
      const read = (p: string) => spawnSync('sh', ['-c', FILE_FACTS_SCRIPT, 'sh', ...factsArgs([p])], { encoding: 'utf8' }).stdout;
      // [path read, folders there first, folders made after the read]
      const cases: Array<[string, string[], string[]]> = [
        ['a/b/c', [], ['a']],
        ['a/b/c', [], ['a', 'a/b']],
        ['a/b/c', ['a'], ['a/b']],
        ['a/b/c/d', [], ['a', 'a/x', 'a/b']],
        ['a/b', [], ['z', 'z/y']],
        ['odd name é/x/y', [], ['odd name é']],
        ['a/b', ['a'], []],
      ];
      for (const [n, [rel, before, made]] of cases.entries()) {
        const base = path.join(root, String(n));
        mkdirSync(base);
        for (const d of before) mkdirSync(path.join(base, d), { recursive: true });
        const p = path.join(base, rel);
        const args = factsArgs([p]);
        const was = read(p);
        const dirs = made.map((d) => path.join(base, d));
        for (const d of dirs) mkdirSync(d, { recursive: true });
        expect(predictFacts(args, was, dirs), `${rel} after ${made.join(', ')}`).toBe(read(p));
      }
    } finally {
      rmSync(root, { recursive: true, force: true });
    }
  });

  it('does not guess when a made folder is the path itself or under it, or the path is joined or relative', () => {
    const out = 'umask 0022\nid uid=0(root) gid=0(root)\npath\nabsent\nancestor_raw /srv\nparent absent\nreal\nend\n';
    expect(predictFacts(factsArgs(['/srv/a/b']), out, ['/srv/a/b'])).toBeUndefined();
    expect(predictFacts(factsArgs(['/srv/a/b'], { join: 'x' }), out, ['/srv/a'])).toBeUndefined();
    expect(predictFacts(factsArgs(['srv/a/b']), out, ['/srv/a'])).toBeUndefined();
    expect(predictFacts(factsArgs(['/srv/a/b']), out, ['/srv/a'])).toBe(out.replace('parent absent', 'parent dir').replace('ancestor_raw /srv', 'ancestor_raw /srv/a'));
  });
});
