/**
 * Pure helpers of docker_container: parameter notations normalised to one form, the container
 * a task asks for, what `inspect` says is running, the fields that differ, and the create body.
 * No I/O here: everything is unit-tested as plain data.
 */
import { splitShellWords } from '../../src/core/shell-words.js';
import type { Change } from '../../src/core/module.js';

/** Labels runbook adds to record what it set (so image-provided values are never drift). */
export const MANAGED_ENV_LABEL = 'runbook.managed.env';
export const MANAGED_LABELS_LABEL = 'runbook.managed.labels';
export const MANAGED_COMMAND_LABEL = 'runbook.managed.command';
export const MANAGED_PREFIX = 'runbook.managed.';

export interface HealthcheckParams {
  test: string | string[];
  interval?: number | string;
  timeout?: number | string;
  retries?: number;
  start_period?: number | string;
}

export interface ContainerParams {
  name: string;
  image?: string;
  state?: 'started' | 'stopped' | 'present' | 'absent';
  command?: string | string[];
  env?: Record<string, string | number | boolean>;
  ports?: string[];
  volumes?: string[];
  labels?: Record<string, string | number | boolean>;
  restart_policy?: string;
  networks?: Array<string | { name: string }>;
  healthcheck?: HealthcheckParams;
  pull?: 'missing' | 'always' | 'never';
  recreate?: boolean;
  stop_timeout?: number;
}

/** A port binding as `ip:hostPort:containerPort/proto` (ip empty for all addresses). */
export interface PortBinding {
  hostIp: string;
  hostPort: string;
  containerPort: string; // "80/tcp"
}

/** A health check in the engine's units (nanoseconds). */
export interface Healthcheck {
  Test: string[];
  Interval?: number;
  Timeout?: number;
  Retries?: number;
  StartPeriod?: number;
}

/** The container a task asks for, every notation normalised. */
export interface DesiredContainer {
  name: string;
  image: string;
  command?: string[];
  env: Record<string, string>;
  ports: string[];
  volumes: string[];
  labels: Record<string, string>;
  restartPolicy: string;
  networks?: string[];
  healthcheck?: Healthcheck;
  stopTimeout?: number;
}

/** The subset of `docker inspect` (container) these helpers read. */
export interface ContainerInspect {
  Id: string;
  Name?: string;
  Image: string; // image id
  Config: {
    Image?: string;
    Cmd?: string[] | null;
    Env?: string[] | null;
    Labels?: Record<string, string> | null;
    Healthcheck?: Healthcheck | null;
    StopTimeout?: number | null;
  };
  HostConfig: {
    Binds?: string[] | null;
    PortBindings?: Record<string, Array<{ HostIp?: string; HostPort?: string }> | null> | null;
    RestartPolicy?: { Name?: string; MaximumRetryCount?: number } | null;
  };
  NetworkSettings?: { Networks?: Record<string, unknown> | null } | null;
  State?: { Running?: boolean; Status?: string } | null;
}

/** The subset of `docker image inspect` these helpers read. */
export interface ImageInspect {
  Id: string;
  RepoDigests?: string[] | null;
  Config?: { Cmd?: string[] | null; Env?: string[] | null; Labels?: Record<string, string> | null } | null;
}

export class SpecError extends Error {}

/** `nginx` → `nginx:latest`; a tag or digest is kept as given. */
export function normaliseImage(ref: string): string {
  if (ref.includes('@')) return ref;
  const lastSlash = ref.lastIndexOf('/');
  return ref.slice(lastSlash + 1).includes(':') ? ref : `${ref}:latest`;
}

/**
 * `"8080:80"`, `"127.0.0.1:8080:80/tcp"`, `"[::1]:8080:80"`, `"80"` → one binding.
 * An address of 0.0.0.0 is the same as none.
 */
export function parsePort(spec: string): PortBinding {
  const s = String(spec).trim();
  let rest = s;
  let hostIp = '';
  const v6 = /^\[([^\]]+)\]:(.*)$/.exec(rest);
  if (v6) {
    hostIp = v6[1]!;
    rest = v6[2]!;
  }
  let [containerPart, proto] = splitOnce(rest, '/', true);
  proto = proto ?? 'tcp';
  if (!['tcp', 'udp', 'sctp'].includes(proto)) throw new SpecError(`port ${JSON.stringify(spec)}: protocol must be tcp, udp or sctp, found ${JSON.stringify(proto)}`);
  const parts = containerPart.split(':');
  let hostPort = '';
  let containerPort: string;
  if (parts.length === 1) containerPort = parts[0]!;
  else if (parts.length === 2) [hostPort, containerPort] = parts as [string, string];
  else if (parts.length === 3 && !v6) [hostIp, hostPort, containerPort] = parts as [string, string, string];
  else throw new SpecError(`port ${JSON.stringify(spec)}: expected [ip:][hostPort:]containerPort[/proto]`);
  const num = /^\d{1,5}$/;
  if (!num.test(containerPort) || (hostPort !== '' && !num.test(hostPort))) {
    throw new SpecError(`port ${JSON.stringify(spec)}: ports must be numbers (e.g. "8080:80")`);
  }
  if (hostIp === '0.0.0.0') hostIp = '';
  return { hostIp, hostPort, containerPort: `${Number(containerPort)}/${proto}` };
}

