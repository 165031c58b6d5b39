import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { ssh } from '../fleet/fleet.mjs';
import { REPO, runbook, scratch } from '../support/cli.js';

/**
 * Rolling upgrades end to end (SPEC §6): the web hosts (h1..h3 on the default fleet) run the app
 * container behind the nginx_lb site on the lb host (h4), a client inside the lb host sends requests through the LB the whole time, and
 * playbooks/rollout-app.yml rolls the app out one canary then two at a time.
 */

const fleet = inject('fleet');
const PLAYBOOK = path.join(REPO, 'playbooks/rollout-app.yml');
const LB_PORT = 8001;
const APP_PORT = 8090;
const STOP = '/tmp/rbr-client-stop';
// As the fleet's inventory groups them: web = every host but the last, lb = the last.
const names = fleet ? fleet.hosts.map((h) => h.name) : [];
const WEB = names.slice(0, -1);
const LB = names.at(-1)!;

async function on(h: string, cmd: string): Promise<string> {
  const r = await ssh(fleet, h, cmd);
  if (r.code !== 0) throw new Error(`${h}: ${cmd}: exit ${r.code}: ${r.stderr}`);
  return r.stdout.trim();
}

/**
 * A client on the LB host: requests through the LB one after another until the stop file
 * appears (at most 20000), then prints "<served> <failed>"; an answer from the broken image counts as failed.
 */
function client(): Promise<{ served: number; failed: number }> {
  const script =
    `rm -f ${STOP}; ok=0; bad=0; i=0; ` +
    `while [ ! -e ${STOP} ] && [ $i -lt 20000 ]; do i=$((i+1)); ` +
    `if v=$(curl -fsS --max-time 5 http://127.0.0.1:${LB_PORT}/version) && [ "$v" != bad ]; then ok=$((ok+1)); else bad=$((bad+1)); fi; done; echo "$ok $bad"`;
  return on(LB, script).then((out) => {
    const [served, failed] = out.split(/\s+/).map(Number);
    return { served: served!, failed: failed! };
  });
}

const version = (h: string) => on(h, `curl -fsS http://127.0.0.1:${APP_PORT}/version`);

async function withClient<T>(fn: () => Promise<T>): Promise<{ result: T; served: number; failed: number }> {
  await on(LB, `rm -f ${STOP}`);
  const c = client();
  // the client is running once the LB has counted a request from it
  await new Promise((r) => setTimeout(r, 500));
  try {
    const result = await fn();
    return { result, ...(await stop(c)) };
  } catch (e) {
    await stop(c);
    throw e;
  }
}

async function stop(c: Promise<{ served: number; failed: number }>) {
  await on(LB, `touch ${STOP}`);
  return c;
}

