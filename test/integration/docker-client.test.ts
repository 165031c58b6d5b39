import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import dockerContainer, { type ContainerUndo } from '../../modules/docker_container.js';
import { DockerClients, dockerClient } from '../../src/executor/docker.js';
import { validateParams } from '../../src/executor/params.js';
import { LocalTransport } from '../../src/transport/local.js';
import type { Transport } from '../../src/transport/types.js';
import { ssh } from '../fleet/fleet.mjs';
import { fleetTransport } from '../support/fleet-transport.js';
import { makeModuleContext } from '../support/module-context.js';

/**
 * The docker client under the modules: the host's docker.sock over the SSH connection (root),
 * `docker system dial-stdio` through sudo for a non-root login with become, the same code on
 * connection local; one memoised client per host; and the undo records a rollout keeps.
 */

const fleet = inject('fleet');
const host = fleet.hosts[0]!;

function transportFor(user: string): Transport {
  return fleetTransport(fleet, host.name, user);
}

describe('docker access over the host connection', () => {
  let root: Transport;
  let deploy: Transport;
  beforeAll(() => {
    root = transportFor(fleet.user);
    deploy = transportFor(fleet.sudoUser);
  });
  afterAll(async () => {
    await root.close();
    await deploy.close();
  });

  it('root: the forwarded docker.sock answers, and sees the images loaded in the host engine', async () => {
    const c = await dockerClient(root);
    try {
      const images = await c.docker.listImages();
      expect(images.flatMap((i) => i.RepoTags ?? [])).toEqual(expect.arrayContaining(['runbook-app:v1', 'runbook-app:v2']));
      const info = (await c.docker.info()) as { Name: string };
      expect(info.Name).toBe(host.name);
    } finally {
      c.close();
    }
  });

  it('a non-root login cannot open the socket without become; with become it goes through sudo dial-stdio', async () => {
    const plain = await dockerClient(deploy);
    try {
      await expect(plain.docker.ping()).rejects.toThrow(/cannot connect to unix socket \/var\/run\/docker.sock/);
    } finally {
      plain.close();
    }
    const become = await dockerClient(deploy, { become: { user: 'root' } });
    try {
      expect(String(await become.docker.ping())).toBe('OK');
      const info = (await become.docker.info()) as { Name: string };
      expect(info.Name).toBe(host.name);
      // several requests in flight share the agent's few streams
      const all = await Promise.all(Array.from({ length: 8 }, () => become.docker.listContainers({ all: true })));
      expect(all).toHaveLength(8);
      // the idle keep-alive connections are dial-stdio processes running as root on the host
      const ps = await ssh(fleet, host.name, 'ps -o user=,args= -C docker');
      expect(ps.stdout).toMatch(/^root\s+docker system dial-stdio$/m);
    } finally {
      become.close();
    }
  });

  it('one client per host (and become user) for the whole run; closeAll ends them', async () => {
    const clients = new DockerClients();
    const a = await clients.get(host.name, root);
    const b = await clients.get(host.name, root);
    expect(b).toBe(a);
    const c = await clients.get(host.name, deploy, { user: 'root' });
    expect(c).not.toBe(a);
    expect(clients.size).toBe(2);
    expect(String(await a.ping())).toBe('OK');
    await clients.closeAll();
    expect(clients.size).toBe(0);
    expect(await clients.get(host.name, root)).not.toBe(a);
    await clients.closeAll();
  });

  it('connection local: the same code on the controller, with and without become', async () => {
    const local = new LocalTransport();
    for (const opts of [{}, { become: { user: 'root' } }]) {
      const c = await dockerClient(local, opts);
      try {
        expect(String(await c.docker.ping())).toBe('OK');
      } finally {
        c.close();
      }
    }
  });
});

/** Write `input`, end, and collect what comes back until the stream ends or errors. */
function roundTrip(stream: import('node:stream').Duplex, input: string): Promise<{ out: string; error?: string }> {
  return new Promise((resolve) => {
    const chunks: Buffer[] = [];
    let error: string | undefined;
    stream.on('data', (d: Buffer) => chunks.push(d));
    stream.on('error', (e: Error) => (error = e.message));
    stream.on('close', () => resolve({ out: Buffer.concat(chunks).toString('utf8'), ...(error ? { error } : {}) }));
    stream.end(input);
  });
}

