import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import type { Transport } from '../../src/transport/types.js';
import service from '../../modules/service.js';
import systemd from '../../modules/systemd.js';
import user from '../../modules/user.js';
import group from '../../modules/group.js';
import apt from '../../modules/apt.js';
import packageModule from '../../modules/package.js';
import cron from '../../modules/cron.js';
import uri from '../../modules/uri.js';
import waitFor from '../../modules/wait_for.js';
import getUrl from '../../modules/get_url.js';
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

describe.skipIf(!fleet)('user and group on the fleet', () => {
  let root: Transport;
  const suffix = Math.random().toString(36).slice(2, 7);
  const uname = `rbu${suffix}`;
  const gname = `rbg${suffix}`;
  /** The account databases and /home: what user and group may change. */
  const snap = async () =>
    (await root.exec({ script: 'sha256sum /etc/passwd /etc/group /etc/shadow /etc/gshadow; ls -la /home' })).stdout;

  beforeAll(() => {
    root = fleetTransport(fleet, fleet.hosts[1]?.name ?? host!.name, fleet.user);
  });
  afterAll(async () => {
    await root?.exec({ script: 'userdel -r "$1" 2>/dev/null; groupdel "$2" 2>/dev/null; exit 0', args: [uname, gname] });
    await root?.close?.();
  });

  it('group: check mode changes nothing, groupadd, ok, groupmod gid', async () => {
    const params = { name: gname, gid: 4321 };
    const before = await snap();
    const cp = await group.plan(makeModuleContext({ transport: root, check: true }), params);
    expect(cp.changes).toEqual([{ field: 'group', before: '(absent)', after: gname }]);
    expect(await snap()).toBe(before);
    const ctx = makeModuleContext({ transport: root });
    await group.apply(ctx, params, await group.plan(ctx, params));
    expect((await root.exec(['getent', 'group', gname])).stdout.trim()).toBe(`${gname}:x:4321:`);
    expect((await group.plan(ctx, params)).changes).toEqual([]);
    const p2 = { name: gname, gid: 4322 };
    await group.apply(ctx, p2, await group.plan(ctx, p2));
    expect((await root.exec(['getent', 'group', gname])).stdout.trim()).toBe(`${gname}:x:4322:`);
  });

  it('user: check mode changes nothing, useradd with groups and hash, ok, usermod, absent', async () => {
    const hash = '$6$rbsalt$C2fRQo5m4n2mDC2bgzYpKpcAHpCDZqGMcC5wNHL9EoZxJ8M3yV6.wZbRZ8Uq8wqkq2Tz0cSx2X.ZpV3vQ4e8y/';
    const params = { name: uname, uid: 4321, groups: [gname], shell: '/bin/sh', password: hash };
    const before = await snap();
    const cp = await user.plan(makeModuleContext({ transport: root, check: true }), params);
    expect(cp.changes.map((c) => c.field)).toEqual(['user', 'password']);
    expect(JSON.stringify(cp)).not.toContain(hash);
    expect(await snap()).toBe(before);

    const ctx = makeModuleContext({ transport: root });
    const p1 = await user.plan(ctx, params);
    await user.apply(ctx, params, p1);
    expect((await root.exec(['getent', 'passwd', uname])).stdout.trim()).toBe(`${uname}:x:4321:4321::/home/${uname}:/bin/sh`);
    expect((await root.exec(['id', '-Gn', uname])).stdout.trim()).toBe(`${uname} ${gname}`);
    expect((await root.exec({ script: 'getent shadow "$1" | cut -d: -f2', args: [uname] })).stdout.trim()).toBe(hash);
    expect((await root.exec(['test', '-d', `/home/${uname}`])).exitCode).toBe(0);
    expect((await user.plan(ctx, params)).changes).toEqual([]);

    const mod = { name: uname, shell: '/bin/bash', groups: ['adm'], append: true };
    const pm = await user.plan(ctx, mod);
    expect(pm.changes).toEqual([
      { field: 'groups', before: gname, after: `${gname},adm` },
      { field: 'shell', before: '/bin/sh', after: '/bin/bash' },
    ]);
    await user.apply(ctx, mod, pm);
    expect((await root.exec(['id', '-Gn', uname])).stdout.trim().split(' ').sort()).toEqual(['adm', gname, uname].sort());
    expect((await user.plan(ctx, mod)).changes).toEqual([]);

    await expect(user.plan(ctx, { name: uname, groups: ['no-such-group-rb'] })).rejects.toThrow('user: group no-such-group-rb does not exist');

    const gone = { name: uname, state: 'absent' as const, remove: true };
    await user.apply(ctx, gone, await user.plan(ctx, gone));
    expect((await root.exec(['getent', 'passwd', uname])).exitCode).toBe(2);
    expect((await root.exec(['test', '-e', `/home/${uname}`])).exitCode).toBe(1);
    expect((await user.plan(ctx, gone)).changes).toEqual([]);
    const gg = { name: gname, state: 'absent' as const };
    await group.apply(ctx, gg, await group.plan(ctx, gg));
    expect((await group.plan(ctx, gg)).changes).toEqual([]);
  });
});

