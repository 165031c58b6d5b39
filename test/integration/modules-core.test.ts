import { randomBytes } from 'node:crypto';
import { mkdtemp, rm, writeFile, mkdir } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import type { ApplyResult, ModuleDefinition, Plan } from '../../src/core/module.js';
import type { Become, Transport } from '../../src/transport/types.js';
import { validateParams } from '../../src/executor/params.js';
import commandModule from '../../modules/command.js';
import copyModule from '../../modules/copy.js';
import fileModule from '../../modules/file.js';
import shellModule from '../../modules/shell.js';
import templateModule from '../../modules/template.js';
import { fleetTransport } from '../support/fleet-transport.js';
import { makeModuleContext } from '../support/module-context.js';

/**
 * command, shell, copy, template and file on a real host over SSH: first apply changes,
 * the second run is ok, check mode leaves the host byte-for-byte as it was, --diff shows the
 * right before/after, odd values arrive literally, and become writes root-owned files.
 */

const fleet = inject('fleet');
const host = fleet?.hosts[0];

/** Values that break anything that builds shell text by concatenation. */
const NASTY = `it's "quoted" $(touch /tmp/pwned) \`id\` $HOME * ; | > \\ back\nsecond line\ttab`;

interface RunOpts {
  check?: boolean;
  diff?: boolean;
  become?: Become;
  vars?: Record<string, unknown>;
  transport?: Transport;
}

