/** Pure helpers of the volume module: named-volume comparison and bind-directory commands. */
import type { Change } from '../../src/core/module.js';

export interface VolumeParams {
  name?: string;
  type?: 'volume' | 'bind';
  driver?: string;
  driver_opts?: Record<string, string | number | boolean>;
  labels?: Record<string, string | number | boolean>;
  path?: string;
  owner?: string | number;
  group?: string | number;
  mode?: string | number;
  state?: 'present' | 'absent';
  recreate?: boolean;
}

/** The subset of `docker volume inspect` compared. */
export interface VolumeInspect {
  Name: string;
  Driver?: string;
  Options?: Record<string, string> | null;
  Labels?: Record<string, string> | null;
}

function strings(m: Record<string, string | number | boolean> | undefined): Record<string, string> {
  const out: Record<string, string> = {};
  for (const k of Object.keys(m ?? {}).sort()) out[k] = String(m![k]);
  return out;
}

function sorted(m: Record<string, string> | null | undefined): Record<string, string> {
  const out: Record<string, string> = {};
  for (const k of Object.keys(m ?? {}).sort()) out[k] = m![k]!;
  return out;
}

/** The body of `POST /volumes/create`. */
export function volumeCreateBody(p: VolumeParams): Record<string, unknown> {
  return { Name: p.name, Driver: p.driver ?? 'local', DriverOpts: strings(p.driver_opts), Labels: strings(p.labels) };
}

/** Fields where an existing named volume differs from the parameters (driver, driver_opts, labels). */
export function diffVolume(p: VolumeParams, v: VolumeInspect): Change[] {
  const changes: Change[] = [];
  const driver = p.driver ?? 'local';
  if ((v.Driver ?? 'local') !== driver) changes.push({ field: 'driver', before: v.Driver, after: driver });
  const opts = strings(p.driver_opts);
  const haveOpts = sorted(v.Options);
  if (JSON.stringify(haveOpts) !== JSON.stringify(opts)) changes.push({ field: 'driver_opts', before: haveOpts, after: opts });
  if (p.labels !== undefined) {
    const labels = strings(p.labels);
    const have = sorted(v.Labels);
    if (JSON.stringify(have) !== JSON.stringify(labels)) changes.push({ field: 'labels', before: have, after: labels });
  }
  return changes;
}

/** `stat` of a bind directory: type, owner, group, octal mode, one per line (missing: exit 1). */
export function statArgv(path: string): string[] {
  return ['stat', '-c', '%F\n%U\n%G\n%u\n%g\n%a', '--', path];
}

export interface DirStat {
  type: string;
  owner: string;
  group: string;
  uid: number;
  gid: number;
  mode: number;
}

export function parseStatOutput(out: string): DirStat {
  const [type, owner, group, uid, gid, mode] = out.trim().split('\n');
  return { type: type ?? '', owner: owner ?? '', group: group ?? '', uid: Number(uid), gid: Number(gid), mode: parseInt(mode ?? '0', 8) };
}

/** Octal mode text: "0750", "750", 0o750 (a YAML number written 0750 arrives as 750 decimal → read as octal digits). */
export function octalMode(m: string | number): number {
  const s = typeof m === 'number' ? String(m) : m;
  if (!/^0?[0-7]{3,4}$/.test(s)) throw new Error(`mode ${JSON.stringify(m)}: expected octal digits such as "0750"`);
  return parseInt(s, 8);
}

/** Fields where a bind directory differs from the parameters; `stat` undefined: it is missing. */
export function diffBindDir(p: VolumeParams, st: DirStat | undefined): Change[] {
  if (!st) return [{ field: 'path', before: 'absent', after: 'directory' }];
  const changes: Change[] = [];
  const matches = (want: string | number, name: string, id: number) => (typeof want === 'number' || /^\d+$/.test(want) ? Number(want) === id : want === name);
  if (p.owner !== undefined && !matches(p.owner, st.owner, st.uid)) changes.push({ field: 'owner', before: st.owner, after: String(p.owner) });
  if (p.group !== undefined && !matches(p.group, st.group, st.gid)) changes.push({ field: 'group', before: st.group, after: String(p.group) });
  if (p.mode !== undefined && octalMode(p.mode) !== st.mode) {
    changes.push({ field: 'mode', before: st.mode.toString(8).padStart(4, '0'), after: octalMode(p.mode).toString(8).padStart(4, '0') });
  }
  return changes;
}

/** Commands that make the bind directory match (mkdir, chown, chmod), in order. */
export function bindDirCommands(p: VolumeParams, changes: readonly Change[]): string[][] {
  const path = p.path!;
  const fields = new Set(changes.map((c) => c.field));
  const create = fields.has('path');
  const cmds: string[][] = [];
  if (create) cmds.push(['mkdir', '-p', '--', path]);
  const owner = p.owner !== undefined && (create || fields.has('owner')) ? String(p.owner) : undefined;
  const group = p.group !== undefined && (create || fields.has('group')) ? String(p.group) : undefined;
  if (owner !== undefined || group !== undefined) cmds.push(['chown', `${owner ?? ''}${group !== undefined ? `:${group}` : ''}`, '--', path]);
  if (p.mode !== undefined && (create || fields.has('mode'))) cmds.push(['chmod', octalMode(p.mode).toString(8).padStart(4, '0'), '--', path]);
  return cmds;
}