/**
 * apt against a local file: repository made in the test (a .deb built with dpkg-deb, a
 * hand-written Packages index, `deb [trusted=yes] file:/...`): apt's real path, with no traffic
 * beyond the host. The host's Debian mirror source is set aside meanwhile.
 */
describe.skipIf(!fleet)('apt and package on the fleet (local file: repository)', () => {
  let root: Transport;
  const repo = '/srv/rb-apt-repo';
  const PUBLISH = `
repo=$1; v=$2
old=$(stat -c %Y "$repo/Packages" 2>/dev/null || echo 0)
d=$(mktemp -d); mkdir -p "$d/DEBIAN" "$d/usr/share/rbtest" "$repo"
printf 'Package: rbtest\\nVersion: %s\\nArchitecture: all\\nMaintainer: runbook <test@example.invalid>\\nDescription: runbook test package\\n' "$v" > "$d/DEBIAN/control"
echo "$v" > "$d/usr/share/rbtest/version"
dpkg-deb --build --root-owner-group "$d" "$repo/rbtest_\${v}_all.deb" >/dev/null || exit 1
f="$repo/rbtest_\${v}_all.deb"
{ cat "$d/DEBIAN/control"; printf 'Filename: ./rbtest_%s_all.deb\\nSize: %s\\nSHA256: %s\\n\\n' "$v" "$(stat -c %s "$f")" "$(sha256sum < "$f" | cut -d' ' -f1)"; } > "$repo/Packages"
rm -rf "$d"
# apt reads a file: index again only if its mtime moved: a republish in the same second (same
# size too, 1.0 -> 1.1) would be taken as unchanged.
now=$(date +%s); [ "$now" -gt "$old" ] || now=$((old + 1)); touch -d "@$now" "$repo/Packages"
`;
  const snap = async () =>
    (await root.exec({ script: 'sha256sum /var/lib/dpkg/status; ls -la --time-style=+%s /var/lib/apt/lists /usr/share/rbtest 2>&1' })).stdout;

  beforeAll(async () => {
    root = fleetTransport(fleet, fleet.hosts[1]?.name ?? host!.name, fleet.user);
    const r = await root.exec({
      script:
        'mkdir -p "$1.aside" && for f in /etc/apt/sources.list.d/*.sources /etc/apt/sources.list; do [ -e "$f" ] && mv "$f" "$1.aside/"; done; ' +
        'echo "deb [trusted=yes] file:$1 ./" > /etc/apt/sources.list.d/rb-test.list && rm -f /var/lib/apt/periodic/update-success-stamp && ' +
        // lists as if never updated: the first plan must update them
        'find /var/lib/apt/lists -maxdepth 1 ! -type d ! -name lock -delete && touch -d 2000-01-01 /var/lib/apt/lists',
      args: [repo],
    });
    expect(r.exitCode).toBe(0);
    expect((await root.exec({ script: PUBLISH, args: [repo, '1.0'] })).exitCode).toBe(0);
  });
  afterAll(async () => {
    await root?.exec({
      script:
        'dpkg --purge rbtest >/dev/null 2>&1; rm -f /etc/apt/sources.list.d/rb-test.list; ' +
        'for f in "$1.aside"/*; do [ -e "$f" ] || continue; case $f in *.sources) mv "$f" /etc/apt/sources.list.d/ ;; *) mv "$f" /etc/apt/ ;; esac; done; rm -rf "$1" "$1.aside"',
      args: [repo],
    });
    await root?.close?.();
  });

  it('update_cache + present: check mode changes nothing, installs, second apply ok; latest upgrades; absent removes', async () => {
    const params = { name: ['rbtest'], update_cache: true, cache_valid_time: 3600 };
    const before = await snap();
    const cp = await apt.plan(makeModuleContext({ transport: root, check: true }), params);
    expect(cp.changes.map((c) => c.field)).toEqual(['cache', 'packages']);
    expect(await snap()).toBe(before);

    const ctx = makeModuleContext({ transport: root });
    const a1 = await apt.apply(ctx, params, await apt.plan(ctx, params));
    expect(a1.result).toMatchObject({ cache_updated: true });
    expect((await root.exec(['cat', '/usr/share/rbtest/version'])).stdout).toBe('1.0\n');
    expect((await apt.plan(ctx, params)).changes).toEqual([]);
    expect((await packageModule.plan(ctx, { name: 'rbtest' })).changes).toEqual([]);

    expect((await root.exec({ script: PUBLISH, args: [repo, '1.1'] })).exitCode).toBe(0);
    const latest = { name: 'rbtest', state: 'latest' as const, update_cache: true };
    const pl = await apt.plan(ctx, latest);
    await apt.apply(ctx, latest, pl);
    expect((await root.exec(['cat', '/usr/share/rbtest/version'])).stdout).toBe('1.1\n');
    expect((await apt.plan(ctx, { name: 'rbtest', state: 'latest' })).changes).toEqual([]);

    await expect(apt.plan(ctx, { name: 'no-such-package-rb' })).rejects.toThrow('apt: no package no-such-package-rb in the package lists');

    const gone = { name: 'rbtest', state: 'absent' as const };
    const checkGone = await packageModule.plan(makeModuleContext({ transport: root, check: true }), gone);
    expect(checkGone.changes).toEqual([{ field: 'packages', before: 'rbtest=1.1', after: '(absent)' }]);
    await packageModule.apply(ctx, gone, await packageModule.plan(ctx, gone));
    expect((await root.exec(['test', '-e', '/usr/share/rbtest/version'])).exitCode).toBe(1);
    expect((await packageModule.plan(ctx, gone)).changes).toEqual([]);
  });
});

