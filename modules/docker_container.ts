import type Docker from 'dockerode';
import { ModuleError } from '../src/core/errors.js';
import { defineModule, type Change, type ModuleContext } from '../src/core/module.js';
import {
  createBody,
  desiredContainer,
  diffContainer,
  keptName,
  shortId,
  SpecError,
  type ContainerInspect,
  type ContainerParams,
  type DesiredContainer,
  type ImageInspect,
} from './_lib/docker-spec.js';

const durationSchema = {
  type: ['number', 'string'],
  description: 'Seconds (a number) or a duration such as "30s", "1m30s", "500ms".',
};

export const dockerContainerSchema = {
  type: 'object',
  additionalProperties: false,
  properties: {
    name: { type: 'string', minLength: 1, pattern: '^[a-zA-Z0-9][a-zA-Z0-9_.-]*$', description: 'Name of the container.' },
    image: {
      type: 'string',
      minLength: 1,
      description:
        'Image reference, e.g. "runbook-app:v1" (no tag means :latest). Required unless state is absent. ' +
        'The container is recreated when it runs another image (compared by image id).',
    },
    state: {
      enum: ['started', 'stopped', 'present', 'absent'],
      default: 'started',
      description:
        'started: exists and runs; stopped: exists and does not run; present: exists (created, not started ' +
        'when new; a running one is left running); absent: removed.',
    },
    command: {
      type: ['string', 'array'],
      items: { type: 'string' },
      description: 'Command of the container (a string is split like a shell would, without expansion). Default: the image\'s.',
    },
    env: {
      type: 'object',
      additionalProperties: { type: ['string', 'number', 'boolean'] },
      description: 'Environment variables (map). Variables the image sets are not drift; only these, and ones runbook set before, are compared.',
    },
    ports: {
      type: 'array',
      items: {
        type: 'string',
        pattern: '^(?:(?:\\[[0-9A-Fa-f:.]+\\]|[^:\\[\\]/]+):)?(?:\\d{1,5}:)?\\d{1,5}(?:/(?:tcp|udp|sctp))?$',
        title: 'a port like "8080:80", "127.0.0.1:8080:80/tcp" or "80"',
      },
      description: 'Published ports: "8080:80", "127.0.0.1:8080:80/tcp", "[::1]:8080:80", "80" (any host port). 0.0.0.0 is the same as no address.',
    },
    volumes: {
      type: 'array',
      items: { type: 'string' },
      description: 'Mounts: "data:/var/lib/app" (a named volume) or "/srv/app:/app:ro" (a host directory); rw is the default.',
    },
    labels: {
      type: 'object',
      additionalProperties: { type: ['string', 'number', 'boolean'] },
      description: 'Labels (map). Labels the image sets are not drift. runbook adds runbook.managed.* labels recording what it set.',
    },
    restart_policy: {
      type: 'string',
      pattern: '^(no|always|unless-stopped|on-failure(:[0-9]+)?)$',
      default: 'no',
      description: 'Restart policy: no, always, unless-stopped, on-failure or on-failure:N.',
    },
    networks: {
      type: 'array',
      items: {
        anyOf: [
          { type: 'string' },
          { type: 'object', required: ['name'], additionalProperties: false, properties: { name: { type: 'string' } } },
        ],
      },
      description: 'Networks to attach (names; they must exist). Not given: the networks are not compared (default bridge on create).',
    },
    healthcheck: {
      type: 'object',
      additionalProperties: false,
      required: ['test'],
      description: "Health check. Not given: the image's, not compared.",
      properties: {
        test: {
          type: ['string', 'array'],
          items: { type: 'string' },
          description: 'A string runs through the shell (CMD-SHELL); a list is an argv (CMD), or starts with CMD, CMD-SHELL or NONE.',
        },
        interval: { ...durationSchema, description: `Time between checks. ${durationSchema.description}` },
        timeout: { ...durationSchema, description: `Time a check may take. ${durationSchema.description}` },
        retries: { type: 'integer', minimum: 0, description: 'Failures in a row before the container is unhealthy.' },
        start_period: { ...durationSchema, description: `Grace time after start. ${durationSchema.description}` },
      },
    },
    pull: {
      enum: ['missing', 'always', 'never'],
      default: 'missing',
      description:
        'missing: pull only when the image is not on the host; always: ask the registry every run (changed only ' +
        'when it has a newer image); never: fail when the image is not on the host. Check mode asks the registry ' +
        'and says truthfully whether a pull would change the image, and fails when it cannot be pulled.',
    },
    recreate: { type: 'boolean', default: false, description: 'Recreate the container even when nothing differs (always changed).' },
    stop_timeout: {
      type: 'integer',
      minimum: 0,
      description: 'Seconds to wait for the container to stop before it is killed (also set on the container). Default: the engine\'s (10).',
    },
  },
  required: ['name'],
  if: { properties: { state: { const: 'absent' } }, required: ['state'] },
  else: { required: ['image'] },
};

