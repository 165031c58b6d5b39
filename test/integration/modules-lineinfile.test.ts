import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import type { Transport } from '../../src/transport/types.js';
import lineinfile from '../../modules/lineinfile.js';
import blockinfile from '../../modules/blockinfile.js';
import { fleetTransport } from '../support/fleet-transport.js';
import { makeModuleContext } from '../support/module-context.js';

/** lineinfile on a real host over SSH: changed, then ok; check mode leaves the file as it was. */

const fleet = inject('fleet');
const host = fleet?.hosts[0];

describe.skipIf(!fleet)('lineinfile on the fleet', () => {
  let root: Transport;
  const base = `/srv/rb-lines-${randomBytes(4).toString('hex')}`;
  const file = `${base}/app.conf`;
  const snap = async () =>
    (await root.exec({ script: 'stat -c "%a %U %s %Y" "$1" && sha256sum "$1"', args: [file] })).stdout;

  beforeAll(async () => {
    root = fleetTransport(fleet, host!.name, fleet.user);
    const r = await root.exec({ script: 'mkdir -p "$1" && printf "port=80\\ndebug=1\\n" > "$1/app.conf" && chmod 0600 "$1/app.conf"', args: [base] });
    expect(r.exitCode).toBe(0);
  });
  afterAll(async () => {
    await root?.exec(['rm', '-rf', base]);
    await root?.close?.();
  });

  it('check mode changes nothing, apply changes, second apply is ok, mode is kept', async () => {
    const params = { path: file, regexp: '^port=', line: 'port=8080' };
    const before = await snap();
    const check = makeModuleContext({ transport: root, check: true, diff: true });
    const cp = await lineinfile.plan(check, params);
    expect(cp.changes.length).toBeGreaterThan(0);
    expect(cp.diff?.[0]).toMatchObject({ before: 'port=80\ndebug=1\n', after: 'port=8080\ndebug=1\n' });
    expect(await snap()).toBe(before);

    const ctx = makeModuleContext({ transport: root });
    const p1 = await lineinfile.plan(ctx, params);
    expect(p1.changes.length).toBeGreaterThan(0);
    await lineinfile.apply(ctx, params, p1);
    const cat = await root.exec(['cat', file]);
    expect(cat.stdout).toBe('port=8080\ndebug=1\n');
    expect((await root.exec(['stat', '-c', '%a', file])).stdout.trim()).toBe('600');
    const p2 = await lineinfile.plan(ctx, params);
    expect(p2.changes).toEqual([]);

    const absent = { path: file, regexp: '^debug', state: 'absent' as const };
    const p3 = await lineinfile.plan(ctx, absent);
    const a3 = await lineinfile.apply(ctx, absent, p3);
    expect((await root.exec(['cat', file])).stdout).toBe('port=8080\n');
    expect((await lineinfile.plan(ctx, absent)).changes).toEqual([]);
    await lineinfile.undo!(ctx, absent, a3.undo);
    expect((await root.exec(['cat', file])).stdout).toBe('port=8080\ndebug=1\n');
  });

  it('create: true makes a missing file; without it, a clear error', async () => {
    const ctx = makeModuleContext({ transport: root });
    const p = `${base}/new.conf`;
    await expect(lineinfile.plan(ctx, { path: p, line: 'x=1' })).rejects.toThrow(/does not exist/);
    const pl = await lineinfile.plan(ctx, { path: p, line: 'x=1', create: true, mode: '0644' });
    await lineinfile.apply(ctx, { path: p, line: 'x=1', create: true }, pl);
    expect((await root.exec(['cat', p])).stdout).toBe('x=1\n');
    expect((await lineinfile.plan(ctx, { path: p, line: 'x=1', create: true, mode: '0644' })).changes).toEqual([]);
  });

  it('blockinfile: check mode leaves the file as it was, apply changes, second apply ok, absent removes', async () => {
    const p = `${base}/hosts`;
    expect((await root.exec({ script: 'printf "127.0.0.1 localhost\\n" > "$1"', args: [p] })).exitCode).toBe(0);
    const sum = async () => (await root.exec(['sha256sum', p])).stdout;
    const params = { path: p, block: '10.0.0.5 db\n10.0.0.6 cache\n' };
    const before = await sum();
    const cp = await blockinfile.plan(makeModuleContext({ transport: root, check: true }), params);
    expect(cp.changes.length).toBeGreaterThan(0);
    expect(await sum()).toBe(before);
    const ctx = makeModuleContext({ transport: root });
    await blockinfile.apply(ctx, params, await blockinfile.plan(ctx, params));
    expect((await root.exec(['cat', p])).stdout).toBe(
      '127.0.0.1 localhost\n# BEGIN ANSIBLE MANAGED BLOCK\n10.0.0.5 db\n10.0.0.6 cache\n# END ANSIBLE MANAGED BLOCK\n',
    );
    expect((await blockinfile.plan(ctx, params)).changes).toEqual([]);
    const absent = { path: p, state: 'absent' as const };
    await blockinfile.apply(ctx, absent, await blockinfile.plan(ctx, absent));
    expect(await sum()).toBe(before);
  });
});