describe.skipIf(!fleet)('cron on the fleet (no crontab binary: the spool file; and /etc/cron.d)', () => {
  let root: Transport;
  const who = `rbc${Math.random().toString(36).slice(2, 7)}`;
  const spool = `/var/spool/cron/crontabs/${who}`;
  const cronFile = `/etc/cron.d/${who}`;
  const snap = async () =>
    (await root.exec({ script: 'ls -la /var/spool/cron/crontabs /etc/cron.d 2>&1; cat "$1" "$2" 2>&1', args: [spool, cronFile] })).stdout;

  beforeAll(async () => {
    root = fleetTransport(fleet, host!.name, fleet.user);
    expect((await root.exec(['useradd', '-M', who])).exitCode).toBe(0);
  });
  afterAll(async () => {
    await root?.exec({ script: 'rm -f "$2" "$3"; userdel "$1"; exit 0', args: [who, spool, cronFile] });
    await root?.close?.();
  });

  it("a user's entry: check mode changes nothing, apply writes it (0600, owned by the user), ok, Ansible's entry edited in place, absent, undo", async () => {
    const params = { name: 'nightly', minute: '30', hour: '2', job: '/usr/local/bin/nightly', user: who };
    const before = await snap();
    const cp = await cron.plan(makeModuleContext({ transport: root, check: true, diff: true }), params);
    expect(cp.diff?.[0]).toMatchObject({ before: '', after: '#Ansible: nightly\n30 2 * * * /usr/local/bin/nightly\n' });
    expect(await snap()).toBe(before);

    const ctx = makeModuleContext({ transport: root });
    await cron.apply(ctx, params, await cron.plan(ctx, params));
    expect((await root.exec(['cat', spool])).stdout).toBe('#Ansible: nightly\n30 2 * * * /usr/local/bin/nightly\n');
    expect((await root.exec(['stat', '-c', '%a %U', spool])).stdout.trim()).toBe(`600 ${who}`);
    expect((await cron.plan(ctx, params)).changes).toEqual([]);

    // An entry another tool wrote with the same marker convention is recognised and replaced in place.
    expect((await root.exec({ script: 'printf "MAILTO=ops\\n#Ansible: nightly\\n0 1 * * * /old\\n" > "$1"', args: [spool] })).exitCode).toBe(0);
    const p2 = await cron.plan(ctx, params);
    const a2 = await cron.apply(ctx, params, p2);
    expect((await root.exec(['cat', spool])).stdout).toBe('MAILTO=ops\n#Ansible: nightly\n30 2 * * * /usr/local/bin/nightly\n');
    await cron.undo!(ctx, params, a2.undo);
    expect((await root.exec(['cat', spool])).stdout).toBe('MAILTO=ops\n#Ansible: nightly\n0 1 * * * /old\n');

    const gone = { name: 'nightly', state: 'absent' as const, user: who };
    await cron.apply(ctx, gone, await cron.plan(ctx, gone));
    expect((await root.exec(['cat', spool])).stdout).toBe('MAILTO=ops\n');
    expect((await cron.plan(ctx, gone)).changes).toEqual([]);
  });

  it('a cron_file entry with special_time and user; removed with the file when empty', async () => {
    const params = { name: 'warm', special_time: 'reboot' as const, job: '/bin/true', cron_file: who, user: 'root' };
    const before = await snap();
    expect((await cron.plan(makeModuleContext({ transport: root, check: true }), params)).changes.length).toBe(1);
    expect(await snap()).toBe(before);
    const ctx = makeModuleContext({ transport: root });
    await cron.apply(ctx, params, await cron.plan(ctx, params));
    expect((await root.exec(['cat', cronFile])).stdout).toBe('#Ansible: warm\n@reboot root /bin/true\n');
    expect((await cron.plan(ctx, params)).changes).toEqual([]);
    const gone = { name: 'warm', state: 'absent' as const, cron_file: who };
    await cron.apply(ctx, gone, await cron.plan(ctx, gone));
    expect((await root.exec(['test', '-e', cronFile])).exitCode).toBe(1);
  });
});

