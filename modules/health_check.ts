import net from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import { ModuleError } from '../src/core/errors.js';
import { defineModule, type ModuleContext } from '../src/core/module.js';
import { commandProbe, curlArgv, excerpt, judgeHttp, parseCurlOutput, tcpProbeArgv } from './_lib/health.js';

export interface HealthCheckParams {
  http?: { url: string; method: string; status: number | number[]; body?: string; headers?: Record<string, string> };
  tcp?: { host: string; port: number };
  command?: string | string[];
  from: 'target' | 'controller';
  retries: number;
  delay: number;
  timeout: number;
}

/** One probe: passed, or what was seen. */
interface Attempt {
  ok: boolean;
  /** What was seen, for the failure message. */
  saw: string;
  result: Record<string, unknown>;
}

export const healthCheckSchema = {
  type: 'object',
  additionalProperties: false,
  properties: {
    http: {
      type: 'object',
      additionalProperties: false,
      required: ['url'],
      description: 'An HTTP check: url, method (GET), status (200, or a list), body (regex), headers (sent).',
      properties: {
        url: { type: 'string', pattern: '^https?://' },
        method: { enum: ['GET', 'HEAD', 'POST', 'PUT', 'DELETE', 'OPTIONS', 'PATCH'], default: 'GET' },
        status: {
          anyOf: [
            { type: 'integer', minimum: 100, maximum: 599 },
            { type: 'array', minItems: 1, items: { type: 'integer', minimum: 100, maximum: 599 } },
          ],
          default: 200,
          description: 'Expected status code(s).',
        },
        body: { type: 'string', description: 'Regular expression (JavaScript) the body must match.' },
        headers: { type: 'object', additionalProperties: { type: 'string' }, description: 'Request headers.' },
      },
    },
    tcp: {
      type: 'object',
      additionalProperties: false,
      required: ['port'],
      description: 'A TCP connect check: host (127.0.0.1 = the target itself, or the controller with from: controller), port.',
      properties: {
        host: { type: 'string', minLength: 1, default: '127.0.0.1' },
        port: { type: 'integer', minimum: 1, maximum: 65535 },
      },
    },
    command: {
      anyOf: [{ type: 'string', minLength: 1 }, { type: 'array', minItems: 1, items: { type: 'string' } }],
      description: 'Passes when it exits 0 (a string runs with sh, a list is an argv). Target only.',
    },
    from: {
      enum: ['target', 'controller'],
      default: 'target',
      description: 'Probe from the host over SSH (curl, bash /dev/tcp) or from the controller.',
    },
    retries: { type: 'integer', minimum: 0, default: 0, description: 'Further attempts after a failed one.' },
    delay: { type: 'number', minimum: 0, default: 1, description: 'Seconds between attempts.' },
    timeout: { type: 'number', exclusiveMinimum: 0, default: 5, description: 'Seconds per attempt.' },
  },
  oneOf: [{ required: ['http'] }, { required: ['tcp'] }, { required: ['command'] }],
};

function expectStatus(s: number | number[]): number[] {
  return Array.isArray(s) ? s : [s];
}

async function httpTarget(ctx: ModuleContext, h: NonNullable<HealthCheckParams['http']>, timeout: number): Promise<Attempt> {
  const argv = curlArgv({ url: h.url, method: h.method, headers: h.headers, timeoutS: timeout });
  const r = await ctx.run(argv, { timeoutMs: (timeout + 5) * 1000 });
  const { body, status } = parseCurlOutput(r.stdout);
  if (status === null) {
    const err = r.stderr.trim() || `curl exit ${r.exitCode}`;
    return { ok: false, saw: `no response from ${h.url}: ${err}`, result: { error: err } };
  }
  return judged(h, status, body);
}

function judged(h: NonNullable<HealthCheckParams['http']>, status: number, body: string): Attempt {
  const wrong = judgeHttp({ status: expectStatus(h.status), body: h.body }, status, body);
  const result = { status, body: excerpt(body, 1000) };
  if (wrong === null) return { ok: true, saw: `status ${status}`, result };
  return { ok: false, saw: `${h.method} ${h.url}: ${wrong}; body: "${excerpt(body)}"`, result };
}

async function httpController(h: NonNullable<HealthCheckParams['http']>, timeout: number): Promise<Attempt> {
  try {
    const res = await fetch(h.url, {
      method: h.method,
      headers: h.headers,
      redirect: 'manual',
      signal: AbortSignal.timeout(timeout * 1000),
    });
    const body = await res.text();
    return judged(h, res.status, body);
  } catch (e) {
    const err = (e as Error & { cause?: Error }).cause?.message ?? (e as Error).message;
    return { ok: false, saw: `no response from ${h.url}: ${err}`, result: { error: err } };
  }
}

