import { createHash } from 'node:crypto';
import { lstat, mkdir, mkdtemp, readdir, readFile, readlink, rm, stat, symlink, writeFile, chmod } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ApplyResult, ModuleDefinition, Plan } from '../../../src/core/module.js';
import commandModule from '../../../modules/command.js';
import copyModule from '../../../modules/copy.js';
import fileModule from '../../../modules/file.js';
import shellModule from '../../../modules/shell.js';
import templateModule from '../../../modules/template.js';
import { gatherFileFacts } from '../../../modules/_lib/facts.js';
import { validateParams } from '../../../src/executor/params.js';
import { makeModuleContext } from '../../support/module-context.js';
import { busyboxPath, LocalTransport } from './_support/local-transport.js';

/**
 * The modules' remote scripts, run for real on this machine (no SSH): once with the system sh,
 * once with busybox sh and nothing but busybox applets on PATH.
 */

const FIXTURES = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../fixtures/modules');
const isRoot = process.getuid?.() === 0;

interface Snapshot {
  [p: string]: string;
}

async function snapshot(root: string): Promise<Snapshot> {
  const out: Snapshot = {};
  async function walk(p: string): Promise<void> {
    const s = await lstat(p);
    const rel = path.relative(root, p) || '.';
    const attrs = `${(s.mode & 0o7777).toString(8)} ${s.uid}:${s.gid} ${Math.floor(s.mtimeMs)}`;
    if (s.isSymbolicLink()) out[rel] = `link ${await readlink(p)} ${s.uid}:${s.gid}`;
    else if (s.isDirectory()) {
      out[rel] = `dir ${attrs}`;
      for (const e of await readdir(p)) await walk(path.join(p, e));
    } else out[rel] = `file ${attrs} ${createHash('sha256').update(await readFile(p)).digest('hex')}`;
  }
  await walk(root);
  return out;
}

const variants: { name: string; make: () => Promise<LocalTransport | null> }[] = [
  { name: 'sh', make: async () => new LocalTransport(['/bin/sh']) },
  {
    name: 'busybox',
    make: async () => {
      const dir = await busyboxPath();
      if (!dir) return null;
      return new LocalTransport([path.join(dir, 'sh')], { PATH: dir, HOME: tmpdir() });
    },
  },
];

