import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import type { Transport } from '../../src/transport/types.js';
import service from '../../modules/service.js';
import systemd from '../../modules/systemd.js';
import { fleetTransport } from '../support/fleet-transport.js';
import { makeModuleContext } from '../support/module-context.js';

/**
 * The everyday system modules on a real host over SSH: first apply changed, second ok, check
 * mode changes nothing. The fleet hosts have no systemd: service/systemd use the sysvinit scripts.
 */

const fleet = inject('fleet');
const host = fleet?.hosts[0];

describe.skipIf(!fleet)('service and systemd on the fleet (sysvinit)', () => {
  let root: Transport;
  /** Whether nginx and rsyslog run, and every rc.d link: what service may change. */
  const snap = async () =>
    (
      await root.exec({
        script:
          'for s in nginx rsyslog; do service "$s" status >/dev/null 2>&1; echo "$s $?"; done; ls -l /etc/rc?.d | sort',
      })
    ).stdout;
  const running = async (name: string) => (await root.exec(['service', name, 'status'])).exitCode === 0;

  beforeAll(async () => {
    root = fleetTransport(fleet, host!.name, fleet.user);
    // Known start: nginx stopped (enabled by its package), rsyslog without rc.d links.
    await root.exec({ script: 'service nginx stop >/dev/null 2>&1; update-rc.d rsyslog remove >/dev/null 2>&1; exit 0' });
  });
  afterAll(async () => {
    await root?.exec({ script: 'service nginx stop >/dev/null 2>&1; update-rc.d rsyslog remove >/dev/null 2>&1; exit 0' });
    await root?.close?.();
  });

  it('started: check mode changes nothing, apply starts, second apply is ok; stopped stops', async () => {
    const params = { name: 'nginx', state: 'started' as const };
    const before = await snap();
    const cp = await service.plan(makeModuleContext({ transport: root, check: true }), params);
    expect(cp.changes).toEqual([{ field: 'state', before: 'stopped', after: 'started' }]);
    expect(await snap()).toBe(before);

    const ctx = makeModuleContext({ transport: root });
    const p1 = await service.plan(ctx, params);
    const a1 = await service.apply(ctx, params, p1);
    expect(a1.result).toMatchObject({ name: 'nginx', state: 'started', status: { manager: 'sysv' } });
    expect(await running('nginx')).toBe(true);
    expect((await service.plan(ctx, params)).changes).toEqual([]);

    const reload = await service.plan(ctx, { name: 'nginx', state: 'reloaded' });
    expect(reload.changes).toEqual([{ field: 'state', before: 'started', after: 'reloaded' }]);
    await service.apply(ctx, { name: 'nginx', state: 'reloaded' }, reload);
    expect(await running('nginx')).toBe(true);

    const stop = { name: 'nginx', state: 'stopped' as const };
    const a2 = await service.apply(ctx, stop, await service.plan(ctx, stop));
    expect(await running('nginx')).toBe(false);
    expect((await service.plan(ctx, stop)).changes).toEqual([]);
    // rollback of the stop starts it again
    await service.undo!(ctx, stop, a2.undo);
    expect(await running('nginx')).toBe(true);
    await service.apply(ctx, stop, await service.plan(ctx, stop));
  });

  it('enabled through update-rc.d: check mode changes nothing, enable, ok, disable (systemd module too)', async () => {
    const links = async () => (await root.exec({ script: 'ls /etc/rc2.d /etc/rc1.d | grep rsyslog; exit 0' })).stdout.trim();
    const on = { name: 'rsyslog', enabled: true };
    const before = await snap();
    const cp = await systemd.plan(makeModuleContext({ transport: root, check: true }), { ...on, daemon_reload: true });
    expect(cp.changes).toEqual([{ field: 'enabled', before: false, after: true }]);
    expect(await snap()).toBe(before);

    const ctx = makeModuleContext({ transport: root });
    await systemd.apply(ctx, on, await systemd.plan(ctx, on));
    expect(await links()).toBe('K01rsyslog\nS01rsyslog');
    expect((await systemd.plan(ctx, on)).changes).toEqual([]);
    expect((await service.plan(ctx, on)).changes).toEqual([]);

    const off = { name: 'rsyslog', enabled: false };
    const p = await service.plan(ctx, off);
    expect(p.changes).toEqual([{ field: 'enabled', before: true, after: false }]);
    await service.apply(ctx, off, p);
    expect(await links()).toBe('K01rsyslog\nK01rsyslog');
    expect((await service.plan(ctx, off)).changes).toEqual([]);
    expect(await running('rsyslog')).toBe(true);
  });

  it('a service that does not exist is a clear failure, before anything changes', async () => {
    const ctx = makeModuleContext({ transport: root });
    await expect(service.plan(ctx, { name: 'no-such-svc', state: 'started' })).rejects.toThrow(
      'service: could not find the service no-such-svc (no systemd and no /etc/init.d/no-such-svc)',
    );
  });
});
