import type Docker from 'dockerode';
import { ModuleError } from '../src/core/errors.js';
import { defineModule, type Change } from '../src/core/module.js';
import { ownerSchema, groupSchema } from './_lib/attrs.js';
import {
  bindDirCommands,
  diffBindDir,
  diffVolume,
  parseStatOutput,
  statArgv,
  volumeCreateBody,
  type DirStat,
  type VolumeInspect,
  type VolumeParams,
} from './_lib/docker-volume.js';

export const volumeSchema = {
  type: 'object',
  additionalProperties: false,
  properties: {
    type: {
      enum: ['volume', 'bind'],
      default: 'volume',
      description: 'volume: a Docker named volume (name, driver, driver_opts, labels); bind: a directory on the host to mount into containers (path, owner, group, mode).',
    },
    name: { type: 'string', minLength: 1, pattern: '^[a-zA-Z0-9][a-zA-Z0-9_.-]*$', description: 'Name of the Docker volume (type volume).' },
    driver: { type: 'string', default: 'local', description: 'Volume driver (type volume).' },
    driver_opts: {
      type: 'object',
      additionalProperties: { type: ['string', 'number', 'boolean'] },
      description: 'Driver options (type volume). A difference is reported; it is acted on only with recreate: true.',
    },
    labels: {
      type: 'object',
      additionalProperties: { type: ['string', 'number', 'boolean'] },
      description: 'Labels of the volume (type volume). Not given: not compared.',
    },
    recreate: {
      type: 'boolean',
      default: false,
      description:
        'Remove and create again a named volume whose driver, driver_opts or labels differ. Its data is lost, ' +
        'so without it a difference is reported (and check mode shows it) but applying it fails.',
    },
    path: { type: 'string', pattern: '^/', description: 'Absolute path of the host directory (type bind); created with its parents.' },
    owner: { ...ownerSchema, description: 'Owner of the bind directory (name or uid).' },
    group: { ...groupSchema, description: 'Group of the bind directory (name or gid).' },
    mode: { type: ['string', 'integer'], description: 'Mode of the bind directory, octal ("0750").' },
    state: {
      enum: ['present', 'absent'],
      default: 'present',
      description: 'absent removes the named volume (fails while a container uses it) or the bind directory when it is empty.',
    },
  },
  if: { properties: { type: { const: 'bind' } }, required: ['type'] },
  then: { required: ['path'] },
  else: { required: ['name'] },
};

interface VolumeFacts {
  kind: 'volume' | 'bind';
  exists: boolean;
  changes: Change[];
}

async function inspectVolume(docker: Docker, name: string): Promise<VolumeInspect | undefined> {
  try {
    return (await docker.getVolume(name).inspect()) as unknown as VolumeInspect;
  } catch (e) {
    if ((e as { statusCode?: number }).statusCode === 404) return undefined;
    throw e;
  }
}

function engineMessage(e: unknown): string {
  const x = e as { json?: { message?: string }; message?: string };
  return x?.json?.message ?? x?.message ?? String(e);
}

export default defineModule<VolumeParams, VolumeFacts>({
  name: 'volume',
  description:
    'Storage for containers: a Docker named volume on the host\'s engine (driver, driver_opts, labels; a change of ' +
    'options is reported, and only acted on with recreate: true since recreating loses the data), or a bind ' +
    'directory on the host (path, owner, group, mode).',
  example: `- name: App data
  volume: { name: app-data, labels: { team: web } }
- name: Config folder for a bind mount
  volume: { type: bind, path: /srv/app/config, owner: root, mode: "0755" }
`,
  schema: volumeSchema,

  async plan(ctx, p) {
    const state = p.state ?? 'present';
    if ((p.type ?? 'volume') === 'bind') {
      const r = await ctx.run(statArgv(p.path!));
      let st: DirStat | undefined;
      if (r.exitCode === 0) {
        st = parseStatOutput(r.stdout);
        if (st.type !== 'directory') throw new ModuleError(`${ctx.host}: volume: ${p.path} exists and is a ${st.type}, expected a directory`);
      } else if (!/No such file/i.test(r.stderr)) {
        throw new ModuleError(`${ctx.host}: volume: ${statArgv(p.path!).join(' ')} failed: ${r.stderr.trim()}`);
      }
      if (state === 'absent') {
        const changes = st ? [{ field: 'path', before: 'directory', after: 'absent' }] : [];
        return { changes, facts: { kind: 'bind', exists: !!st, changes } };
      }
      const changes = diffBindDir(p, st);
      return { changes, facts: { kind: 'bind', exists: !!st, changes }, result: { path: p.path } };
    }
    const docker = await ctx.docker();
    const v = await inspectVolume(docker, p.name!);
    if (state === 'absent') {
      const changes = v ? [{ field: 'volume', before: 'present', after: 'absent' }] : [];
      return { changes, facts: { kind: 'volume', exists: !!v, changes } };
    }
    if (!v) {
      const changes = [{ field: 'volume', before: 'absent', after: 'present' }];
      return { changes, facts: { kind: 'volume', exists: false, changes }, summary: `create volume ${p.name}` };
    }
    const changes = diffVolume(p, v);
    const summary = changes.length > 0 ? `volume ${p.name} differs (${changes.map((c) => c.field).join(', ')})${p.recreate ? ': recreate it' : ''}` : undefined;
    return { changes, facts: { kind: 'volume', exists: true, changes }, summary, result: { volume: p.name } };
  },

  async apply(ctx, p, plan) {
    const f = plan.facts!;
    const state = p.state ?? 'present';
    if (f.kind === 'bind') {
      if (state === 'absent') {
        const r = await ctx.run(['rmdir', '--', p.path!]);
        if (r.exitCode !== 0) throw new ModuleError(`${ctx.host}: volume: rmdir -- ${p.path} failed (only an empty directory is removed): ${r.stderr.trim()}`);
        return {};
      }
      for (const cmd of bindDirCommands(p, f.changes)) {
        const r = await ctx.run(cmd);
        if (r.exitCode !== 0) throw new ModuleError(`${ctx.host}: volume: ${cmd.join(' ')} failed (exit ${r.exitCode}): ${r.stderr.trim()}`);
      }
      return { result: { path: p.path } };
    }
    const docker = await ctx.docker();
    const fail = (what: string, e: unknown) => new ModuleError(`${ctx.host}: volume ${p.name}: ${what}: ${engineMessage(e)}`);
    if (state === 'absent' || (f.exists && p.recreate)) {
      try {
        await docker.getVolume(p.name!).remove();
      } catch (e) {
        throw fail('cannot remove the volume', e);
      }
      if (state === 'absent') return {};
    } else if (f.exists) {
      throw new ModuleError(
        `${ctx.host}: volume ${p.name}: ${f.changes.map((c) => c.field).join(', ')} differ from the existing volume; ` +
          'recreating it loses its data, so set recreate: true to do it',
      );
    }
    try {
      await docker.createVolume(volumeCreateBody(p) as Docker.VolumeCreateOptions);
    } catch (e) {
      throw fail('cannot create the volume', e);
    }
    return { result: { volume: p.name } };
  },
});