for (const variant of variants) {
  describe(`modules on this machine (${variant.name})`, () => {
    let t: LocalTransport;
    let root: string;
    let available = true;

    beforeAll(async () => {
      const made = await variant.make();
      if (!made) available = false;
      else t = made;
      root = await mkdtemp(path.join(tmpdir(), `rb-mod-${variant.name}-`));
    });
    afterAll(async () => {
      await rm(root, { recursive: true, force: true });
    });

    const ctxOf = (o: { diff?: boolean; check?: boolean; vars?: Record<string, unknown>; dir?: string } = {}) =>
      makeModuleContext({ transport: t, diff: o.diff, check: o.check, vars: o.vars, playbookDir: o.dir ?? FIXTURES });

    /** What the executor does: validate, plan, apply unless checking or nothing changes. */
    async function run(
      mod: ModuleDefinition<any, any>,
      raw: Record<string, unknown>,
      o: { diff?: boolean; check?: boolean; vars?: Record<string, unknown>; dir?: string } = {},
    ): Promise<{ plan: Plan<any>; applied?: ApplyResult }> {
      const v = validateParams(mod, raw);
      if (!v.ok) throw new Error(v.message);
      const ctx = ctxOf(o);
      const plan = await mod.plan(ctx, v.params);
      if (o.check || plan.changes.length === 0) return { plan };
      return { plan, applied: await mod.apply(ctx, v.params, plan) };
    }

    async function undo(mod: ModuleDefinition<any, any>, applied: ApplyResult | undefined) {
      expect(applied?.undo).toBeDefined();
      await mod.undo!(ctxOf(), {}, applied!.undo);
    }

    it('facts match what node sees', async () => {
      if (!available) return;
      const d = path.join(root, 'facts');
      await mkdir(path.join(d, 'sub dir'), { recursive: true });
      await writeFile(path.join(d, 'a file'), 'hello\n');
      await chmod(path.join(d, 'a file'), 0o640);
      await symlink('a file', path.join(d, 'link'));
      await symlink('nowhere', path.join(d, 'dangling'));
      await writeFile(path.join(d, 'sub dir', 'x'), '');
      const names = ['a file', 'link', 'dangling', 'sub dir', 'missing/deeper'].map((n) => path.join(d, n));
      const facts = await gatherFileFacts(ctxOf(), names, { hash: true, contentMax: 100, recurse: true });
      expect(facts.me.uid).toBe(process.getuid!());
      const [f, l, dl, dir, miss] = facts.paths;
      expect(f).toMatchObject({ exists: true, lstat: { type: 'file', mode: 0o640, size: 6 } });
      expect(f.sha256).toBe(createHash('sha256').update('hello\n').digest('hex'));
      expect(f.content?.toString()).toBe('hello\n');
      expect(l).toMatchObject({ lstat: { type: 'link' }, linkTarget: 'a file', stat: { type: 'file', mode: 0o640 } });
      expect(dl).toMatchObject({ exists: true, lstat: { type: 'link' }, linkTarget: 'nowhere' });
      expect(dl.stat).toBeUndefined();
      expect(dir.lstat?.type).toBe('directory');
      expect(dir.tree?.map((s) => s.type)).toEqual(['directory', 'file']);
      expect(miss).toMatchObject({ exists: false, ancestor: d, parent: 'absent' });
      const s = await stat(path.join(d, 'a file'));
      expect(f.lstat?.uid).toBe(s.uid);
    });

    it('copy: create, converge, diff, attributes, undo', async () => {
      if (!available) return;
      const dest = path.join(root, 'copy', 'my "conf" $(x).txt');
      await mkdir(path.dirname(dest), { recursive: true });
      const first = await run(copyModule, { dest, content: 'one\n', mode: '0600' });
      expect(first.plan.changes.length).toBeGreaterThan(0);
      expect(await readFile(dest, 'utf8')).toBe('one\n');
      expect((await stat(dest)).mode & 0o7777).toBe(0o600);
      expect((await run(copyModule, { dest, content: 'one\n', mode: '0600' })).plan.changes).toEqual([]);

      // check mode and diff: nothing on disk moves
      const before = await snapshot(root);
      const checked = await run(copyModule, { dest, content: 'two\n', mode: '0600' }, { check: true, diff: true });
      expect(checked.plan.diff).toEqual([{ label: dest, before: 'one\n', after: 'two\n' }]);
      expect(await snapshot(root)).toEqual(before);

      // overwrite with the old content captured during plan (diff) → undo puts it back
      const second = await run(copyModule, { dest, content: 'two\n', mode: '0600' }, { diff: true });
      expect(await readFile(dest, 'utf8')).toBe('two\n');
      expect(second.applied?.undo).toMatchObject({ kind: 'restore', content: Buffer.from('one\n').toString('base64') });
      await undo(copyModule, second.applied);
      expect(await readFile(dest, 'utf8')).toBe('one\n');

      // without diff the old content is kept aside on the host
      const third = await run(copyModule, { dest, content: 'three\n' });
      expect((await stat(dest)).mode & 0o7777).toBe(0o600); // kept
      const u = third.applied!.undo as { hostCopy: string; tempDir: string };
      expect(await readFile(u.hostCopy, 'utf8')).toBe('one\n');
      await undo(copyModule, third.applied);
      expect(await readFile(dest, 'utf8')).toBe('one\n');
      await expect(stat(u.tempDir)).rejects.toThrow();

      // attributes only
      const attrs = await run(copyModule, { dest, content: 'one\n', mode: 'u=rw,go=r' });
      expect(attrs.plan.changes).toEqual([{ field: 'mode', before: '0600', after: '0644' }]);
      expect((await stat(dest)).mode & 0o7777).toBe(0o644);
      await undo(copyModule, attrs.applied);
      expect((await stat(dest)).mode & 0o7777).toBe(0o600);

      // backup
      const b = await run(copyModule, { dest, content: 'four\n', backup: true });
      const backupFile = b.applied!.result!.backup_file as string;
      expect(await readFile(backupFile, 'utf8')).toBe('one\n');
      await undo(copyModule, b.applied);
      expect(await readFile(dest, 'utf8')).toBe('one\n');

      // a created file is removed by undo
      const fresh = path.join(root, 'copy', 'fresh');
      const c = await run(copyModule, { dest: fresh, content: '' });
      expect(await readFile(fresh, 'utf8')).toBe('');
      await undo(copyModule, c.applied);
      await expect(stat(fresh)).rejects.toThrow();
    });

    it('copy: src into a new folder, symlink replaced and restored', async () => {
      if (!available) return;
      const dir = path.join(root, 'copy2', 'new dir') + '/';
      const r = await run(copyModule, { dest: dir, src: 'motd.txt' }, { dir: path.join(FIXTURES, 'copy') });
      expect(r.applied?.result?.dest).toBe(`${dir}motd.txt`);
      expect(await readFile(`${dir}motd.txt`, 'utf8')).toBe('Message of today\n');
      expect((await run(copyModule, { dest: dir, src: 'motd.txt' }, { dir: path.join(FIXTURES, 'copy') })).plan.changes).toEqual([]);
      expect((await run(copyModule, { dest: dir.slice(0, -1), src: 'motd.txt' }, { dir: path.join(FIXTURES, 'copy') })).plan.changes).toEqual([]);

      const link = path.join(root, 'copy2', 'resolv.conf');
      await writeFile(path.join(root, 'copy2', 'target'), 'target\n');
      await symlink('target', link);
      const rl = await run(copyModule, { dest: link, content: 'nameserver 1.1.1.1\n' });
      expect((await lstat(link)).isFile()).toBe(true);
      expect(await readFile(path.join(root, 'copy2', 'target'), 'utf8')).toBe('target\n');
      await undo(copyModule, rl.applied);
      expect(await readlink(link)).toBe('target');
    });

    it('template: renders with variables, converges', async () => {
      if (!available) return;
      const dest = path.join(root, 'motd');
      const vars = { name: "web1 'quoted' $(x)", users: ['ann'] };
      const r = await run(templateModule, { src: 'motd.hbs', dest }, { vars, dir: path.join(FIXTURES, 'template') });
      expect(r.applied).toBeDefined();
      expect(await readFile(dest, 'utf8')).toBe("Welcome to web1 'quoted' $(x) <&>\n- ann\n");
      expect((await run(templateModule, { src: 'motd.hbs', dest }, { vars, dir: path.join(FIXTURES, 'template') })).plan.changes).toEqual([]);
    });

    it('file: directory with parents, recurse, touch, link, absent, undo', async () => {
      if (!available) return;
      const base = path.join(root, 'file');
      const deep = path.join(base, 'a b', "c'd");
      const d = await run(fileModule, { path: deep, state: 'directory', mode: '0750' });
      expect(d.plan.changes[0]).toEqual({ field: 'state', before: 'absent', after: 'directory' });
      expect((await stat(deep)).mode & 0o7777).toBe(0o750);
      expect((await stat(path.join(base, 'a b'))).mode & 0o7777).toBe(0o750);
      expect((await run(fileModule, { path: deep, state: 'directory', mode: '0750' })).plan.changes).toEqual([]);
      await undo(fileModule, d.applied);
      await expect(stat(base)).rejects.toThrow();

      // recurse with X
      await mkdir(path.join(base, 'www', 'sub'), { recursive: true });
      await writeFile(path.join(base, 'www', 'sub', 'f'), 'x');
      await chmod(path.join(base, 'www', 'sub', 'f'), 0o600);
      await chmod(path.join(base, 'www', 'sub'), 0o700);
      const rec = await run(fileModule, { path: path.join(base, 'www'), state: 'directory', recurse: true, mode: 'u=rwX,go=rX' });
      expect(rec.plan.changes.map((c) => c.field)).toEqual(['mode (recursive)']);
      expect((await stat(path.join(base, 'www', 'sub'))).mode & 0o7777).toBe(0o755);
      expect((await stat(path.join(base, 'www', 'sub', 'f'))).mode & 0o7777).toBe(0o644);
      expect((await run(fileModule, { path: path.join(base, 'www'), state: 'directory', recurse: true, mode: 'u=rwX,go=rX' })).plan.changes).toEqual([]);

      // setgid directory and a numeric mode: converges (GNU chmod keeps set-id bits on 4 digits)
      const sg = path.join(base, 'sgid');
      await mkdir(sg);
      await chmod(sg, 0o2775);
      await run(fileModule, { path: sg, state: 'directory', mode: '0755' });
      expect((await stat(sg)).mode & 0o7777).toBe(0o755);
      expect((await run(fileModule, { path: sg, state: 'directory', mode: '0755' })).plan.changes).toEqual([]);
      // folders made inside it: an octal mode clears the inherited set-group-ID bit on each, a
      // symbolic one is read against the new folder as chmod reads it (not against a=rwx)
      const made = path.join(sg, 'x', 'y');
      await run(fileModule, { path: made, state: 'directory', mode: '0750' });
      expect([(await stat(path.join(sg, 'x'))).mode & 0o7777, (await stat(made)).mode & 0o7777]).toEqual([0o750, 0o750]);
      const sym = path.join(base, 'sym', 'z');
      await run(fileModule, { path: sym, state: 'directory', mode: 'u=rwx,g=rx' });
      const um = process.umask();
      expect((await stat(sym)).mode & 0o777).toBe(((0o777 & ~um) & 0o007) | 0o750);

      // touch: create, then ok (mtime untouched)
      const flag = path.join(base, 'flag file');
      const tc = await run(fileModule, { path: flag, state: 'touch', mode: '0600' });
      expect(tc.applied).toBeDefined();
      const m1 = (await stat(flag)).mtimeMs;
      expect((await run(fileModule, { path: flag, state: 'touch', mode: '0600' })).plan.changes).toEqual([]);
      expect((await stat(flag)).mtimeMs).toBe(m1);
      expect((await stat(flag)).mode & 0o7777).toBe(0o600);

      // link: create, converge, retarget, undo
      const link = path.join(base, 'current');
      await mkdir(path.join(base, 'r1'));
      await mkdir(path.join(base, 'r2'));
      await run(fileModule, { path: link, state: 'link', src: 'r1' });
      expect(await readlink(link)).toBe('r1');
      expect((await run(fileModule, { path: link, state: 'link', src: 'r1' })).plan.changes).toEqual([]);
      const re = await run(fileModule, { path: link, state: 'link', src: 'r2' });
      expect(await readlink(link)).toBe('r2');
      expect((await readdir(base)).filter((n) => n.startsWith('.runbook'))).toEqual([]);
      await undo(fileModule, re.applied);
      expect(await readlink(link)).toBe('r1');
      await expect(run(fileModule, { path: link, state: 'link', src: 'r9' })).rejects.toThrow(/src file does not exist/);

      // link over a file with force, undo brings the file back
      const over = path.join(base, 'over');
      await writeFile(over, 'precious\n');
      await expect(run(fileModule, { path: over, state: 'link', src: 'r1' })).rejects.toThrow(/refusing/);
      const fo = await run(fileModule, { path: over, state: 'link', src: 'r1', force: true });
      expect(await readlink(over)).toBe('r1');
      await undo(fileModule, fo.applied);
      expect(await readFile(over, 'utf8')).toBe('precious\n');

      // absent: file kept aside for undo; directory removed recursively
      const ab = await run(fileModule, { path: over, state: 'absent' });
      await expect(lstat(over)).rejects.toThrow();
      expect((await run(fileModule, { path: over, state: 'absent' })).plan.changes).toEqual([]);
      await undo(fileModule, ab.applied);
      expect(await readFile(over, 'utf8')).toBe('precious\n');
      const al = await run(fileModule, { path: link, state: 'absent' });
      await undo(fileModule, al.applied);
      expect(await readlink(link)).toBe('r1');
      const ad = await run(fileModule, { path: path.join(base, 'www'), state: 'absent' });
      expect(ad.applied?.undo).toBeUndefined();
      await expect(stat(path.join(base, 'www'))).rejects.toThrow();

      // check mode leaves everything as it was
      const before = await snapshot(root);
      await run(fileModule, { path: path.join(base, 'new', 'dir'), state: 'directory' }, { check: true });
      await run(fileModule, { path: flag, state: 'absent' }, { check: true });
      await run(fileModule, { path: link, state: 'link', src: 'r2' }, { check: true });
      await run(fileModule, { path: path.join(base, 'r1'), state: 'directory', mode: '0700', recurse: true }, { check: true });
      expect(await snapshot(root)).toEqual(before);
    });

    it.skipIf(!isRoot)('owner and group (as root)', async () => {
      if (!available) return;
      const f = path.join(root, 'owned');
      const r = await run(copyModule, { dest: f, content: 'x', owner: 'nobody', group: 65534 });
      expect(r.applied).toBeDefined();
      const s = await stat(f);
      expect(s.gid).toBe(65534);
      expect((await run(copyModule, { dest: f, content: 'x', owner: s.uid, group: 65534 })).plan.changes).toEqual([]);
      // rewriting keeps the owner when none is given
      await run(copyModule, { dest: f, content: 'y' });
      expect((await stat(f)).uid).toBe(s.uid);
      const back = await run(fileModule, { path: f, owner: 'root' });
      expect((await stat(f)).uid).toBe(0);
      await undo(fileModule, back.applied);
      expect((await stat(f)).uid).toBe(s.uid);

      // recurse through a link to a directory reaches the directory's contents
      const real = path.join(root, 'real dir');
      await mkdir(path.join(real, 'sub'), { recursive: true });
      await writeFile(path.join(real, 'sub', 'f'), 'x');
      await symlink(real, path.join(root, 'via link'));
      const rec = { path: path.join(root, 'via link'), state: 'directory', recurse: true, owner: s.uid, mode: 'go-w' };
      expect((await run(fileModule, rec)).applied).toBeDefined();
      expect((await stat(path.join(real, 'sub', 'f'))).uid).toBe(s.uid);
      expect((await lstat(path.join(root, 'via link'))).uid).toBe(0);
      expect((await run(fileModule, rec)).plan.changes).toEqual([]);
    });

    it('command: argv literal, guards, rc, stdin', async () => {
      if (!available) return;
      const d = path.join(root, 'cmd dir');
      await mkdir(d, { recursive: true });
      const weird = ['a b', `"q" 'q'`, 'line1\nline2', '$(echo pwned)', '*', ''];
      const r = await run(commandModule, { argv: ['printf', '[%s]', ...weird] });
      expect(r.applied?.result?.stdout).toBe(weird.map((w) => `[${w}]`).join(''));
      const s = await run(commandModule, { cmd: `printf '%s|' "a  b" $HOME '$(x)' *` });
      expect(s.applied?.result?.stdout).toBe('a  b|$HOME|$(x)|*|');

      const guarded = { cmd: 'touch made', chdir: d, creates: 'ma*' };
      const g1 = await run(commandModule, guarded);
      expect(g1.applied?.changed).toBe(true);
      const g2 = await run(commandModule, guarded);
      expect(g2.plan.changes).toEqual([]);
      expect(g2.plan.result?.stdout).toBe('skipped, since ma* exists');
      expect((await run(commandModule, { cmd: 'true', removes: path.join(d, 'nope*') })).plan.changes).toEqual([]);
      expect((await run(commandModule, { cmd: 'true', removes: path.join(d, 'made') })).plan.changes.length).toBe(1);
      expect((await run(commandModule, { cmd: 'pwd', chdir: d })).applied?.result?.stdout).toBe(d);

      const fail = await run(commandModule, { argv: ['sh', '-c', 'echo out; echo err >&2; exit 3'] });
      expect(fail.applied).toMatchObject({ failed: true, msg: 'non-zero return code', result: { rc: 3, stdout: 'out', stderr: 'err', stdout_lines: ['out'] } });
      const cat = await run(commandModule, { cmd: 'cat', stdin: 'fed in' });
      expect(cat.applied?.result?.stdout).toBe('fed in');
      const od = await run(commandModule, { cmd: 'wc -c', stdin: 'abc', stdin_add_newline: false });
      expect(String(od.applied?.result?.stdout).trim()).toBe('3');
    });

    it('shell: pipes, chdir, executable, stdout trailing newlines', async () => {
      if (!available) return;
      const r = await run(shellModule, { cmd: 'printf "a\\nb\\n\\n" | sort -r' });
      expect(r.applied?.result).toMatchObject({ stdout: 'b\na', stdout_lines: ['b', 'a'], rc: 0, cmd: 'printf "a\\nb\\n\\n" | sort -r' });
      const d = path.join(root, "sh 'dir'");
      await mkdir(d, { recursive: true });
      expect((await run(shellModule, { cmd: 'pwd', chdir: d })).applied?.result?.stdout).toBe(d);
      expect((await run(shellModule, { cmd: 'echo "$0"', executable: 'sh' })).applied?.result?.stdout).toBe('sh');
    });
  });
}