export function portString(p: PortBinding): string {
  const ip = p.hostIp.includes(':') ? `[${p.hostIp}]` : p.hostIp;
  return `${ip}:${p.hostPort}:${p.containerPort}`;
}

/** `"data:/var/lib/app"`, `"/srv/app:/app:ro"` → `source:dest[:ro]` (rw is the default and dropped). */
export function normaliseVolume(spec: string): string {
  const parts = String(spec).split(':');
  if (parts.length < 2 || parts.length > 3 || !parts[0] || !parts[1]) {
    throw new SpecError(`volume ${JSON.stringify(spec)}: expected source:/container/path[:ro|rw] (a volume name or an absolute host path)`);
  }
  const [src, dest, mode] = parts as [string, string, string | undefined];
  if (!dest.startsWith('/')) throw new SpecError(`volume ${JSON.stringify(spec)}: the container path must be absolute`);
  const opts = (mode ?? '')
    .split(',')
    .filter((o) => o !== '' && o !== 'rw')
    .sort();
  const cleanSrc = src.startsWith('/') && src.length > 1 ? src.replace(/\/+$/, '') : src;
  const cleanDest = dest.length > 1 ? dest.replace(/\/+$/, '') : dest;
  return opts.length > 0 ? `${cleanSrc}:${cleanDest}:${opts.join(',')}` : `${cleanSrc}:${cleanDest}`;
}

/** Names of the named volumes (not bind mounts) a volume list uses. */
export function namedVolumes(volumes: readonly string[]): string[] {
  return volumes.map((v) => v.split(':')[0]!).filter((s) => !s.startsWith('/'));
}

/** `no`, `always`, `unless-stopped`, `on-failure`, `on-failure:3`. */
export function parseRestartPolicy(spec: string | undefined): { Name: string; MaximumRetryCount: number } {
  const s = (spec ?? 'no').trim();
  const m = /^(no|always|unless-stopped|on-failure)(?::(\d+))?$/.exec(s);
  if (!m || (m[2] !== undefined && m[1] !== 'on-failure')) {
    throw new SpecError(`restart_policy ${JSON.stringify(spec)}: expected no, always, unless-stopped, on-failure or on-failure:N`);
  }
  return { Name: m[1]!, MaximumRetryCount: m[2] !== undefined ? Number(m[2]) : 0 };
}

export function restartPolicyString(p: { Name?: string; MaximumRetryCount?: number } | null | undefined): string {
  const name = p?.Name || 'no';
  return name === 'on-failure' && (p?.MaximumRetryCount ?? 0) > 0 ? `on-failure:${p!.MaximumRetryCount}` : name;
}

/** Seconds (number) or `1m30s` / `500ms` / `10s` → nanoseconds. */
export function durationNs(v: number | string, what: string): number {
  if (typeof v === 'number') {
    if (!(v >= 0)) throw new SpecError(`${what}: must be zero or more seconds, found ${v}`);
    return Math.round(v * 1e9);
  }
  const s = v.trim();
  if (/^\d+(\.\d+)?$/.test(s)) return Math.round(Number(s) * 1e9);
  const re = /(\d+(?:\.\d+)?)(ms|h|m|s)/gy;
  const unit: Record<string, number> = { ms: 1e6, s: 1e9, m: 60e9, h: 3600e9 };
  let total = 0;
  let m: RegExpExecArray | null;
  let end = 0;
  while ((m = re.exec(s))) {
    total += Number(m[1]) * unit[m[2]!]!;
    end = re.lastIndex;
  }
  if (end !== s.length || s.length === 0) throw new SpecError(`${what}: expected seconds or a duration like 30s, 1m30s, 500ms; found ${JSON.stringify(v)}`);
  return Math.round(total);
}

export function normaliseHealthcheck(h: HealthcheckParams): Healthcheck {
  let test: string[];
  if (typeof h.test === 'string') test = ['CMD-SHELL', h.test];
  else if (['CMD', 'CMD-SHELL', 'NONE'].includes(h.test[0] ?? '')) test = [...h.test];
  else test = ['CMD', ...h.test];
  const out: Healthcheck = { Test: test };
  if (h.interval !== undefined) out.Interval = durationNs(h.interval, 'healthcheck.interval');
  if (h.timeout !== undefined) out.Timeout = durationNs(h.timeout, 'healthcheck.timeout');
  if (h.retries !== undefined) out.Retries = h.retries;
  if (h.start_period !== undefined) out.StartPeriod = durationNs(h.start_period, 'healthcheck.start_period');
  return out;
}