async function tcpTarget(ctx: ModuleContext, t: { host: string; port: number }, timeout: number): Promise<Attempt> {
  const r = await ctx.run(tcpProbeArgv(t.host, t.port, timeout));
  if (r.exitCode === 0) return { ok: true, saw: 'connected', result: {} };
  const err = r.exitCode === 124 ? `timed out after ${timeout}s` : r.stderr.trim().split('\n').pop() || `exit ${r.exitCode}`;
  return { ok: false, saw: `cannot connect to ${t.host}:${t.port}: ${err}`, result: { error: err } };
}

function tcpController(t: { host: string; port: number }, timeout: number): Promise<Attempt> {
  return new Promise((resolve) => {
    const sock = net.connect({ host: t.host, port: t.port });
    const done = (a: Attempt) => {
      sock.destroy();
      resolve(a);
    };
    sock.setTimeout(timeout * 1000, () => done({ ok: false, saw: `cannot connect to ${t.host}:${t.port}: timed out after ${timeout}s`, result: { error: 'timeout' } }));
    sock.once('connect', () => done({ ok: true, saw: 'connected', result: {} }));
    sock.once('error', (e) => done({ ok: false, saw: `cannot connect to ${t.host}:${t.port}: ${e.message}`, result: { error: e.message } }));
  });
}

async function commandTarget(ctx: ModuleContext, cmd: string | string[], timeout: number): Promise<Attempt> {
  const r = await ctx.run(commandProbe(cmd), { timeoutMs: timeout * 1000 });
  const result = { rc: r.exitCode, stdout: r.stdout.replace(/\n$/, ''), stderr: r.stderr.replace(/\n$/, '') };
  if (r.exitCode === 0) return { ok: true, saw: 'exit 0', result };
  const shown = typeof cmd === 'string' ? cmd : cmd.join(' ');
  const how = r.exitCode === null ? `killed (${r.signal ?? 'timeout'})` : `exit ${r.exitCode}`;
  return { ok: false, saw: `${shown}: ${how}; output: "${excerpt(r.stderr || r.stdout)}"`, result };
}

function probe(ctx: ModuleContext, p: HealthCheckParams): Promise<Attempt> {
  if (p.http) return p.from === 'controller' ? httpController(p.http, p.timeout) : httpTarget(ctx, p.http, p.timeout);
  if (p.tcp) {
    const t = { host: p.tcp.host, port: p.tcp.port };
    return p.from === 'controller' ? tcpController(t, p.timeout) : tcpTarget(ctx, t, p.timeout);
  }
  if (p.from === 'controller') throw new ModuleError('health_check: `command` runs on the target only (from: target)');
  return commandTarget(ctx, p.command!, p.timeout);
}

export default defineModule<HealthCheckParams>({
  name: 'health_check',
  description:
    'Wait until a service is healthy: an HTTP answer (status, body regex; method and headers), ' +
    'a TCP connection, or a command exiting 0. Probes from the target over SSH (curl for http, ' +
    "bash's /dev/tcp for tcp) or from the controller. Tries 1 + retries times with delay seconds " +
    'between, each attempt limited to timeout seconds. Never changes anything, so it also runs ' +
    'in check mode; when every attempt failed it says what it saw last.',
  example: `- name: App answers
  health_check:
    http: { url: "http://127.0.0.1:8000/health", status: 200 }
    retries: 10
    delay: 1
`,
  schema: healthCheckSchema,
  readOnly: true,
  async plan(ctx, p) {
    const attempts = p.retries + 1;
    let last: Attempt | undefined;
    for (let i = 1; i <= attempts; i++) {
      if (ctx.signal.aborted) break;
      last = await probe(ctx, p);
      if (last.ok) return { changes: [], result: { ...last.result, attempts: i } };
      if (i < attempts && p.delay > 0) await sleep(p.delay * 1000, undefined, { signal: ctx.signal }).catch(() => {});
    }
    const what = p.http ? p.http.url : p.tcp ? `${p.tcp.host}:${p.tcp.port}` : 'command';
    throw new ModuleError(
      `${ctx.host}: health check of ${what} failed after ${attempts} attempt${attempts === 1 ? '' : 's'} (from ${p.from}); last: ${last?.saw ?? 'aborted'}`,
      { ...(last?.result ?? {}), attempts },
    );
  },
  async apply() {
    return { changed: false };
  },
});