describe('openStream: a command as a stream (what dial-stdio runs on)', () => {
  let deploy: Transport;
  beforeAll(() => {
    deploy = transportFor(fleet.sudoUser);
  });
  afterAll(async () => {
    await deploy.close();
  });

  for (const [label, make] of [
    ['ssh as deploy', () => deploy],
    ['local', () => new LocalTransport()],
  ] as const) {
    it(`${label}: stdin and stdout are the stream; become applies; a failing command errors with its stderr`, async () => {
      const t = make();
      expect(await roundTrip(await t.openStream!(['cat']), 'hello\n')).toEqual({ out: 'hello\n' });
      expect(await roundTrip(await t.openStream!(['id', '-u'], { become: { user: 'root' } }), '')).toEqual({ out: '0\n' });
      const ping = await roundTrip(await t.openStream!(['docker', 'system', 'dial-stdio'], { become: { user: 'root' } }), 'GET /_ping HTTP/1.0\r\n\r\n');
      expect(ping.out).toMatch(/^HTTP\/1\.0 200 OK\r\n[\s\S]*\r\n\r\nOK$/);
      const bad = await roundTrip(await t.openStream!({ script: 'echo nope >&2; exit 3' }), '');
      expect(bad.error).toMatch(/nope$/);
    });
  }
});

describe('docker_container undo records (a rollout keeps them)', () => {
  let root: Transport;
  const name = `rbt-undo-${randomBytes(3).toString('hex')}`;
  const onHost = async (cmd: string) => (await ssh(fleet, host.name, cmd)).stdout.trim();
  beforeAll(() => {
    root = transportFor(fleet.user);
  });
  afterAll(async () => {
    await ssh(fleet, host.name, `docker rm -f $(docker ps -aq --filter name=${name}) >/dev/null 2>&1; true`);
    await root.close();
  });

  async function deploy(image: string, keepUndo: boolean): Promise<ContainerUndo | undefined> {
    const ctx = makeModuleContext({ transport: root, keepUndo });
    const v = validateParams(dockerContainer, { name, image, pull: 'never', env: { V: image } });
    if (!v.ok) throw new Error(v.message);
    const plan = await dockerContainer.plan(ctx, v.params as never);
    const r = await dockerContainer.apply(ctx, v.params as never, plan);
    return r.undo as ContainerUndo | undefined;
  }

  it('a replaced container is kept stopped and renamed; undo brings it back; discard removes it', async () => {
    const created = await deploy('runbook-app:v1', true);
    expect(created).toEqual({ kind: 'created', name });
    const v1 = await onHost(`docker inspect -f {{.Id}} ${name}`);

    const replaced = await deploy('runbook-app:v2', true);
    expect(replaced).toMatchObject({ kind: 'replaced', name, keptId: v1, wasRunning: true });
    const kept = (replaced as { kept: string }).kept;
    expect(kept).toMatch(new RegExp(`^${name}\\.runbook-replaced-\\d+$`));
    expect(await onHost(`docker inspect -f '{{.Name}} {{.State.Running}}' ${v1}`)).toBe(`/${kept} false`);
    expect(await onHost(`docker inspect -f '{{.Config.Image}} {{.State.Running}}' ${name}`)).toBe('runbook-app:v2 true');

    const ctx = makeModuleContext({ transport: root });
    await dockerContainer.undo!(ctx, { name } as never, replaced);
    expect(await onHost(`docker inspect -f '{{.Id}} {{.Config.Image}} {{.State.Running}}' ${name}`)).toBe(`${v1} runbook-app:v1 true`);
    expect(await onHost(`docker ps -aq --filter name=${name}.runbook-replaced`)).toBe('');

    const again = await deploy('runbook-app:v2', true);
    await dockerContainer.discard!(ctx, { name } as never, again);
    expect(await onHost(`docker ps -aq --filter name=${name}.runbook-replaced`)).toBe('');
    expect(await onHost(`docker inspect -f '{{.Config.Image}}' ${name}`)).toBe('runbook-app:v2');

    // without keepUndo nothing is left behind and no record is made
    expect(await deploy('runbook-app:v1', false)).toBeUndefined();
    expect((await onHost(`docker ps -aq --filter name=${name}`)).split('\n')).toHaveLength(1);
    expect(await onHost(`docker inspect -f '{{.Config.Image}}' ${name}`)).toBe('runbook-app:v1');
  });
});
