import { randomBytes } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { ssh } from '../fleet/fleet.mjs';
import { runbook, scratch, type CliResult } from '../support/cli.js';

/**
 * docker_container and volume through the CLI against h1's own Docker engine (the docker.sock
 * forwarded over the SSH connection; the example playbook's become goes through dial-stdio).
 */

const fleet = inject('fleet');
const H = 'h1';
const tag = randomBytes(3).toString('hex');
const NAME = `rbt-app-${tag}`;
const VOL = `rbt-data-${tag}`;
const BIND = `/srv/rbt-bind-${tag}`;
const PORT = 18000 + Math.floor(Math.random() * 900);

async function onHost(cmd: string): Promise<string> {
  const r = await ssh(fleet, H, cmd);
  if (r.code !== 0) throw new Error(`${cmd}: exit ${r.code}: ${r.stderr}`);
  return r.stdout.trim();
}

const inspectField = (name: string, fmt: string) => onHost(`docker inspect -f '${fmt}' ${name}`);

function container(over: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    name: NAME,
    image: 'runbook-app:v1',
    env: { URL: `http://${H}:${PORT}/`, GREETING: 'hello' },
    ports: [`${PORT}:80`],
    volumes: [`${VOL}:/data`, `${BIND}:/bind:ro`],
    restart_policy: 'unless-stopped',
    pull: 'never',
    ...over,
  };
}

let dir: string;
async function play(tasks: unknown[], extra: string[] = []): Promise<CliResult & { tasks: Array<Record<string, any>> }> {
  const file = path.join(dir, `play-${randomBytes(3).toString('hex')}.yml`);
  writeFileSync(file, JSON.stringify([{ name: 'docker', hosts: H, tasks }]));
  const r = await runbook(['play', file, '-i', fleet.inventoryPath, '--output', 'json', ...extra]);
  const tasks_ = r.events.filter((e) => e.type === 'task:done').map((e) => ({ name: e.task.name, ...e.outcome }));
  return { ...r, tasks: tasks_ };
}

