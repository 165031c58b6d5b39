import { ModuleError } from '../src/core/errors.js';
import { defineModule, type ApplyResult, type ModuleContext } from '../src/core/module.js';
import {
  backendStates,
  nginxReloadWaitCommand,
  nginxStartCommand,
  nginxStatusCommand,
  nginxTestCommand,
  removeFileCommand,
  renderSite,
  setBackendState,
  type LbBackend,
  type LbMethod,
} from './_lib/nginx.js';

export interface NginxLbParams {
  name: string;
  path?: string;
  listen: string | number;
  server_name: string;
  upstream?: string;
  backends?: LbBackend[];
  group?: string;
  port?: number;
  address_var: string;
  method: LbMethod;
  max_fails?: number;
  fail_timeout?: string | number;
  proxy_next_upstream: string[];
  proxy_next_upstream_tries?: number;
  proxy_connect_timeout?: string | number;
  backend?: string;
  state?: 'active' | 'drained';
  pid_file: string;
}

interface Facts {
  path: string;
  before: string | null;
  after: string;
  running: boolean;
  writes: boolean;
}

/** What undo needs: the site file as it was (null = there was none). */
export interface NginxLbUndo {
  path: string;
  before: string | null;
}

const duration = { type: ['string', 'number'], pattern: '^[0-9]+(ms|s|m|h)?$' };

export const nginxLbSchema = {
  type: 'object',
  additionalProperties: false,
  properties: {
    name: { type: 'string', pattern: '^[A-Za-z0-9_.-]+$', description: 'Site name; the file is /etc/nginx/conf.d/NAME.conf.' },
    path: { type: 'string', minLength: 1, description: 'Site file path instead of /etc/nginx/conf.d/NAME.conf.' },
    listen: { type: ['string', 'number'], default: 80, description: 'What the server listens on (port or address:port).' },
    server_name: { type: 'string', default: '_', description: 'server_name of the site.' },
    upstream: { type: 'string', pattern: '^[A-Za-z0-9_.-]+$', description: 'Upstream block name (default: the site name).' },
    backends: {
      type: 'array',
      minItems: 1,
      description: 'Backends of the upstream: address (host:port), weight, backup, max_fails, fail_timeout, state (active | drained).',
      items: {
        type: 'object',
        additionalProperties: false,
        required: ['address'],
        properties: {
          address: { type: 'string', minLength: 1, description: 'host:port' },
          weight: { type: 'integer', minimum: 1 },
          backup: { type: 'boolean' },
          max_fails: { type: 'integer', minimum: 0 },
          fail_timeout: duration,
          state: { enum: ['active', 'drained'] },
        },
      },
    },
    group: { type: 'string', minLength: 1, description: "Build the backends from this inventory group's hosts (with `port`)." },
    port: { type: 'integer', minimum: 1, maximum: 65535, description: 'Backend port for `group` hosts.' },
    address_var: {
      type: 'string',
      default: 'private_address',
      description: "Host variable holding a group host's address (falls back to ansible_host, then the name).",
    },
    method: { enum: ['round_robin', 'least_conn', 'ip_hash'], default: 'round_robin' },
    max_fails: { type: 'integer', minimum: 0, description: 'Passive health: failures within fail_timeout that mark a backend unavailable.' },
    fail_timeout: { ...duration, description: 'Passive health window and how long a failed backend is skipped.' },
    proxy_next_upstream: {
      type: 'array',
      items: { type: 'string', pattern: '^[a-z_0-9]+$' },
      default: ['error', 'timeout', 'http_502', 'http_503', 'http_504'],
      description: 'When a request is retried on the next backend.',
    },
    proxy_next_upstream_tries: { type: 'integer', minimum: 0, description: 'Most backends one request is tried on (0 = no limit).' },
    proxy_connect_timeout: duration,
    backend: {
      type: 'string',
      minLength: 1,
      description:
        'With `state`: the backend (address as in the upstream) to drain or re-enable. Alone (no ' +
        'backends/group) it edits the existing site, changing only that server line.',
    },
    state: { enum: ['active', 'drained'], description: 'State of `backend`.' },
    pid_file: { type: 'string', default: '/run/nginx.pid', description: "nginx's pid file (to tell whether it runs)." },
  },
  required: ['name'],
  dependencies: { backend: ['state'], state: ['backend'], port: ['group'], group: ['port'] },
  not: { required: ['backends', 'group'] },
  anyOf: [{ required: ['backends'] }, { required: ['group'] }, { required: ['backend'] }],
};

function sitePath(p: NginxLbParams): string {
  return p.path ?? `/etc/nginx/conf.d/${p.name}.conf`;
}

const dur = (v: string | number | undefined): string | undefined =>
  v === undefined ? undefined : typeof v === 'number' ? `${v}s` : v;