interface ContainerFacts {
  existing?: ContainerInspect;
  want?: DesiredContainer;
  /** Pull the image before creating. */
  pull: boolean;
  recreate: boolean;
  create: boolean;
  start: boolean;
  stop: boolean;
  remove: boolean;
}

/**
 * The undo record: what was there before, so a rollback can put it back.
 * `replaced`/`removed`: the old container is kept (stopped, renamed to `kept`) until the run is done.
 */
export type ContainerUndo =
  | { kind: 'created'; name: string }
  | { kind: 'replaced'; name: string; kept: string; keptId: string; wasRunning: boolean }
  | { kind: 'removed'; name: string; kept: string; keptId: string; wasRunning: boolean }
  | { kind: 'state'; name: string; wasRunning: boolean };

function isNotFound(e: unknown): boolean {
  return (e as { statusCode?: number })?.statusCode === 404;
}

function engineMessage(e: unknown): string {
  const x = e as { json?: { message?: string }; message?: string; statusCode?: number };
  return x?.json?.message ?? x?.message ?? String(e);
}

async function inspectContainer(docker: Docker, name: string): Promise<ContainerInspect | undefined> {
  try {
    return (await docker.getContainer(name).inspect()) as unknown as ContainerInspect;
  } catch (e) {
    if (isNotFound(e)) return undefined;
    throw e;
  }
}

export async function inspectImage(docker: Docker, ref: string): Promise<ImageInspect | undefined> {
  try {
    return (await docker.getImage(ref).inspect()) as unknown as ImageInspect;
  } catch (e) {
    if (isNotFound(e)) return undefined;
    throw e;
  }
}

/** The digest the registry has for a reference; throws a clear error when it cannot be asked. */
async function registryDigest(ctx: ModuleContext, docker: Docker, ref: string, why: string): Promise<string> {
  try {
    const d = (await docker.getImage(ref).distribution()) as { Descriptor?: { digest?: string } };
    return d.Descriptor?.digest ?? '';
  } catch (e) {
    throw new ModuleError(`${ctx.host}: image ${ref} ${why} and cannot be pulled: ${engineMessage(e)}`);
  }
}

function wants(p: ContainerParams) {
  return { state: p.state ?? 'started', pull: p.pull ?? 'missing' };
}