describe('docker_container and volume on a fleet host engine', () => {
  beforeAll(() => {
    dir = scratch({});
  });
  afterAll(async () => {
    await ssh(fleet, H, `docker rm -f ${NAME} ${NAME}-blocker $(docker ps -aq --filter name=${NAME}.runbook-replaced) >/dev/null 2>&1; docker volume rm ${VOL} >/dev/null 2>&1; rm -rf ${BIND}`);
  });

  it('deploys with env, a published port, a named volume and a bind mount; the app answers', async () => {
    const r = await play([
      { name: 'data', volume: { name: VOL, labels: { purpose: 'test' } } },
      { name: 'bind', volume: { type: 'bind', path: BIND, mode: '0750' } },
      { name: 'app', docker_container: container() },
    ]);
    expect(r.stderr).toBe('');
    expect(r.tasks.map((t) => t.status)).toEqual(['changed', 'changed', 'changed']);
    expect(await onHost(`curl -fsS http://127.0.0.1:${PORT}/`)).toContain('v1');
    expect(await inspectField(NAME, '{{json .Config.Env}}')).toContain(`"URL=http://${H}:${PORT}/"`);
    expect(await inspectField(NAME, '{{.HostConfig.RestartPolicy.Name}}')).toBe('unless-stopped');
    expect(await inspectField(NAME, '{{range .Mounts}}{{.Type}}:{{.Name}}{{.Source}}:{{.Destination}} {{end}}')).toContain(`volume:${VOL}`);
    expect(await onHost(`stat -c %a ${BIND}`)).toBe('750');
    expect(await onHost(`docker volume inspect -f '{{.Labels.purpose}}' ${VOL}`)).toBe('test');
    // what runbook set is recorded on the container, apart from what the image brings
    expect(await inspectField(NAME, '{{index .Config.Labels "runbook.managed.env"}}')).toBe('["GREETING","URL"]');
    expect(await inspectField(NAME, '{{index .Config.Labels "runbook.app.version"}}')).toBe('v1');
  });

  it('a rerun is ok with zero changes and keeps the same container', async () => {
    const id = await inspectField(NAME, '{{.Id}}');
    // the same ports and volumes in other notations are no difference
    const r = await play([
      { name: 'data', volume: { name: VOL, labels: { purpose: 'test' } } },
      { name: 'bind', volume: { type: 'bind', path: BIND, mode: '750' } },
      { name: 'app', docker_container: container({ ports: [`0.0.0.0:${PORT}:80/tcp`], volumes: [`${BIND}/:/bind:ro`, `${VOL}:/data:rw`] }) },
    ]);
    expect(r.tasks.map((t) => t.status)).toEqual(['ok', 'ok', 'ok']);
    expect(r.summary!.hosts[H]!.changed).toBe(0);
    expect(await inspectField(NAME, '{{.Id}}')).toBe(id);
    // Docker API requests count as round trips (the client and its connection are the run's):
    // the volume's inspect; the bind folder's facts; the container's inspect and the image
    // inspects it compares against.
    expect(r.tasks.map((t) => t.roundTrips)).toEqual([1, 1, 3]);
  });

  it('check mode with a changed env reports env.X and leaves the container as it was', async () => {
    const id = await inspectField(NAME, '{{.Id}}');
    const r = await play([{ name: 'app', docker_container: container({ env: { URL: `http://${H}:${PORT}/`, GREETING: 'changed' } }) }], ['--check']);
    expect(r.tasks[0]).toMatchObject({ status: 'changed' });
    expect(r.tasks[0]!.changes).toEqual(['env.GREETING: hello → changed']);
    expect(await inspectField(NAME, '{{.Id}}')).toBe(id);
    expect(await inspectField(NAME, '{{json .Config.Env}}')).toContain('"GREETING=hello"');
    expect(await inspectField(NAME, '{{.State.Running}}')).toBe('true');
  });

  it('image v2 recreates the container and the plan lists image', async () => {
    const id = await inspectField(NAME, '{{.Id}}');
    const r = await play([{ name: 'app', docker_container: container({ image: 'runbook-app:v2' }) }]);
    expect(r.tasks[0]).toMatchObject({ status: 'changed' });
    const changes: string[] = r.tasks[0]!.changes;
    expect(changes).toHaveLength(1);
    expect(changes[0]).toMatch(/^image: runbook-app:v1 \([0-9a-f]{12}\) → runbook-app:v2 \([0-9a-f]{12}\)$/);
    expect(await inspectField(NAME, '{{.Id}}')).not.toBe(id);
    expect(await onHost(`curl -fsS http://127.0.0.1:${PORT}/`)).toContain('v2');
    // the replaced container is gone (no rollout asked to keep it)
    expect(await onHost(`docker ps -aq --filter name=${NAME}.runbook-replaced`)).toBe('');
  });

  it('a recreate whose new container cannot start puts the old one back, running', async () => {
    const id = await inspectField(NAME, '{{.Id}}');
    const busy = PORT + 1000;
    await onHost(`docker run -d --name ${NAME}-blocker -p ${busy}:80 runbook-app:v1`);
    try {
      const r = await play([{ name: 'app', docker_container: container({ image: 'runbook-app:v2', ports: [`${busy}:80`] }) }]);
      expect(r.tasks[0]).toMatchObject({ status: 'failed' });
      expect(r.tasks[0]!.msg).toMatch(new RegExp(`^${H}: docker_container ${NAME}: cannot create and start the container: .*; the previous container was put back$`));
      expect(await inspectField(NAME, '{{.Id}} {{.State.Running}}')).toBe(`${id} true`);
      expect(await onHost(`curl -fsS http://127.0.0.1:${PORT}/`)).toContain('v2');
      expect(await onHost(`docker ps -aq --filter name=${NAME}.runbook-replaced`)).toBe('');
    } finally {
      await onHost(`docker rm -f ${NAME}-blocker`);
    }
  });

  it('stopped stops it (then ok); started starts the same container again; absent removes it', async () => {
    const id = await inspectField(NAME, '{{.Id}}');
    const stop = await play([{ name: 'app', docker_container: container({ image: 'runbook-app:v2', state: 'stopped' }) }]);
    expect(stop.tasks[0]).toMatchObject({ status: 'changed', changes: ['state: running → stopped'] });
    expect(await inspectField(NAME, '{{.State.Running}}')).toBe('false');
    const again = await play([{ name: 'app', docker_container: container({ image: 'runbook-app:v2', state: 'stopped' }) }]);
    expect(again.tasks[0]).toMatchObject({ status: 'ok' });
    const start = await play([{ name: 'app', docker_container: container({ image: 'runbook-app:v2' }) }]);
    expect(start.tasks[0]).toMatchObject({ status: 'changed' });
    expect(await inspectField(NAME, '{{.Id}}')).toBe(id);
    expect(await inspectField(NAME, '{{.State.Running}}')).toBe('true');

    const gone = await play([{ name: 'app', docker_container: { name: NAME, state: 'absent' } }]);
    expect(gone.tasks[0]).toMatchObject({ status: 'changed', changes: ['state: running → absent'] });
    expect(await onHost(`docker ps -aq --filter name=^${NAME}$`)).toBe('');
    const goneAgain = await play([{ name: 'app', docker_container: { name: NAME, state: 'absent' } }]);
    expect(goneAgain.tasks[0]).toMatchObject({ status: 'ok' });
  });

  it('a missing image fails clearly: with pull never, and (no registry here) with pull missing, in check mode too', async () => {
    const never = await play([{ name: 'app', docker_container: container({ image: 'runbook-app:nope' }) }]);
    expect(never.code).not.toBe(0);
    expect(never.tasks[0]).toMatchObject({ status: 'failed' });
    expect(never.tasks[0]!.msg).toBe(
      `${H}: image runbook-app:nope is not on the host and pull is never: load it there first (docker load) or allow pull: missing`,
    );
    for (const extra of [[], ['--check']]) {
      const missing = await play([{ name: 'app', docker_container: container({ image: 'runbook-app:nope', pull: 'missing' }) }], extra);
      expect(missing.tasks[0]).toMatchObject({ status: 'failed' });
      expect(missing.tasks[0]!.msg).toMatch(new RegExp(`^${H}: image runbook-app:nope is not on the host and cannot be pulled: `));
    }
    // pull: always asks the registry even for an image on the host, and says so when it cannot
    const always = await play([{ name: 'app', docker_container: container({ pull: 'always' }) }], ['--check']);
    expect(always.tasks[0]).toMatchObject({ status: 'failed' });
    expect(always.tasks[0]!.msg).toMatch(new RegExp(`^${H}: image runbook-app:v1 has pull: always and cannot be pulled: `));
    expect(await onHost(`docker ps -aq --filter name=^${NAME}$`)).toBe('');
  });

  it('check mode on a missing container reports the create and creates nothing', async () => {
    const r = await play([{ name: 'app', docker_container: container() }], ['--check']);
    expect(r.tasks[0]).toMatchObject({ status: 'changed', changes: ['container: absent → running'] });
    expect(await onHost(`docker ps -aq --filter name=^${NAME}$`)).toBe('');
  });

  it('a volume whose options differ is reported, and only recreated with recreate: true', async () => {
    const check = await play([{ name: 'data', volume: { name: VOL, labels: { purpose: 'other' } } }], ['--check']);
    expect(check.tasks[0]).toMatchObject({ status: 'changed', changes: ['labels: {"purpose":"test"} → {"purpose":"other"}'] });
    const refused = await play([{ name: 'data', volume: { name: VOL, labels: { purpose: 'other' } } }]);
    expect(refused.tasks[0]).toMatchObject({ status: 'failed' });
    expect(refused.tasks[0]!.msg).toContain('set recreate: true');
    expect(await onHost(`docker volume inspect -f '{{.Labels.purpose}}' ${VOL}`)).toBe('test');
    const done = await play([{ name: 'data', volume: { name: VOL, labels: { purpose: 'other' }, recreate: true } }]);
    expect(done.tasks[0]).toMatchObject({ status: 'changed' });
    expect(await onHost(`docker volume inspect -f '{{.Labels.purpose}}' ${VOL}`)).toBe('other');
  });
});