describe.skipIf(!fleet)('core modules on the fleet', () => {
  let root: Transport;
  let deploy: Transport;
  let localDir: string;
  const base = `/srv/rb-core-${randomBytes(4).toString('hex')}`;

  function transportFor(user: string): Transport {
    return fleetTransport(fleet, host!.name, user);
  }

  beforeAll(async () => {
    root = transportFor(fleet.user);
    deploy = transportFor(fleet.sudoUser);
    localDir = await mkdtemp(path.join(tmpdir(), 'rb-core-'));
    await mkdir(path.join(localDir, 'templates'));
    await mkdir(path.join(localDir, 'files'));
    await writeFile(
      path.join(localDir, 'templates', 'app.conf.hbs'),
      'name = {{ name }}\n{{#each backends}}server {{ this }}\n{{/each}}',
    );
    await writeFile(
      path.join(localDir, 'templates', 'app.conf.j2'),
      '# {{ name }}\n{% for b in backends %}\nserver {{ b }}\n{% if loop.last %}\n# last\n{% endif %}\n{% endfor %}\nn={{ backends | length }}\n',
    );
    await writeFile(path.join(localDir, 'files', 'blob.bin'), Buffer.from([0, 1, 2, 255, 10]));
    const r = await root.exec(['mkdir', '-p', base]);
    expect(r.exitCode, JSON.stringify(r)).toBe(0);
  });

  afterAll(async () => {
    await root?.exec(['rm', '-rf', base, '/tmp/pwned']);
    await root?.close();
    await deploy?.close();
    if (localDir) await rm(localDir, { recursive: true, force: true });
  });

  function ctx(o: RunOpts = {}) {
    return makeModuleContext({
      transport: o.transport ?? root,
      check: o.check,
      diff: o.diff,
      become: o.become,
      vars: o.vars,
      playbookDir: localDir,
    });
  }

  /** What the executor does: validate, plan, and apply unless checking or nothing changes. */
  async function run(
    mod: ModuleDefinition<any, any>,
    raw: Record<string, unknown>,
    o: RunOpts = {},
  ): Promise<{ plan: Plan<any>; applied?: ApplyResult; params: any }> {
    const v = validateParams(mod, raw);
    if (!v.ok) throw new Error(v.message);
    const c = ctx(o);
    const plan = await mod.plan(c, v.params);
    if (o.check || plan.changes.length === 0) return { plan, params: v.params };
    return { plan, applied: await mod.apply(c, v.params, plan), params: v.params };
  }

  /** Types, modes, owners, sizes, mtimes, link targets and hashes of everything under paths. */
  async function fingerprint(...paths: string[]): Promise<string> {
    const r = await root.exec({
      script: `for p in "$@"; do
        if [ -e "$p" ] || [ -L "$p" ]; then
          find "$p" -exec stat -c '%n|%f|%u|%g|%s|%Y' {} + | sort
          find "$p" -type l -exec sh -c 'for l; do printf "%s -> %s\\n" "$l" "$(readlink "$l")"; done' sh {} + | sort
          find "$p" -type f -exec sha256sum {} + | sort
        else echo "missing $p"; fi
      done`,
      args: paths,
    });
    expect(r.exitCode, r.stderr).toBe(0);
    return r.stdout;
  }

  async function statOf(p: string): Promise<{ mode: string; owner: string; group: string; type: string }> {
    const r = await root.exec(['stat', '-c', '%a %U %G %F', p]);
    expect(r.exitCode, r.stderr).toBe(0);
    const [mode, owner, group, ...type] = r.stdout.trim().split(' ');
    return { mode, owner, group, type: type.join(' ') };
  }

  it('copy: changed, then ok; check mode and diff; literal values; undo', async () => {
    const dir = `${base}/copy dir 'x' $(y)`;
    await root.exec(['mkdir', '-p', dir]);
    const dest = `${dir}/conf "1".txt`;
    const p = { dest, content: NASTY, mode: '0640' };

    const first = await run(copyModule, p);
    expect(first.plan.changes.length).toBeGreaterThan(0);
    expect(first.applied).toBeDefined();
    expect((await root.get(dest))!.toString()).toBe(NASTY);
    expect((await statOf(dest)).mode).toBe('640');
    expect((await run(copyModule, p)).plan.changes).toEqual([]);

    // check mode with a change pending: nothing moves
    const before = await fingerprint(base);
    const checked = await run(copyModule, { ...p, content: 'new\n', mode: '0600' }, { check: true, diff: true });
    expect(checked.plan.changes.map((c) => c.field)).toEqual(['content', 'mode']);
    expect(checked.plan.diff).toEqual([{ label: dest, before: NASTY, after: 'new\n' }]);
    expect(await fingerprint(base)).toBe(before);

    // apply the change, then undo it (old content kept on the host, no diff)
    const second = await run(copyModule, { ...p, content: 'new\n' });
    expect((await root.get(dest))!.toString()).toBe('new\n');
    await copyModule.undo!(ctx(), second.params, second.applied!.undo);
    expect((await root.get(dest))!.toString()).toBe(NASTY);
    expect((await statOf(dest)).mode).toBe('640');

    // binary src from the controller
    const bin = await run(copyModule, { dest: `${dir}/`, src: 'blob.bin' });
    expect(bin.applied?.result?.dest).toBe(`${dir}/blob.bin`);
    expect([...(await root.get(`${dir}/blob.bin`))!]).toEqual([0, 1, 2, 255, 10]);
    expect((await run(copyModule, { dest: dir, src: 'blob.bin' })).plan.changes).toEqual([]);

    expect((await root.exec(['test', '-e', '/tmp/pwned'])).exitCode).not.toBe(0);
  });

  it('copy: become root as deploy writes a root-owned file; owner kept on rewrite', async () => {
    const dir = `${base}/etc`;
    await root.exec(['mkdir', '-p', dir]);
    await root.exec(['chmod', '0755', dir]);
    const dest = `${dir}/root-owned.conf`;
    const become = { user: 'root' };

    // without become, deploy cannot write there
    await expect(run(copyModule, { dest, content: 'x\n' }, { transport: deploy })).rejects.toThrow();

    const r = await run(copyModule, { dest, content: 'x\n', mode: '0600' }, { transport: deploy, become });
    expect(r.applied).toBeDefined();
    expect(await statOf(dest)).toMatchObject({ owner: 'root', group: 'root', mode: '600' });
    // a root-only file is still compared (facts read with become)
    expect((await run(copyModule, { dest, content: 'x\n', mode: '0600' }, { transport: deploy, become })).plan.changes).toEqual([]);

    // a deploy-owned file rewritten by root keeps its owner
    const theirs = `${dir}/deploy-owned`;
    await run(copyModule, { dest: theirs, content: 'a', owner: fleet.sudoUser, group: fleet.sudoUser });
    expect((await statOf(theirs)).owner).toBe(fleet.sudoUser);
    await run(copyModule, { dest: theirs, content: 'b' });
    expect(await statOf(theirs)).toMatchObject({ owner: fleet.sudoUser, group: fleet.sudoUser });

    // attribute-only change
    const own = await run(copyModule, { dest: theirs, content: 'b', owner: 'root' });
    expect(own.plan.changes).toEqual([{ field: 'owner', before: fleet.sudoUser, after: 'root' }]);
    expect((await statOf(theirs)).owner).toBe('root');
    await copyModule.undo!(ctx(), own.params, own.applied!.undo);
    expect((await statOf(theirs)).owner).toBe(fleet.sudoUser);
  });

  it('template: renders, converges, diff, check mode', async () => {
    const dest = `${base}/app.conf`;
    const vars = { name: NASTY, backends: ['10.0.0.1:80', '10.0.0.2:80'] };
    const want = `name = ${NASTY}\nserver 10.0.0.1:80\nserver 10.0.0.2:80\n`;
    const first = await run(templateModule, { src: 'app.conf.hbs', dest }, { vars });
    expect(first.applied).toBeDefined();
    expect((await root.get(dest))!.toString()).toBe(want);
    expect((await run(templateModule, { src: 'app.conf.hbs', dest }, { vars })).plan.changes).toEqual([]);

    const before = await fingerprint(dest);
    const vars2 = { ...vars, backends: ['10.0.0.3:80'] };
    const checked = await run(templateModule, { src: 'app.conf.hbs', dest, backup: true }, { vars: vars2, check: true, diff: true });
    expect(checked.plan.diff).toEqual([{ label: dest, before: want, after: `name = ${NASTY}\nserver 10.0.0.3:80\n` }]);
    expect(await fingerprint(dest)).toBe(before);

    const applied = await run(templateModule, { src: 'app.conf.hbs', dest, backup: true }, { vars: vars2 });
    const backup = applied.applied!.result!.backup_file as string;
    expect((await root.get(backup))!.toString()).toBe(want);
  });

  it('template: a .j2 file renders with Jinja semantics, converges, check mode changes nothing', async () => {
    const dest = `${base}/app-j2.conf`;
    const vars = { name: NASTY, backends: ['10.0.0.1:80', '10.0.0.2:80'] };
    const want = `# ${NASTY}\nserver 10.0.0.1:80\nserver 10.0.0.2:80\n# last\nn=2\n`;
    const first = await run(templateModule, { src: 'app.conf.j2', dest }, { vars });
    expect(first.applied).toBeDefined();
    expect((await root.get(dest))!.toString()).toBe(want);
    expect((await run(templateModule, { src: 'app.conf.j2', dest }, { vars })).plan.changes).toEqual([]);

    const before = await fingerprint(dest);
    const vars2 = { ...vars, backends: ['10.0.0.3:80'] };
    const checked = await run(templateModule, { src: 'app.conf.j2', dest }, { vars: vars2, check: true, diff: true });
    expect(checked.plan.diff).toEqual([{ label: dest, before: want, after: `# ${NASTY}\nserver 10.0.0.3:80\n# last\nn=1\n` }]);
    expect(await fingerprint(dest)).toBe(before);
  });

  it('file: each state changes once, then ok; check mode; diff; undo', async () => {
    const d = `${base}/file "a" $(b)/deep dir`;
    const dir = await run(fileModule, { path: d, state: 'directory', mode: '0750' });
    expect(dir.applied).toBeDefined();
    expect(await statOf(d)).toMatchObject({ mode: '750', type: 'directory' });
    expect((await run(fileModule, { path: d, state: 'directory', mode: '0750' })).plan.changes).toEqual([]);

    const touched = `${d}/flag`;
    expect((await run(fileModule, { path: touched, state: 'touch' })).applied).toBeDefined();
    expect((await run(fileModule, { path: touched, state: 'touch' })).plan.changes).toEqual([]);

    const link = `${d}/current`;
    expect((await run(fileModule, { path: link, state: 'link', src: 'flag' })).applied).toBeDefined();
    expect((await run(fileModule, { path: link, state: 'link', src: 'flag' })).plan.changes).toEqual([]);

    const rec = { path: d, state: 'directory', recurse: true, mode: 'u=rwX,g=rX,o=', owner: fleet.sudoUser };
    const r1 = await run(fileModule, rec);
    expect(r1.applied).toBeDefined();
    expect(await statOf(touched)).toMatchObject({ mode: '640', owner: fleet.sudoUser });
    expect((await run(fileModule, rec)).plan.changes).toEqual([]);

    // check mode of every state with something to do: nothing moves
    const before = await fingerprint(base);
    const pending = [
      { path: `${d}/new/sub`, state: 'directory' },
      { path: `${d}/new-flag`, state: 'touch' },
      { path: link, state: 'link', src: 'elsewhere', force: true },
      { path: touched, state: 'absent' },
      { path: d, state: 'absent' },
      { path: touched, mode: '0600', owner: 'root' },
    ];
    for (const p of pending) {
      const c = await run(fileModule, p, { check: true, diff: true });
      expect(c.plan.changes.length, JSON.stringify(p)).toBeGreaterThan(0);
    }
    expect(await fingerprint(base)).toBe(before);

    const diffPlan = await run(fileModule, { path: touched, state: 'absent' }, { check: true, diff: true });
    expect(diffPlan.plan.diff).toEqual([{ label: touched, before: 'state: file\n', after: 'state: absent\n' }]);

    // absent + undo
    const gone = await run(fileModule, { path: touched, state: 'absent' });
    expect((await root.exec(['test', '-e', touched])).exitCode).not.toBe(0);
    expect((await run(fileModule, { path: touched, state: 'absent' })).plan.changes).toEqual([]);
    await fileModule.undo!(ctx(), gone.params, gone.applied!.undo);
    expect(await statOf(touched)).toMatchObject({ mode: '640', owner: fleet.sudoUser });

    // removing the directory removes everything in it
    await run(fileModule, { path: d, state: 'absent' });
    expect((await root.exec(['test', '-e', d])).exitCode).not.toBe(0);
  });

  it('file: become root as deploy creates root-owned directories', async () => {
    const d = `${base}/owned/by/root`;
    const r = await run(fileModule, { path: d, state: 'directory' }, { transport: deploy, become: { user: 'root' } });
    expect(r.applied).toBeDefined();
    expect((await statOf(d)).owner).toBe('root');
    expect((await statOf(`${base}/owned`)).owner).toBe('root');
    const mine = await run(fileModule, { path: `/home/${fleet.sudoUser}/rb-core-flag`, state: 'touch' }, { transport: deploy });
    expect(mine.applied).toBeDefined();
    expect((await statOf(`/home/${fleet.sudoUser}/rb-core-flag`)).owner).toBe(fleet.sudoUser);
    await root.exec(['rm', '-f', `/home/${fleet.sudoUser}/rb-core-flag`]);
  });

  it('command: literal argv, creates/removes, check mode, become', async () => {
    const weird = [NASTY, '', ' lead', 'trail ', '-n', '--', '*'];
    const echo = await run(commandModule, { argv: ['printf', '<%s>', ...weird] });
    expect(echo.applied).toMatchObject({ changed: true, failed: false });
    expect(echo.applied?.result?.stdout).toBe(weird.map((w) => `<${w}>`).join(''));

    const split = await run(commandModule, { cmd: `printf '%s|' "a  b" 'c d' $HOME $(id) "it's"` });
    expect(split.applied?.result?.stdout).toBe(`a  b|c d|$HOME|$(id)|it's|`);

    const dir = `${base}/cmd 'dir'`;
    await root.exec(['mkdir', '-p', dir]);
    const task = { cmd: 'touch made.txt', chdir: dir, creates: '*.txt' };
    const before = await fingerprint(dir);
    const checked = await run(commandModule, task, { check: true });
    expect(checked.plan.changes.length).toBe(1);
    expect(await fingerprint(dir)).toBe(before);
    expect((await run(commandModule, task)).applied?.changed).toBe(true);
    const second = await run(commandModule, task);
    expect(second.plan.changes).toEqual([]);
    expect(second.plan.result).toMatchObject({ rc: 0, stdout: 'skipped, since *.txt exists' });
    expect((await run(commandModule, { cmd: 'rm made.txt', chdir: dir, removes: 'none*' })).plan.changes).toEqual([]);

    const fail = await run(commandModule, { argv: ['ls', `${dir}/nope`] });
    expect(fail.applied).toMatchObject({ failed: true, msg: 'non-zero return code', result: { rc: 2 } });
    expect(fail.applied?.result?.stderr).toMatch(/No such file/);

    const stdin = await run(commandModule, { cmd: 'cat', stdin: NASTY });
    expect(stdin.applied?.result?.stdout).toBe(NASTY);

    const asDeploy = await run(commandModule, { cmd: 'id -un' }, { transport: deploy });
    expect(asDeploy.applied?.result?.stdout).toBe(fleet.sudoUser);
    const asRoot = await run(commandModule, { cmd: 'id -un' }, { transport: deploy, become: { user: 'root' } });
    expect(asRoot.applied?.result?.stdout).toBe('root');
    expect((await root.exec(['test', '-e', '/tmp/pwned'])).exitCode).not.toBe(0);
  });

  it('shell: pipes and redirections, chdir, executable, become', async () => {
    const dir = `${base}/shell dir`;
    await root.exec(['mkdir', '-p', dir]);
    const r = await run(shellModule, { cmd: 'printf "b\\na\\n" | sort > out.txt; cat out.txt; pwd', chdir: dir });
    expect(r.applied?.result).toMatchObject({ rc: 0, stdout_lines: ['a', 'b', dir] });
    const bash = await run(shellModule, { cmd: 'echo ${BASH_VERSION:+bash}', executable: '/bin/bash' });
    expect(bash.applied?.result?.stdout).toBe('bash');
    const guarded = await run(shellModule, { cmd: 'exit 1', creates: `${dir}/out.txt` });
    expect(guarded.plan.changes).toEqual([]);
    const sudo = await run(shellModule, { cmd: 'id -u; echo "$HOME"' }, { transport: deploy, become: { user: 'root' } });
    expect((sudo.applied?.result?.stdout_lines as string[])[0]).toBe('0');
  });
});