/** HTTP from h1 to a python3 http.server on h2, reached by h2's private address. */
describe.skipIf(!fleet || fleet.hosts.length < 2)('wait_for and uri on the fleet', () => {
  let h1: Transport;
  let h2: Transport;
  const port = 18765;
  const dir = '/srv/rb-http';
  const server = () => fleet.hosts[1].address;

  beforeAll(async () => {
    h1 = fleetTransport(fleet, fleet.hosts[0].name, fleet.user);
    h2 = fleetTransport(fleet, fleet.hosts[1].name, fleet.user);
    const r = await h2.exec({
      script:
        'mkdir -p "$1" && printf \'{"version": "1.2", "ok": true}\' > "$1/info.json" && printf "hello\\n" > "$1/hello.txt" && ' +
        'cd "$1" && { setsid python3 -m http.server "$2" --bind 0.0.0.0 > /dev/null 2>&1 < /dev/null & echo $! > "$1.pid"; }',
      args: [dir, String(port)],
    });
    expect(r.exitCode).toBe(0);
  });
  afterAll(async () => {
    await h2?.exec({ script: 'kill "$(cat "$1.pid")"; rm -rf "$1" "$1.pid"; exit 0', args: [dir] });
    await h1?.close?.();
    await h2?.close?.();
  });

  it('wait_for: the port opens; a closed port times out with a clear message; check mode runs it too', async () => {
    const ctx = makeModuleContext({ transport: h1, check: true });
    const p = await waitFor.plan(ctx, { host: server(), port, timeout: 20 });
    expect(p.changes).toEqual([]);
    expect(p.result).toMatchObject({ state: 'started', port });
    await expect(waitFor.plan(ctx, { host: server(), port: port + 1, timeout: 1 })).rejects.toThrow(
      `wait_for: timeout after 1 seconds waiting for ${server()}:${port + 1} to be started`,
    );
    expect((await waitFor.plan(ctx, { host: server(), port: port + 1, state: 'stopped', timeout: 1 })).changes).toEqual([]);
  });

  it('uri: GET registers status, headers and the parsed JSON; a wrong status fails; a POST with a JSON body reaches the server', async () => {
    const ctx = makeModuleContext({ transport: h1 });
    await waitFor.plan(ctx, { host: server(), port, timeout: 20 });
    const params = { url: `http://${server()}:${port}/info.json`, return_content: true };
    const plan = await uri.plan(ctx, params);
    const a = await uri.apply(ctx, params, plan);
    expect(a.changed).toBe(false);
    expect(a.result).toMatchObject({ status: 200, content_type: 'application/json', json: { version: '1.2', ok: true }, content: '{"version": "1.2", "ok": true}' });
    const missing = { url: `http://${server()}:${port}/nope` };
    await expect(uri.apply(ctx, missing, await uri.plan(ctx, missing))).rejects.toThrow('uri: status code was 404 and not [200]');
    const a404 = await uri.apply(ctx, { ...missing, status_code: [404] }, await uri.plan(ctx, missing));
    expect(a404.result).toMatchObject({ status: 404 });
    // http.server answers POST with 501: the request (method, JSON body) got there and the status is reported.
    const post = { url: `http://${server()}:${port}/api`, method: 'POST', body: { a: 1 }, body_format: 'json' as const, status_code: [501] };
    expect((await uri.apply(ctx, post, await uri.plan(ctx, post))).result).toMatchObject({ status: 501 });
  });
  it('get_url: check mode changes nothing, downloads with checksum and mode, second run ok, mismatch fails, force replaces changed content', async () => {
    const ctx = makeModuleContext({ transport: h1 });
    await waitFor.plan(ctx, { host: server(), port, timeout: 20 });
    const dest = '/srv/rb-get/hello.txt';
    expect((await h1.exec(['mkdir', '-p', '/srv/rb-get'])).exitCode).toBe(0);
    const sha = 'sha256:5891b5b522d5df086d0ff0b110fbd9d21bb4fc7163af34d08286a2e846f6be03'; // "hello\\n"
    const params = { url: `http://${server()}:${port}/hello.txt`, dest, checksum: sha, mode: '0640' };
    const ls = async () => (await h1.exec({ script: 'ls -la /srv/rb-get; cat /srv/rb-get/* 2>/dev/null; exit 0' })).stdout;
    const before = await ls();
    const cp = await getUrl.plan(makeModuleContext({ transport: h1, check: true }), params);
    expect(cp.changes).toEqual([{ field: 'content', before: '(absent)', after: sha }]);
    expect(await ls()).toBe(before);

    await getUrl.apply(ctx, params, await getUrl.plan(ctx, params));
    expect((await h1.exec(['cat', dest])).stdout).toBe('hello\n');
    expect((await h1.exec(['stat', '-c', '%a', dest])).stdout.trim()).toBe('640');
    expect((await getUrl.plan(ctx, params)).changes).toEqual([]);
    // only the mode differs: a chmod, no download
    const pm = await getUrl.plan(ctx, { ...params, mode: '0644' });
    expect(pm.changes).toEqual([{ field: 'mode', before: '0640', after: '0644' }]);

    // into a directory: the URL's file name; a wrong checksum fails and leaves nothing behind
    const bad = { url: params.url, dest: '/srv/rb-get/', checksum: `sha256:${'0'.repeat(64)}` };
    const pb = await getUrl.plan(ctx, bad);
    expect(pb.result).toMatchObject({ dest: '/srv/rb-get/hello.txt' });
    await expect(getUrl.apply(ctx, bad, pb)).rejects.toThrow('checksum mismatch');
    expect((await h1.exec(['cat', dest])).stdout).toBe('hello\n');
    expect((await h1.exec({ script: 'ls -A /srv/rb-get' })).stdout.trim()).toBe('hello.txt');

    // without checksum: kept unless force, and with force replaced only when the URL serves other content
    expect((await h1.exec({ script: 'echo old > "$1"', args: [dest] })).exitCode).toBe(0);
    const plain = { url: params.url, dest };
    expect((await getUrl.plan(ctx, plain)).changes).toEqual([]);
    const forced = { ...plain, force: true };
    const pf = await getUrl.plan(ctx, forced);
    expect(pf.changes.map((c) => c.field)).toEqual(['content']);
    await getUrl.apply(ctx, forced, pf);
    expect((await h1.exec(['cat', dest])).stdout).toBe('hello\n');
    expect((await getUrl.plan(ctx, forced)).changes).toEqual([]);
    await h1.exec(['rm', '-rf', '/srv/rb-get']);
  });
});
