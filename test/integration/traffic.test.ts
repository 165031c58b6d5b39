import { randomBytes } from 'node:crypto';
import { rm } from 'node:fs/promises';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import type { ApplyResult, ModuleDefinition, Plan } from '../../src/core/module.js';
import type { Transport } from '../../src/transport/types.js';
import { validateParams } from '../../src/executor/params.js';
import nginxLb from '../../modules/nginx_lb.js';
import { backendStates as backendStatesOf } from '../../modules/_lib/nginx.js';
import healthCheck from '../../modules/health_check.js';
import logAgent from '../../modules/log_agent.js';
import { rsyslogValidateArgv } from '../../modules/_lib/rsyslog.js';
import { fleetTransport } from '../support/fleet-transport.js';
import { makeModuleContext } from '../support/module-context.js';
import { runbook, scratch } from '../support/cli.js';

/**
 * nginx_lb, health_check and log_agent on the fleet: h1..h3 run the app (one container each,
 * serving its host name at /whoami), h4 balances them and collects logs.
 */

const fleet = inject('fleet');
const SITE = '/etc/nginx/conf.d/rbt.conf';
const LB_PORT = 8000;
const APP_PORT = 8080;
const BAD_PORT = 8081;

describe.skipIf(!fleet?.withDocker || (fleet?.hosts.length ?? 0) < 4)('traffic, health and logs on the fleet', () => {
  const t: Record<string, Transport> = {};
  const names = fleet ? fleet.hosts.map((h) => h.name) : [];
  const web = names.slice(0, 3);
  const lb = names[3]!;
  const addr = (h: string) => fleet.hosts.find((x) => x.name === h)!.address;
  const vars = {
    groups: { web, lb: [lb] },
    hostvars: Object.fromEntries(fleet ? fleet.hosts.map((h) => [h.name, { private_address: h.address, ansible_host: '127.0.0.1' }]) : []),
  };

  function transportFor(h: string): Transport {
    return fleetTransport(fleet, h, fleet.user);
  }

  async function sh(h: string, script: string, ...args: string[]): Promise<string> {
    const r = await t[h]!.exec({ script, args });
    expect(r.exitCode, `${h}: ${script}\n${r.stderr}`).toBe(0);
    return r.stdout;
  }

  async function run(
    h: string,
    mod: ModuleDefinition<any, any>,
    raw: Record<string, unknown>,
    o: { check?: boolean; diff?: boolean } = {},
  ): Promise<{ plan: Plan<any>; applied?: ApplyResult; params: any }> {
    const v = validateParams(mod, raw);
    if (!v.ok) throw new Error(v.message);
    const c = makeModuleContext({ transport: t[h]!, check: o.check, diff: o.diff, vars });
    const plan = await mod.plan(c, v.params);
    if (o.check || plan.changes.length === 0 || mod.readOnly) return { plan, params: v.params };
    return { plan, applied: await mod.apply(c, v.params, plan), params: v.params };
  }

  async function undo(h: string, mod: ModuleDefinition<any, any>, raw: Record<string, unknown>, rec: unknown) {
    const v = validateParams(mod, raw);
    if (!v.ok) throw new Error(v.message);
    await mod.undo!(makeModuleContext({ transport: t[h]!, vars }), v.params, rec);
  }

  /** Which hosts answered `n` requests through the LB (from inside the LB host). */
  async function spread(n: number): Promise<string[]> {
    const out = await sh(
      lb,
      'i=0; while [ $i -lt "$2" ]; do curl -sS --max-time 5 "http://127.0.0.1:$1/whoami" || echo FAILED; i=$((i+1)); done',
      String(LB_PORT),
      String(n),
    );
    return out.split('\n').filter(Boolean);
  }

  /** Poll (bounded) until a batch of requests satisfies `ok`; returns that batch. */
  async function spreadUntil(ok: (seen: string[]) => boolean): Promise<string[]> {
    let seen: string[] = [];
    for (let i = 0; i < 40; i++) {
      seen = await spread(12);
      if (ok(seen)) return seen;
      await new Promise((r) => setTimeout(r, 250));
    }
    return seen;
  }

  /** Site file, nginx pid and nginx state: what check mode must leave alone. */
  const lbState = () =>
    sh(lb, 'sha256sum "$1" 2>/dev/null || echo "no $1"; cat /run/nginx.pid 2>/dev/null || echo "no pid"', SITE);

  beforeAll(async () => {
    for (const h of names) t[h] = transportFor(h);
    await Promise.all(
      web.map((h) =>
        sh(
          h,
          `mkdir -p /srv/rbt && hostname > /srv/rbt/whoami
docker rm -f rbt-app rbt-bad rbt-printer >/dev/null 2>&1 || :
docker run -d --init --name rbt-app -p "$1:80" -v /srv/rbt/whoami:/www/whoami:ro runbook-app:v1 >/dev/null
docker run -d --init --name rbt-bad -p "$2:80" runbook-app:bad >/dev/null
i=0; until curl -fsS -o /dev/null "http://127.0.0.1:$1/health"; do i=$((i+1)); [ $i -lt 100 ] || exit 1; sleep 0.1; done`,
          String(APP_PORT),
          String(BAD_PORT),
        ),
      ),
    );
    // The LB starts from nothing: no site, nginx stopped.
    await sh(lb, 'rm -f "$1"; if [ -s /run/nginx.pid ]; then nginx -s stop; fi; i=0; while [ -s /run/nginx.pid ] && [ $i -lt 100 ]; do i=$((i+1)); sleep 0.1; done; :', SITE);
  }, 120_000);

  afterAll(async () => {
    await Promise.all(web.map((h) => t[h]?.exec({ script: 'docker rm -f rbt-app rbt-bad rbt-printer >/dev/null 2>&1; rm -rf /srv/rbt /var/log/rbt-app; :' })));
    await t[lb]?.exec({ script: 'rm -f "$1"; nginx -s stop 2>/dev/null; :', args: [SITE] });
    for (const h of names) await t[h]?.close();
  });

  const site = { name: 'rbt', listen: LB_PORT, group: 'web', port: APP_PORT, max_fails: 2, fail_timeout: '5s', proxy_next_upstream_tries: 3 };

  it('nginx_lb: check mode first, then changed (nginx started), spreads over all three, then ok', async () => {
    const before = await lbState();
    const checked = await run(lb, nginxLb, site, { check: true, diff: true });
    expect(checked.plan.changes.map((c) => c.field)).toEqual([SITE, 'nginx']);
    expect(checked.plan.diff?.[0]?.after).toContain(`server ${addr(web[0]!)}:${APP_PORT} max_fails=2 fail_timeout=5s;`);
    expect(await lbState()).toBe(before);

    const first = await run(lb, nginxLb, site);
    expect(first.applied?.result?.nginx).toBe('started');
    expect(first.applied?.undo).toEqual({ path: SITE, before: null });
    const seen = await spreadUntil((s) => web.every((h) => s.includes(h)));
    expect(new Set(seen)).toEqual(new Set(web));

    expect((await run(lb, nginxLb, site)).plan.changes).toEqual([]);

    // nginx down, site unchanged: check mode reports the start and leaves it down; the run starts it
    await sh(lb, 'nginx -s stop; i=0; while [ -s /run/nginx.pid ] && [ $i -lt 100 ]; do i=$((i+1)); sleep 0.1; done; [ ! -s /run/nginx.pid ]');
    const down = await lbState();
    expect((await run(lb, nginxLb, site, { check: true })).plan.changes).toEqual([{ field: 'nginx', before: 'stopped', after: 'running' }]);
    expect(await lbState()).toBe(down);
    expect((await run(lb, nginxLb, site)).applied?.result?.nginx).toBe('started');
    expect(new Set(await spreadUntil((s) => web.every((h) => s.includes(h))))).toEqual(new Set(web));
    expect((await run(lb, nginxLb, site)).plan.changes).toEqual([]);

    for (const method of ['least_conn', 'ip_hash']) {
      const p = { ...site, method };
      const c = await run(lb, nginxLb, p, { check: true });
      expect(c.plan.diff).toBeUndefined(); // no --diff asked
      expect(c.plan.changes.length).toBe(1);
    }
  });

  it('nginx_lb: drain takes a backend out of rotation, active brings it back; each idempotent; undo restores', async () => {
    const target = `${addr(web[1]!)}:${APP_PORT}`;
    const drain = { name: 'rbt', backend: target, state: 'drained' };
    const before = (await t[lb]!.get(SITE))!.toString();

    const d = await run(lb, nginxLb, drain, { diff: true });
    expect(d.plan.changes.length).toBe(1);
    expect(d.applied?.result?.nginx).toBe('reloaded');
    expect(d.applied?.result?.backends).toMatchObject({ [target]: 'drained' });
    expect((await t[lb]!.get(SITE))!.toString()).toContain(`server ${target} max_fails=2 fail_timeout=5s down;`);
    // the reload has taken effect when the task returns: no request reaches the drained host
    const after = await spread(30);
    expect(after).not.toContain(web[1]);
    expect(new Set(after)).toEqual(new Set([web[0], web[2]]));
    expect((await run(lb, nginxLb, drain)).plan.changes).toEqual([]);

    // check mode for `active`: a change is reported, nothing moves
    const mid = await lbState();
    const activate = { ...drain, state: 'active' };
    expect((await run(lb, nginxLb, activate, { check: true })).plan.changes.length).toBe(1);
    expect(await lbState()).toBe(mid);

    await run(lb, nginxLb, activate);
    expect((await t[lb]!.get(SITE))!.toString()).toBe(before);
    expect(new Set(await spread(30))).toEqual(new Set(web));
    expect((await run(lb, nginxLb, activate)).plan.changes).toEqual([]);

    // two hosts' tasks draining their backends at once (a rollout batch): both edits land
    const two = [web[0]!, web[2]!].map((h) => ({ name: 'rbt', backend: `${addr(h)}:${APP_PORT}`, state: 'drained' }));
    const plans = await Promise.all(two.map((p) => run(lb, nginxLb, p)));
    expect(plans.every((r) => r.plan.changes.length === 1)).toBe(true);
    expect(backendStatesOf((await t[lb]!.get(SITE))!.toString())).toEqual({
      [`${addr(web[0]!)}:${APP_PORT}`]: 'drained',
      [`${addr(web[1]!)}:${APP_PORT}`]: 'active',
      [`${addr(web[2]!)}:${APP_PORT}`]: 'drained',
    });
    expect(new Set(await spread(12))).toEqual(new Set([web[1]]));
    await Promise.all(two.map((p) => run(lb, nginxLb, { ...p, state: 'active' })));
    expect((await t[lb]!.get(SITE))!.toString()).toBe(before);

    // undo of the drain puts the drained file back
    await undo(lb, nginxLb, drain, d.applied!.undo);
    expect((await t[lb]!.get(SITE))!.toString()).toBe(before);

    await expect(run(lb, nginxLb, { name: 'rbt', backend: '10.9.9.9:1', state: 'drained' })).rejects.toThrow(
      /backend 10\.9\.9\.9:1 is not in the upstream of \/etc\/nginx\/conf\.d\/rbt\.conf \(found: /,
    );
  });

  it('nginx_lb: a broken parameter fails nginx -t with its message, the previous site stays and serves', async () => {
    const before = (await t[lb]!.get(SITE))!.toString();
    const pid = await sh(lb, 'cat /run/nginx.pid');
    const broken = {
      name: 'rbt',
      listen: LB_PORT,
      method: 'ip_hash',
      backends: web.map((h, i) => ({ address: `${addr(h)}:${APP_PORT}`, backup: i === 2 })),
    };
    const err = await run(lb, nginxLb, broken).then(
      () => null,
      (e: Error) => e,
    );
    expect(err).not.toBeNull();
    expect(err!.message).toMatch(new RegExp(`^${lb}: nginx -t rejected the new ${SITE} \\(exit 1\\); the previous file is restored:\\n`));
    expect(err!.message).toMatch(/\[emerg\] .*balancing method does not support parameter "backup" in \/etc\/nginx\/conf\.d\/rbt\.conf:6/);
    expect(err!.message).toMatch(/nginx: configuration file \/etc\/nginx\/nginx\.conf test failed/);
    expect((await t[lb]!.get(SITE))!.toString()).toBe(before);
    expect(await sh(lb, 'cat /run/nginx.pid')).toBe(pid);
    const seen = await spread(12);
    expect(new Set(seen)).toEqual(new Set(web));
  });

  it('nginx_lb: a site nginx -t accepts but nginx cannot load (port in use) fails the reload and is put back', async () => {
    const before = (await t[lb]!.get(SITE))!.toString();
    const err = await run(lb, nginxLb, { ...site, listen: 22 }).then(
      () => null,
      (e: Error) => e,
    );
    expect(err?.message).toMatch(new RegExp(`^${lb}: nginx -s reload failed \\(exit 1\\): nginx did not load the new configuration`));
    expect(err?.message).toMatch(/bind\(\) to 0\.0\.0\.0:22 failed \(98: Address already in use\)/);
    expect(err?.message).toMatch(/the previous \/etc\/nginx\/conf\.d\/rbt\.conf is restored$/);
    expect((await t[lb]!.get(SITE))!.toString()).toBe(before);
    expect(new Set(await spread(12))).toEqual(new Set(web));
    expect((await run(lb, nginxLb, site)).plan.changes).toEqual([]);
  });

  it('runbook play: nginx_lb from the web group and health_check through it; changed, then ok, then --check ok', async () => {
    const play = `- hosts: lb
  tasks:
    - name: site from the web group
      nginx_lb: { name: rbtplay, listen: 8001, group: web, port: ${APP_PORT}, method: least_conn }
    - name: through the LB
      health_check: { http: { url: "http://127.0.0.1:8001/health", body: "^ok v1" }, retries: 5, delay: 0.2 }
`;
    const dir = scratch({ 'site.yml': play });
    const args = ['play', path.join(dir, 'site.yml'), '-i', fleet.inventoryPath, '--output', 'json'];
    try {
      const first = await runbook(args);
      expect(first.summary?.hosts[lb], first.stdout + first.stderr).toMatchObject({ changed: 1, ok: 1, failed: 0 });
      const conf = (await t[lb]!.get('/etc/nginx/conf.d/rbtplay.conf'))!.toString();
      for (const h of web) expect(conf).toContain(`server ${addr(h)}:${APP_PORT};`);
      const second = await runbook(args);
      expect(second.summary?.hosts[lb], second.stdout + second.stderr).toMatchObject({ changed: 0, ok: 2, failed: 0 });
      await t[lb]!.exec(['sed', '-i', 's/least_conn/ip_hash/', '/etc/nginx/conf.d/rbtplay.conf']);
      const drifted = await sh(lb, 'sha256sum /etc/nginx/conf.d/rbtplay.conf');
      const checked = await runbook([...args, '--check']);
      expect(checked.summary?.hosts[lb], checked.stdout + checked.stderr).toMatchObject({ changed: 1, ok: 1, failed: 0 });
      expect(await sh(lb, 'sha256sum /etc/nginx/conf.d/rbtplay.conf')).toBe(drifted);
    } finally {
      await t[lb]!.exec({ script: 'rm -f /etc/nginx/conf.d/rbtplay.conf && nginx -s reload' });
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('health_check: passes on the healthy app, fails clearly on the bad one; never changed, runs in check mode', async () => {
    const h = web[0]!;
    const ok = await run(h, healthCheck, { http: { url: `http://127.0.0.1:${APP_PORT}/health`, body: '^ok v1' } });
    expect(ok.plan.changes).toEqual([]);
    expect(ok.plan.result).toMatchObject({ status: 200, attempts: 1 });
    expect(ok.applied).toBeUndefined();
    const inCheck = await run(h, healthCheck, { http: { url: `http://127.0.0.1:${APP_PORT}/health` } }, { check: true });
    expect(inCheck.plan.result).toMatchObject({ status: 200 });

    const bad = run(h, healthCheck, { http: { url: `http://127.0.0.1:${BAD_PORT}/health` }, retries: 2, delay: 0.1 });
    await expect(bad).rejects.toThrow(
      new RegExp(`^${h}: health check of http://127\\.0\\.0\\.1:${BAD_PORT}/health failed after 3 attempts \\(from target\\); last: GET http://127\\.0\\.0\\.1:${BAD_PORT}/health: status 404, expected 200; body: "`),
    );
    // the bad app answers / with its version, and a body regex that does not match says so
    await expect(run(h, healthCheck, { http: { url: `http://127.0.0.1:${BAD_PORT}/`, body: '^v1' } })).rejects.toThrow(
      /status 200.*|body does not match \/\^v1\/; body: "bad"/,
    );
    await expect(run(h, healthCheck, { http: { url: 'http://127.0.0.1:1/' }, timeout: 2 })).rejects.toThrow(
      /last: no response from http:\/\/127\.0\.0\.1:1\/: curl: \(7\)/,
    );

    // tcp from the target (bash /dev/tcp) and from the controller
    expect((await run(h, healthCheck, { tcp: { port: APP_PORT } })).plan.result).toMatchObject({ attempts: 1 });
    await expect(run(h, healthCheck, { tcp: { host: '127.0.0.1', port: 1 }, timeout: 2 })).rejects.toThrow(
      /health check of 127\.0\.0\.1:1 failed after 1 attempt \(from target\); last: cannot connect to 127\.0\.0\.1:1: .*refused/i,
    );
    const sshPort = fleet.hosts[0]!.port;
    expect((await run(h, healthCheck, { tcp: { host: '127.0.0.1', port: sshPort }, from: 'controller' })).plan.changes).toEqual([]);
    await expect(run(h, healthCheck, { tcp: { host: '127.0.0.1', port: 1 }, from: 'controller' })).rejects.toThrow(
      /\(from controller\); last: cannot connect to 127\.0\.0\.1:1: connect ECONNREFUSED/,
    );

    // http from the controller, against a server on the controller's loopback that turns healthy on its third answer
    let hits = 0;
    const server = createServer((req, res) => {
      hits++;
      if (req.headers['x-probe'] !== 'rb') res.writeHead(400).end('no probe header');
      else if (hits < 3) res.writeHead(503).end('starting up');
      else res.writeHead(200).end('ready');
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/`;
    try {
      const c = await run(h, healthCheck, { http: { url, body: 'ready', headers: { 'X-Probe': 'rb' } }, from: 'controller', retries: 4, delay: 0.05 });
      expect(c.plan.result).toMatchObject({ status: 200, attempts: 3, body: 'ready' });
      hits = 0;
      await expect(run(h, healthCheck, { http: { url, headers: { 'X-Probe': 'rb' } }, from: 'controller', retries: 1, delay: 0 })).rejects.toThrow(
        new RegExp(`failed after 2 attempts \\(from controller\\); last: GET ${url.replace(/[./]/g, '\\$&')}: status 503, expected 200; body: "starting up"`),
      );
    } finally {
      server.close();
    }

    // command
    expect((await run(h, healthCheck, { command: ['test', '-s', '/srv/rbt/whoami'] })).plan.result).toMatchObject({ rc: 0 });
    await expect(run(h, healthCheck, { command: 'echo not ready >&2; exit 3' })).rejects.toThrow(
      /last: echo not ready >&2; exit 3: exit 3; output: "not ready"/,
    );
  });

  it('log_agent: a file line and a container line from an app host reach the collector; changed, ok, check, absent', async () => {
    const app = web[0]!;
    const mark = randomBytes(6).toString('hex');
    const collected = '/var/log/rbt-collected.log';
    const collector = { name: 'rbt-collect', listen: { port: 5514, protocol: 'tcp', path: collected } };
    const shipper = {
      name: 'rbt-ship',
      sources: [
        { path: '/var/log/rbt-app/*.log', tag: 'rbtapp' },
        { containers: true, tag: 'rbtdocker' },
      ],
      forward_to: { host: addr(lb), port: 5514, protocol: 'tcp' },
    };
    const confOf = (name: string) => `/etc/rsyslog.d/60-runbook-${name}.conf`;
    const rsState = (h: string, name: string) =>
      sh(h, 'sha256sum "$1" 2>/dev/null || echo "no $1"; cat /run/rsyslogd.pid', confOf(name));
    await sh(app, 'mkdir -p /var/log/rbt-app && : > /var/log/rbt-app/app.log');
    await t[lb]!.exec({ script: 'rm -f "$1" "$2"; :', args: [confOf('rbt-collect'), collected] });
    await t[app]!.exec({ script: 'rm -f "$1"; :', args: [confOf('rbt-ship')] });

    for (const [h, p] of [[lb, collector], [app, shipper]] as const) {
      const s0 = await rsState(h, p.name);
      const c = await run(h, logAgent, p, { check: true, diff: true });
      expect(c.plan.changes.length).toBe(1);
      expect(c.plan.diff?.[0]?.after).toContain('# Managed by runbook');
      expect(await rsState(h, p.name)).toBe(s0);
      const first = await run(h, logAgent, p);
      expect(first.applied?.undo).toMatchObject({ path: confOf(p.name), before: null });
      expect(await rsState(h, p.name)).not.toBe(s0); // written and restarted (new pid)
      expect((await run(h, logAgent, p)).plan.changes).toEqual([]);
    }

    await sh(app, 'echo "file line $1" >> /var/log/rbt-app/app.log', mark);
    await sh(app, 'docker run -d --name rbt-printer runbook-app:v1 sh -c "echo container line $1; sleep 600" >/dev/null', mark);
    const arrived = await sh(
      lb,
      `i=0; while [ $i -lt 150 ]; do
  if grep -q "file line $2" "$1" 2>/dev/null && grep -q "container line $2" "$1"; then break; fi
  i=$((i+1)); sleep 0.2
done; grep "$2" "$1" 2>/dev/null || :`,
      collected,
      mark,
    );
    expect(arrived).toMatch(new RegExp(`rbtapp: file line ${mark}`));
    // the container's line arrives as its text, not docker's JSON wrapper
    expect(arrived).toMatch(new RegExp(`rbtdocker: container line ${mark}$`, 'm'));

    // the same shipper switched to UDP, to a UDP collector: a changed config, new lines arrive
    const udpCollector = { name: 'rbt-collect-udp', listen: { port: 5515, protocol: 'udp', path: collected } };
    await t[lb]!.exec({ script: 'rm -f "$1"; :', args: [confOf(udpCollector.name)] });
    await run(lb, logAgent, udpCollector);
    const udpShipper = { ...shipper, forward_to: { host: addr(lb), port: 5515, protocol: 'udp' } };
    const switched = await run(app, logAgent, udpShipper, { diff: true });
    expect(switched.plan.diff?.[0]?.after).toContain('port="5515" protocol="udp"');
    expect((await run(app, logAgent, udpShipper)).plan.changes).toEqual([]);
    await sh(app, 'echo "udp line $1" >> /var/log/rbt-app/app.log', mark);
    const overUdp = await sh(
      lb,
      'i=0; while [ $i -lt 150 ] && ! grep -q "udp line $2" "$1"; do i=$((i+1)); sleep 0.2; done; grep "udp line $2" "$1" || :',
      collected,
      mark,
    );
    expect(overUdp).toMatch(new RegExp(`rbtapp: udp line ${mark}$`, 'm'));
    await run(lb, logAgent, { ...udpCollector, state: 'absent' });

    // a second shipper on the same host would load imfile twice: refused, naming the other file
    await expect(run(app, logAgent, { ...shipper, name: 'rbt-other' }, { check: true })).rejects.toThrow(
      `${app}: /etc/rsyslog.d/60-runbook-rbt-other.conf would load what other rsyslog config already loads (imfile in ${confOf('rbt-ship')}, mmjsonparse in ${confOf('rbt-ship')})`,
    );

    // absent: check mode leaves it, then removed and ok
    const absent = { ...shipper, state: 'absent' };
    const s1 = await rsState(app, shipper.name);
    expect((await run(app, logAgent, absent, { check: true })).plan.changes.length).toBe(1);
    expect(await rsState(app, shipper.name)).toBe(s1);
    await run(app, logAgent, absent);
    expect(await t[app]!.get(confOf(shipper.name))).toBeNull();
    expect((await run(app, logAgent, absent)).plan.changes).toEqual([]);
    await run(lb, logAgent, { ...collector, state: 'absent' });
  });

  it('put validate hook: rsyslogd -N1 rejects a bad candidate, the old file stays', async () => {
    const p = '/etc/rsyslog.d/61-rbt-validate.conf';
    const good = 'ruleset(name="rbt_validate") { action(type="omfile" file="/dev/null") }\n';
    await t[lb]!.put(p, good, { validate: rsyslogValidateArgv() });
    expect((await t[lb]!.get(p))!.toString()).toBe(good);
    await expect(t[lb]!.put(p, 'action(type="nosuchmodule")\n', { validate: rsyslogValidateArgv() })).rejects.toThrow(
      new RegExp(`^${lb}: new content of ${p} failed validation: sh -c [^]*rsyslogd -N1[^]*\\(exit 65\\)\\n[^]*nosuchmodule`),
    );
    expect((await t[lb]!.get(p))!.toString()).toBe(good);
    expect(await sh(lb, 'ls -a /etc/rsyslog.d/ | grep -c "^\\.61-rbt" || :')).toBe('0\n');
    await t[lb]!.exec(['rm', '-f', p]);
  });
});