/** The backends of a group: every host's address_var (or ansible_host, or name) and `port`. */
export function groupBackends(vars: Readonly<Record<string, unknown>>, group: string, port: number, addressVar: string): LbBackend[] {
  const groups = (vars.groups ?? {}) as Record<string, string[] | undefined>;
  const hosts = groups[group];
  if (!Array.isArray(hosts) || hosts.length === 0) {
    throw new ModuleError(`inventory group '${group}' has no hosts (expected the backends of the upstream)`, { group });
  }
  const hostvars = (vars.hostvars ?? {}) as Record<string, Record<string, unknown> | undefined>;
  return hosts.map((h) => {
    const hv = hostvars[h] ?? {};
    const addr = hv[addressVar] ?? hv.ansible_host ?? h;
    return { address: `${String(addr)}:${port}` };
  });
}

/** The site text this task wants, given what is there now. */
export function desiredSite(ctx: ModuleContext, p: NginxLbParams, before: string | null, path: string): string {
  if (!p.backends && !p.group) {
    if (!p.backend || !p.state) {
      throw new ModuleError('nginx_lb needs `backends` or `group` (or `backend` + `state` to edit an existing site)');
    }
    if (before === null) {
      throw new ModuleError(`site ${path} does not exist: cannot set backend ${p.backend} ${p.state} (expected an existing nginx_lb site)`, {
        path,
      });
    }
    const next = setBackendState(before, p.backend, p.state);
    if (next === null) {
      const known = Object.keys(backendStates(before));
      throw new ModuleError(
        `backend ${p.backend} is not in the upstream of ${path} (found: ${known.join(', ') || 'none'})`,
        { path, backends: known },
      );
    }
    return next;
  }
  let backends = p.backends ?? groupBackends(ctx.vars, p.group!, p.port!, p.address_var);
  if (p.backend) {
    if (!backends.some((b) => b.address === p.backend)) {
      throw new ModuleError(`backend ${p.backend} is not one of the backends (${backends.map((b) => b.address).join(', ')})`);
    }
    backends = backends.map((b) => (b.address === p.backend ? { ...b, state: p.state } : b));
  }
  try {
    return renderSite({
      name: p.name,
      upstream: p.upstream ?? p.name,
      listen: String(p.listen),
      server_name: p.server_name,
      method: p.method,
      max_fails: p.max_fails,
      fail_timeout: dur(p.fail_timeout),
      proxy_next_upstream: p.proxy_next_upstream,
      proxy_next_upstream_tries: p.proxy_next_upstream_tries,
      proxy_connect_timeout: dur(p.proxy_connect_timeout),
      backends: backends.map((b) => ({ ...b, fail_timeout: dur(b.fail_timeout) })),
    });
  } catch (e) {
    throw new ModuleError((e as Error).message);
  }
}

async function isRunning(ctx: ModuleContext, pidFile: string): Promise<boolean> {
  const r = await ctx.run(nginxStatusCommand(pidFile));
  if (r.exitCode !== 0) throw new ModuleError(`${ctx.host}: cannot tell whether nginx runs: ${r.stderr.trim()}`);
  return r.stdout.trim() === 'running';
}

async function runOrFail(ctx: ModuleContext, argv: string[], what: string): Promise<void> {
  const r = await ctx.run(argv);
  if (r.exitCode !== 0) {
    throw new ModuleError(`${ctx.host}: ${what} failed: ${argv.join(' ')} (exit ${r.exitCode}): ${(r.stderr || r.stdout).trim()}`, {
      rc: r.exitCode,
      stderr: r.stderr,
    });
  }
}

/** Write `content` (or remove when null), then test; on a failed test put `restore` back. */
async function writeTested(ctx: ModuleContext, path: string, content: string | null, restore: string | null): Promise<void> {
  if (content === null) await runOrFail(ctx, removeFileCommand(path), `removing ${path}`);
  else await ctx.transport.put(path, content, { mode: 0o644, become: ctx.become });
  const test = nginxTestCommand();
  const r = await ctx.run(test);
  if (r.exitCode === 0) return;
  const msg = (r.stderr || r.stdout).trim();
  if (restore === null) await runOrFail(ctx, removeFileCommand(path), `removing ${path}`);
  else await ctx.transport.put(path, restore, { become: ctx.become });
  throw new ModuleError(
    `${ctx.host}: ${test.join(' ')} rejected the new ${path} (exit ${r.exitCode}); the previous file is restored:\n${msg}`,
    { rc: r.exitCode, stderr: r.stderr, path },
  );
}

async function reloadOrStart(ctx: ModuleContext, pidFile: string): Promise<'reloaded' | 'started'> {
  if (await isRunning(ctx, pidFile)) {
    const r = await ctx.run(nginxReloadWaitCommand(pidFile));
    if (r.exitCode !== 0) {
      throw new ModuleError(`${ctx.host}: nginx -s reload failed (exit ${r.exitCode}): ${(r.stderr || r.stdout).trim()}`, {
        rc: r.exitCode,
        stderr: r.stderr,
      });
    }
    return 'reloaded';
  }
  await runOrFail(ctx, nginxStartCommand(), 'starting nginx');
  return 'started';
}