function stringMap(m: Record<string, string | number | boolean> | undefined): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(m ?? {})) out[k] = String(v);
  return out;
}

/** The container the parameters ask for, every notation normalised; throws SpecError on bad notation. */
export function desiredContainer(p: ContainerParams): DesiredContainer {
  if (!p.image) throw new SpecError(`image is required unless state is absent`);
  const labels = stringMap(p.labels);
  for (const k of Object.keys(labels)) {
    if (k.startsWith(MANAGED_PREFIX)) throw new SpecError(`label ${k}: names starting with ${MANAGED_PREFIX} are runbook's own`);
  }
  const d: DesiredContainer = {
    name: p.name,
    image: normaliseImage(p.image),
    env: stringMap(p.env),
    ports: [...new Set((p.ports ?? []).map((x) => portString(parsePort(x))))].sort(),
    volumes: [...new Set((p.volumes ?? []).map(normaliseVolume))].sort(),
    labels,
    restartPolicy: restartPolicyString(parseRestartPolicy(p.restart_policy)),
  };
  if (p.command !== undefined) d.command = typeof p.command === 'string' ? splitShellWords(p.command) : p.command.map(String);
  if (p.networks !== undefined) d.networks = [...new Set(p.networks.map((n) => (typeof n === 'string' ? n : n.name)))].sort();
  if (p.healthcheck !== undefined) d.healthcheck = normaliseHealthcheck(p.healthcheck);
  if (p.stop_timeout !== undefined) d.stopTimeout = p.stop_timeout;
  return d;
}

export function envMap(list: readonly string[] | null | undefined): Record<string, string> {
  const out: Record<string, string> = {};
  for (const e of list ?? []) {
    const i = e.indexOf('=');
    if (i < 0) out[e] = '';
    else out[e.slice(0, i)] = e.slice(i + 1);
  }
  return out;
}

function jsonList(s: string | undefined): string[] {
  if (!s) return [];
  try {
    const v = JSON.parse(s) as unknown;
    return Array.isArray(v) ? v.map(String) : [];
  } catch {
    return [];
  }
}

export function portsOf(c: ContainerInspect): string[] {
  const out: string[] = [];
  for (const [cport, binds] of Object.entries(c.HostConfig.PortBindings ?? {})) {
    for (const b of binds ?? [{}]) {
      const ip = b.HostIp === '0.0.0.0' ? '' : (b.HostIp ?? '');
      out.push(portString({ hostIp: ip, hostPort: b.HostPort ?? '', containerPort: cport.includes('/') ? cport : `${cport}/tcp` }));
    }
  }
  return [...new Set(out)].sort();
}

/**
 * The fields where the running container differs from the desired one, each with before/after.
 * `image` is the image the container runs from (its inspect); `wantImageId` the id of the desired
 * image on the host (undefined when it is not there yet). Values the image sets (env, labels,
 * command) are the baseline: only what the task asks for, or what runbook set before, counts.
 */