export default defineModule<ContainerParams, ContainerFacts>({
  name: 'docker_container',
  description:
    "Manage a container on the host's Docker engine, reached through dockerode over the task's own SSH " +
    'connection (the docker.sock forwarded; with become, `docker system dial-stdio` through sudo). ' +
    'The desired container is compared with `inspect` after normalising every notation (env and labels the ' +
    'image sets, port and volume forms), and recreated only when a field really differs; the plan lists each ' +
    'differing field with before and after. In check mode the registry is asked whether a pull would change ' +
    'the image. A replaced container is kept (stopped and renamed) while a rollout may roll back.',
  example: `- name: App container
  docker_container:
    name: app
    image: "runbook-app:{{ version | default('v1') }}"
    env: { URL: "http://example.test/" }
    ports: ["8000:80"]
    volumes: ["app-data:/data"]
    restart_policy: unless-stopped
    pull: never
`,
  schema: dockerContainerSchema,

  async plan(ctx, p) {
    const { state, pull } = wants(p);
    const docker = await ctx.docker();
    const existing = await inspectContainer(docker, p.name);
    const facts: ContainerFacts = { pull: false, recreate: false, create: false, start: false, stop: false, remove: false };
    if (existing) facts.existing = existing;
    const running = existing?.State?.Running === true;
    const changes: Change[] = [];

    if (state === 'absent') {
      if (existing) {
        facts.remove = true;
        changes.push({ field: 'state', before: running ? 'running' : 'stopped', after: 'absent' });
      }
      return { changes, facts, summary: existing ? `remove container ${p.name}` : undefined, result: { container: existing?.Id ?? null } };
    }

    let want: DesiredContainer;
    try {
      want = desiredContainer(p);
    } catch (e) {
      if (e instanceof SpecError) throw new ModuleError(`docker_container ${p.name}: ${e.message}`);
      throw e;
    }
    facts.want = want;

    let image = await inspectImage(docker, want.image);
    if (!image) {
      if (pull === 'never') {
        throw new ModuleError(
          `${ctx.host}: image ${want.image} is not on the host and pull is never: load it there first (docker load) or allow pull: missing`,
        );
      }
      await registryDigest(ctx, docker, want.image, 'is not on the host');
      facts.pull = true;
      changes.push({ field: 'image pull', before: 'not on the host', after: want.image });
    } else if (pull === 'always') {
      const digest = await registryDigest(ctx, docker, want.image, 'has pull: always');
      const local = (image.RepoDigests ?? []).map((d) => d.split('@')[1]);
      if (!digest || !local.includes(digest)) {
        facts.pull = true;
        changes.push({ field: 'image pull', before: (local[0] ?? shortId(image.Id)), after: digest || 'newer' });
        image = undefined; // the id after the pull is not known yet
      }
    }

    if (!existing) {
      facts.create = true;
      facts.start = state === 'started';
      changes.push({ field: 'container', before: 'absent', after: state === 'started' ? 'running' : 'created' });
      return { changes, facts, summary: `create container ${p.name} from ${want.image}` };
    }

    const oldImage = await inspectImage(docker, existing.Image);
    const diffs = diffContainer(want, existing, oldImage, image?.Id);
    // A pull that changes the image shows as its own change; drop the duplicate image row then.
    const fields = facts.pull ? diffs.filter((d) => d.field !== 'image' || image !== undefined) : diffs;
    if (facts.pull && image === undefined && !fields.some((d) => d.field === 'image')) {
      fields.unshift({ field: 'image', before: `${existing.Config.Image ?? ''} (${shortId(existing.Image)})`, after: `${want.image} (after pull)` });
    }
    if (fields.length > 0 || p.recreate) {
      facts.recreate = true;
      facts.start = state === 'started' || (state === 'present' && running);
      changes.push(...fields);
      if (p.recreate && fields.length === 0) changes.push({ field: 'recreate', before: false, after: true });
      return { changes, facts, summary: `recreate container ${p.name} (${changes.map((c) => c.field).join(', ')})`, result: { container: existing.Id } };
    }
    if (state === 'started' && !running) {
      facts.start = true;
      changes.push({ field: 'state', before: existing.State?.Status ?? 'stopped', after: 'running' });
    } else if (state === 'stopped' && running) {
      facts.stop = true;
      changes.push({ field: 'state', before: 'running', after: 'stopped' });
    }
    return { changes, facts, result: { container: existing.Id, image: want.image } };
  },

  async apply(ctx, p, plan) {
    const f = plan.facts!;
    const docker = await ctx.docker();
    const stopOpts = p.stop_timeout !== undefined ? { t: p.stop_timeout } : {};
    const old = f.existing;
    const oldRunning = old?.State?.Running === true;
    const where = (what: string, e: unknown) => new ModuleError(`${ctx.host}: docker_container ${p.name}: ${what}: ${engineMessage(e)}`);

    const stopIt = async (id: string) => {
      try {
        await docker.getContainer(id).stop(stopOpts);
      } catch (e) {
        if ((e as { statusCode?: number }).statusCode !== 304) throw where('cannot stop the container', e);
      }
    };
    /** Keep the old container (stopped, renamed) for a rollback, or remove it. */
    const retire = async (c: ContainerInspect): Promise<{ kept: string } | undefined> => {
      await stopIt(c.Id);
      if (ctx.keepUndo) {
        const kept = keptName(p.name, Date.now());
        try {
          await docker.getContainer(c.Id).rename({ name: kept });
        } catch (e) {
          throw where(`cannot rename the old container to ${kept}`, e);
        }
        return { kept };
      }
      try {
        await docker.getContainer(c.Id).remove({ force: true });
      } catch (e) {
        throw where('cannot remove the old container', e);
      }
      return undefined;
    };

    if (f.remove && old) {
      const k = await retire(old);
      return {
        result: { container: null },
        ...(k ? { undo: { kind: 'removed', name: p.name, kept: k.kept, keptId: old.Id, wasRunning: oldRunning } satisfies ContainerUndo } : {}),
      };
    }

    if (f.pull) {
      const ref = f.want!.image;
      try {
        const stream = await docker.pull(ref);
        await new Promise<void>((resolve, reject) => docker.modem.followProgress(stream, (err: Error | null) => (err ? reject(err) : resolve())));
      } catch (e) {
        throw where(`cannot pull ${ref}`, e);
      }
    }

    if (f.create || f.recreate) {
      const want = f.want!;
      // The old container steps aside (stopped, renamed) until the new one runs: if the new one
      // cannot be created or started, the old one is put back as it was.
      let kept: string | undefined;
      if (f.recreate && old) {
        await stopIt(old.Id);
        kept = keptName(p.name, Date.now());
        try {
          await docker.getContainer(old.Id).rename({ name: kept });
        } catch (e) {
          throw where(`cannot rename the old container to ${kept}`, e);
        }
      }
      let id: string | undefined;
      try {
        const c = await docker.createContainer({ name: p.name, ...createBody(want) } as Docker.ContainerCreateOptions);
        id = c.id;
        for (const net of (want.networks ?? []).slice(1)) await docker.getNetwork(net).connect({ Container: id });
        if (f.start) await c.start();
      } catch (e) {
        let restored = '';
        if (kept && old) {
          try {
            if (id) await docker.getContainer(id).remove({ force: true });
            await docker.getContainer(old.Id).rename({ name: p.name });
            if (oldRunning) await docker.getContainer(old.Id).start();
            restored = '; the previous container was put back';
          } catch (e2) {
            restored = `; the previous container is kept as ${kept} (putting it back failed: ${engineMessage(e2)})`;
          }
        }
        throw new ModuleError(`${where('cannot create and start the container', e).message}${restored}`);
      }
      if (kept && old && !ctx.keepUndo) {
        try {
          await docker.getContainer(old.Id).remove({ force: true });
        } catch (e) {
          throw where(`cannot remove the replaced container ${kept}`, e);
        }
      }
      const undo: ContainerUndo | undefined = !ctx.keepUndo
        ? undefined
        : kept && old
          ? { kind: 'replaced', name: p.name, kept, keptId: old.Id, wasRunning: oldRunning }
          : { kind: 'created', name: p.name };
      return { result: { container: id, image: want.image }, ...(undo ? { undo } : {}) };
    }

    if (old && f.start) {
      try {
        await docker.getContainer(old.Id).start();
      } catch (e) {
        throw where('cannot start the container', e);
      }
    } else if (old && f.stop) {
      await stopIt(old.Id);
    }
    return {
      result: { container: old?.Id ?? null },
      ...(ctx.keepUndo && old ? { undo: { kind: 'state', name: p.name, wasRunning: oldRunning } satisfies ContainerUndo } : {}),
    };
  },

  async undo(ctx, p, raw) {
    const u = raw as ContainerUndo;
    const docker = await ctx.docker();
    const current = await inspectContainer(docker, u.name);
    if (u.kind === 'state') {
      if (!current) return;
      if (u.wasRunning && !current.State?.Running) await docker.getContainer(current.Id).start();
      if (!u.wasRunning && current.State?.Running) await docker.getContainer(current.Id).stop(p.stop_timeout !== undefined ? { t: p.stop_timeout } : {});
      return;
    }
    if (current && u.kind !== 'removed') await docker.getContainer(current.Id).remove({ force: true });
    if (u.kind === 'created') return;
    await docker.getContainer(u.keptId).rename({ name: u.name });
    if (u.wasRunning) await docker.getContainer(u.keptId).start();
  },

  async discard(ctx, _p, raw) {
    const u = raw as ContainerUndo;
    if (u.kind !== 'replaced' && u.kind !== 'removed') return;
    const docker = await ctx.docker();
    try {
      await docker.getContainer(u.keptId).remove({ force: true });
    } catch (e) {
      if (!isNotFound(e)) throw e;
    }
  },
});