describe('playbooks/example-service.yml on the web hosts', () => {
  const web = fleet.hosts.filter((h) => h.name !== fleet.hosts[fleet.hosts.length - 1]!.name).map((h) => h.name);
  const args = ['play', 'playbooks/example-service.yml', '-i', fleet.inventoryPath, '--output', 'json'];

  beforeAll(async () => {
    for (const h of web) await ssh(fleet, h, 'docker rm -f example >/dev/null 2>&1; true');
  });

  it('converges with the non-root login user deploy plus become', async () => {
    const first = await runbook([...args, '-e', `ansible_user=${fleet.sudoUser}`]);
    expect(first.stderr, first.stdout.slice(-3000)).toBe('');
    expect(first.code).toBe(0);
    for (const h of web) {
      expect(first.summary!.hosts[h]).toMatchObject({ failed: 0, unreachable: 0 });
      expect(first.summary!.hosts[h]!.changed).toBeGreaterThanOrEqual(1);
      const r = await ssh(fleet, h, 'curl -fsS http://127.0.0.1:8000/ && docker inspect -f "{{.State.Running}} {{.HostConfig.RestartPolicy.Name}}" example');
      expect(r.stdout).toContain('v1');
      expect(r.stdout).toContain('true unless-stopped');
    }
    const again = await runbook([...args, '-e', `ansible_user=${fleet.sudoUser}`]);
    expect(again.code).toBe(0);
    for (const h of web) expect(again.summary!.hosts[h]!.changed).toBe(0);
  });

  it('and as root: nothing to change, the same container', async () => {
    const ids = await Promise.all(web.map(async (h) => (await ssh(fleet, h, 'docker inspect -f {{.Id}} example')).stdout.trim()));
    const r = await runbook(args);
    expect(r.code).toBe(0);
    for (const h of web) expect(r.summary!.hosts[h]).toMatchObject({ changed: 0, failed: 0, unreachable: 0 });
    const after = await Promise.all(web.map(async (h) => (await ssh(fleet, h, 'docker inspect -f {{.Id}} example')).stdout.trim()));
    expect(after).toEqual(ids);
  });
});