export function diffContainer(
  want: DesiredContainer,
  c: ContainerInspect,
  image: ImageInspect | undefined,
  wantImageId: string | undefined,
): Change[] {
  const changes: Change[] = [];
  const labels = c.Config.Labels ?? {};
  const imgEnv = envMap(image?.Config?.Env);
  const imgLabels = image?.Config?.Labels ?? {};

  const haveImage = c.Config.Image ? normaliseImage(c.Config.Image) : c.Image;
  if (wantImageId === undefined || wantImageId !== c.Image) {
    changes.push({ field: 'image', before: `${haveImage} (${shortId(c.Image)})`, after: wantImageId ? `${want.image} (${shortId(wantImageId)})` : `${want.image} (not on the host)` });
  }

  const wantCmd = want.command ?? image?.Config?.Cmd ?? undefined;
  const haveCmd = c.Config.Cmd ?? undefined;
  if (wantCmd !== undefined && JSON.stringify(wantCmd) !== JSON.stringify(haveCmd ?? null)) {
    changes.push({ field: 'command', before: haveCmd ?? null, after: wantCmd });
  }

  const env = envMap(c.Config.Env);
  const managedEnv = new Set(jsonList(labels[MANAGED_ENV_LABEL]));
  for (const k of [...new Set([...Object.keys(env), ...Object.keys(want.env), ...managedEnv])].sort()) {
    const have = env[k];
    if (k in want.env) {
      if (have !== want.env[k]) changes.push({ field: `env.${k}`, before: have, after: want.env[k] });
    } else if (have !== undefined && have !== imgEnv[k]) {
      changes.push({ field: `env.${k}`, before: have, after: imgEnv[k] });
    }
  }

  const managedLabels = new Set(jsonList(labels[MANAGED_LABELS_LABEL]));
  for (const k of [...new Set([...Object.keys(labels), ...Object.keys(want.labels), ...managedLabels])].sort()) {
    if (k.startsWith(MANAGED_PREFIX)) continue;
    const have = labels[k];
    if (k in want.labels) {
      if (have !== want.labels[k]) changes.push({ field: `labels.${k}`, before: have, after: want.labels[k] });
    } else if (have !== undefined && have !== imgLabels[k]) {
      changes.push({ field: `labels.${k}`, before: have, after: imgLabels[k] });
    }
  }

  const ports = portsOf(c);
  if (JSON.stringify(ports) !== JSON.stringify(want.ports)) changes.push({ field: 'ports', before: ports, after: want.ports });

  const volumes = [...new Set((c.HostConfig.Binds ?? []).map(normaliseVolume))].sort();
  if (JSON.stringify(volumes) !== JSON.stringify(want.volumes)) changes.push({ field: 'volumes', before: volumes, after: want.volumes });

  const restart = restartPolicyString(c.HostConfig.RestartPolicy);
  if (restart !== want.restartPolicy) changes.push({ field: 'restart_policy', before: restart, after: want.restartPolicy });

  if (want.networks) {
    const nets = Object.keys(c.NetworkSettings?.Networks ?? {}).sort();
    if (JSON.stringify(nets) !== JSON.stringify(want.networks)) changes.push({ field: 'networks', before: nets, after: want.networks });
  }

  if (want.healthcheck) {
    const h = c.Config.Healthcheck ?? undefined;
    const have = h ? pickHealth(h, want.healthcheck) : undefined;
    if (JSON.stringify(have) !== JSON.stringify(want.healthcheck)) changes.push({ field: 'healthcheck', before: have ?? null, after: want.healthcheck });
  }

  if (want.stopTimeout !== undefined && (c.Config.StopTimeout ?? undefined) !== want.stopTimeout) {
    changes.push({ field: 'stop_timeout', before: c.Config.StopTimeout ?? null, after: want.stopTimeout });
  }
  return changes;
}

/** The health check's fields in the order and subset the desired one has, for comparing. */
function pickHealth(h: Healthcheck, like: Healthcheck): Healthcheck {
  const out: Healthcheck = { Test: h.Test };
  for (const k of ['Interval', 'Timeout', 'Retries', 'StartPeriod'] as const) if (like[k] !== undefined) out[k] = h[k] ?? 0;
  return out;
}

export function shortId(id: string): string {
  return id.replace(/^sha256:/, '').slice(0, 12);
}

/** The body of `POST /containers/create` for the desired container (the name goes in the query). */
export function createBody(want: DesiredContainer): Record<string, unknown> {
  const exposed: Record<string, Record<string, never>> = {};
  const bindings: Record<string, Array<{ HostIp: string; HostPort: string }>> = {};
  for (const s of want.ports) {
    const p = parsePort(s);
    exposed[p.containerPort] = {};
    (bindings[p.containerPort] ??= []).push({ HostIp: p.hostIp, HostPort: p.hostPort });
  }
  const labels: Record<string, string> = {
    ...want.labels,
    [MANAGED_ENV_LABEL]: JSON.stringify(Object.keys(want.env).sort()),
    [MANAGED_LABELS_LABEL]: JSON.stringify(Object.keys(want.labels).sort()),
  };
  if (want.command) labels[MANAGED_COMMAND_LABEL] = JSON.stringify(want.command);
  const rp = parseRestartPolicy(want.restartPolicy);
  const body: Record<string, unknown> = {
    Image: want.image,
    Env: Object.entries(want.env).map(([k, v]) => `${k}=${v}`),
    Labels: labels,
    ExposedPorts: exposed,
    HostConfig: {
      Binds: want.volumes,
      PortBindings: bindings,
      RestartPolicy: rp,
      ...(want.networks && want.networks.length > 0 ? { NetworkMode: want.networks[0] } : {}),
    },
  };
  if (want.command) body.Cmd = want.command;
  if (want.healthcheck) body.Healthcheck = want.healthcheck;
  if (want.stopTimeout !== undefined) body.StopTimeout = want.stopTimeout;
  return body;
}

/** The name a replaced container is kept under until the run is done (a rollback renames it back). */
export function keptName(name: string, now: number): string {
  return `${name}.runbook-replaced-${now}`;
}

function splitOnce(s: string, sep: string, last = false): [string, string | undefined] {
  const i = last ? s.lastIndexOf(sep) : s.indexOf(sep);
  return i < 0 ? [s, undefined] : [s.slice(0, i), s.slice(i + 1)];
}