export default defineModule<NginxLbParams, Facts>({
  name: 'nginx_lb',
  description:
    'An nginx load-balancing site: one upstream (from `backends` or an inventory `group` + `port`) ' +
    'with round_robin, least_conn or ip_hash, passive health (max_fails, fail_timeout) and ' +
    'proxy_next_upstream retries, and a server proxying to it. `backend` + `state` drains or ' +
    're-enables one backend (alone, it edits only that line of an existing site). The file is ' +
    'written atomically, `nginx -t` tests it in place and the previous file is put back when the ' +
    'test fails (the task fails with nginx\'s message); then nginx reloads gracefully, or is ' +
    'started when it is not running. Rollback restores the previous file and reloads.',
  example: `- name: Web load balancer
  nginx_lb: { name: web, listen: 8080, group: web, port: 8000, method: least_conn }
- name: Take one backend out
  nginx_lb: { name: web, backend: "10.0.0.5:8000", state: drained }
`,
  schema: nginxLbSchema,
  async plan(ctx, p) {
    const path = sitePath(p);
    const cur = await ctx.transport.get(path, { become: ctx.become });
    const before = cur === null ? null : cur.toString('utf8');
    const after = desiredSite(ctx, p, before, path);
    const running = await isRunning(ctx, p.pid_file);
    const writes = before !== after;
    const changes = [];
    if (writes) changes.push({ field: path, before: before === null ? 'absent' : 'old content', after: 'new content' });
    if (!running) changes.push({ field: 'nginx', before: 'stopped', after: 'running' });
    return {
      changes,
      diff: writes && ctx.diff ? [{ label: path, before: before ?? '', after }] : undefined,
      facts: { path, before, after, running, writes },
      result: { path, backends: backendStates(after) },
      summary: writes ? `write ${path} and reload nginx` : running ? undefined : 'start nginx',
    };
  },
  apply(ctx, p, plan) {
    // Tasks of several hosts often edit one LB's site at once (a rollout batch draining its
    // backends): one at a time per site, each re-reading the file so no edit is lost.
    return serialized(`${ctx.host}\0${plan.facts!.path}`, async () => {
      const fresh = await ctx.transport.get(plan.facts!.path, { become: ctx.become });
      const before = fresh === null ? null : fresh.toString('utf8');
      const after = before === plan.facts!.before ? plan.facts!.after : desiredSite(ctx, p, before, plan.facts!.path);
      return applySite(ctx, p, { ...plan.facts!, before, after, writes: before !== after });
    });
  },
  async undo(ctx, p, raw) {
    const u = raw as NginxLbUndo;
    await serialized(`${ctx.host}\0${u.path}`, async () => {
      const cur = await ctx.transport.get(u.path, { become: ctx.become });
      const now = cur === null ? null : cur.toString('utf8');
      if (now === u.before) return;
      await writeTested(ctx, u.path, u.before, now);
      await reloadOrStart(ctx, p.pid_file);
    });
  },
});

const queues = new Map<string, Promise<unknown>>();

/** Run `fn` after every earlier call with the same key has settled. */
function serialized<T>(key: string, fn: () => Promise<T>): Promise<T> {
  const prev = queues.get(key) ?? Promise.resolve();
  const next = prev.then(fn, fn);
  const tail = next.catch(() => {});
  queues.set(key, tail);
  void tail.then(() => {
    if (queues.get(key) === tail) queues.delete(key);
  });
  return next;
}

async function applySite(ctx: ModuleContext, p: NginxLbParams, f: Facts): Promise<ApplyResult> {
  // Another task made the same edit meanwhile: nothing left to do.
  if (!f.writes && (await isRunning(ctx, p.pid_file))) {
    return { changed: false, result: { path: f.path, backends: backendStates(f.after) } };
  }
  if (f.writes) await writeTested(ctx, f.path, f.after, f.before);
  else {
    const r = await ctx.run(nginxTestCommand());
    if (r.exitCode !== 0) throw new ModuleError(`${ctx.host}: nginx -t failed, not starting nginx:\n${(r.stderr || r.stdout).trim()}`);
  }
  let action: 'reloaded' | 'started';
  try {
    action = await reloadOrStart(ctx, p.pid_file);
  } catch (e) {
    // nginx -t passed but nginx would not load it (e.g. a port in use): nginx keeps running
    // the old configuration, so the old file goes back to match what runs.
    if (f.writes) {
      if (f.before === null) await runOrFail(ctx, removeFileCommand(f.path), `removing ${f.path}`);
      else await ctx.transport.put(f.path, f.before, { become: ctx.become });
    }
    throw new ModuleError(`${(e as Error).message}${f.writes ? `\nthe previous ${f.path} is restored` : ''}`);
  }
  const undo: NginxLbUndo | undefined = f.writes ? { path: f.path, before: f.before } : undefined;
  return { result: { path: f.path, nginx: action, backends: backendStates(f.after) }, ...(undo ? { undo } : {}) };
}