describe.skipIf(!fleet?.withDocker || (fleet?.hosts.length ?? 0) < 4)('rollout behind the LB on the fleet', () => {
  let dir: string;
  beforeAll(async () => {
    dir = scratch({});
    const setup = path.join(dir, 'setup.yml');
    writeFileSync(
      setup,
      JSON.stringify([
        {
          name: 'app v1',
          hosts: 'web',
          tasks: [{ name: 'app', docker_container: { name: 'rbr-app', image: 'runbook-app:v1', ports: [`${APP_PORT}:80`], pull: 'never' } }],
        },
        {
          name: 'lb',
          hosts: 'lb',
          // No retry on the next backend: a request sent to a host being upgraded would fail, so
          // zero client errors shows that the drain took each host out first.
          tasks: [{ name: 'site', nginx_lb: { name: 'app', listen: LB_PORT, group: 'web', port: APP_PORT, address_var: 'private_address', proxy_next_upstream: ['off'] } }],
        },
      ]),
    );
    for (const h of WEB) await on(h, `docker rm -f rbr-app $(docker ps -aq --filter name=rbr-app) >/dev/null 2>&1 || :`);
    const r = await runbook(['play', setup, '-i', fleet.inventoryPath, '--output', 'json']);
    expect(r.code, r.stdout + r.stderr).toBe(0);
    for (const h of WEB) expect(await version(h)).toBe('v1');
    expect(await on(LB, `curl -fsS http://127.0.0.1:${LB_PORT}/version`)).toBe('v1');
  }, 180_000);

  afterAll(async () => {
    for (const h of WEB) await ssh(fleet, h, `docker rm -f $(docker ps -aq --filter name=rbr-app) >/dev/null 2>&1 || :`);
    await ssh(fleet, LB, `rm -f /etc/nginx/conf.d/app.conf ${STOP}; nginx -s reload >/dev/null 2>&1 || :`);
  });

  it('v1 → v2: every request through the LB succeeds and every host ends on v2', async () => {
    const t0 = Date.now();
    const { result: r, served, failed } = await withClient(() =>
      runbook(['play', PLAYBOOK, '-i', fleet.inventoryPath, '-e', 'image=runbook-app:v2', '--output', 'json', '--report', path.join(dir, 'v2.json')], { timeoutMs: 300_000 }),
    );
    const wall = (Date.now() - t0) / 1000;
    expect(r.code, r.stdout + r.stderr).toBe(0);
    expect(failed).toBe(0);
    expect(served).toBeGreaterThan(0);
    for (const h of WEB) expect(await version(h)).toBe('v2');
    const batches = r.events.filter((e) => e.type === 'rollout:batch').map((e) => e.hosts);
    const rest = WEB.slice(1);
    const planned = [[WEB[0]], ...Array.from({ length: Math.ceil(rest.length / 2) }, (_, i) => rest.slice(2 * i, 2 * i + 2))];
    expect(batches).toEqual(planned);
    const report = JSON.parse(readFileSync(path.join(dir, 'v2.json'), 'utf8'));
    expect(report.rollout.batches.map((b: { hosts: string[] }) => b.hosts)).toEqual(planned);
    expect(report.rollout.failed).toEqual([]);
    expect(report.rollout.drained_left).toEqual([]);
    for (const h of WEB) expect(report.rollout.versions[h]['app container']).toMatch(/runbook-app:v2$/);
    const steps = r.events.filter((e) => e.type === 'task:done' && e.host === WEB[0]).map((e) => `${e.task.name}: ${e.outcome.status}`);
    expect(steps).toEqual([
      `rollout: drain on ${LB} (app): changed`,
      'app container: changed',
      'rollout: health gate: ok',
      `rollout: re-enable on ${LB} (app): changed`,
    ]);
    // the replaced v1 containers were dropped once their batch was good
    for (const h of WEB) expect(await on(h, `docker ps -aq --filter name=rbr-app | wc -l`)).toBe('1');
    console.log(`rollout v1→v2, ${WEB.length} hosts: ${wall.toFixed(1)} s wall, ${served} requests served, ${failed} failed`);
  }, 320_000);

  it('to the broken image: the canary fails its gate, is rolled back to v2 and re-enabled; no later batch; zero client errors; exit 4', async () => {
    const t0 = Date.now();
    const { result: r, served, failed } = await withClient(() =>
      runbook(['play', PLAYBOOK, '-i', fleet.inventoryPath, '-e', 'image=runbook-app:bad', '--output', 'json', '--report', path.join(dir, 'bad.json')], { timeoutMs: 300_000 }),
    );
    const wall = (Date.now() - t0) / 1000;
    expect(r.code, r.stdout + r.stderr).toBe(4);
    expect(failed).toBe(0);
    expect(served).toBeGreaterThan(0);
    for (const h of WEB) expect(await version(h)).toBe('v2');
    const onH1 = r.events.filter((e) => e.type === 'task:done' && e.host === WEB[0]).map((e) => `${e.task.name}: ${e.outcome.status}`);
    expect(onH1).toEqual([
      `rollout: drain on ${LB} (app): changed`,
      'app container: changed',
      'rollout: health gate: failed',
      'undo: app container: changed',
      'rollout: health gate: ok',
      `rollout: re-enable on ${LB} (app): changed`,
    ]);
    expect(r.events.filter((e) => e.type === 'task:done' && e.host !== WEB[0])).toEqual([]);
    expect(r.events.filter((e) => e.type === 'rollout:failed').map((e) => [e.batch, e.hosts, e.action])).toEqual([[1, [WEB[0]], 'rollback']]);
    const report = JSON.parse(readFileSync(path.join(dir, 'bad.json'), 'utf8'));
    expect(report.rollout.failed).toEqual([{ play: 'rollout app', batch: 1, hosts: [WEB[0]], action: 'rollback' }]);
    expect(report.rollout.rolled_back).toEqual({ [WEB[0]!]: { undone: ['app container (docker_container)'], not_undoable: [], undo_failed: [] } });
    expect(report.rollout.drained_left).toEqual([]);
    // the canary ends on the restored image
    expect(Object.keys(report.rollout.versions)).toEqual([WEB[0]]);
    expect(report.rollout.versions[WEB[0]!]['app container']).toMatch(/runbook-app:v2$/);
    // h1 takes traffic again
    expect(await on(LB, `grep -c 'server .*:${APP_PORT}' /etc/nginx/conf.d/app.conf`)).toBe(String(WEB.length));
    expect(await on(LB, `grep -c 'down' /etc/nginx/conf.d/app.conf || :`)).toBe('0');
    console.log(`rollout to bad (rolled back), ${WEB.length} hosts: ${wall.toFixed(1)} s wall, ${served} requests served, ${failed} failed`);
  }, 320_000);
});
