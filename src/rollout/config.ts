import type { JsonSchema } from '../core/module.js';

/** What a rollout does when a batch fails past max_fail_percentage (SPEC §6). */
export type OnFailure = 'rollback' | 'halt' | 'continue';

/** Take a batch's backends out of an nginx_lb site before its tasks, and put them back after. */
export interface RolloutDrain {
  /** The LB host (an inventory name, or a template) the nginx_lb tasks are delegated to. */
  lbHost: string;
  /** The nginx_lb site name on that host. */
  site: string;
  /** This host's address in that site's upstream (a template, rendered per host). */
  backend: string;
  /** Seconds to wait after draining, for in-flight requests to finish. */
  timeout: number;
}

/** A play's validated `rollout:` section. */
export interface RolloutConfig {
  /** Batch sizes (counts or "N%"), canary first; the last repeats. Absent: the play's serial, else all. */
  batch?: (number | string)[];
  maxFailPercentage?: number;
  drain?: RolloutDrain;
  /** health_check module parameters: the gate each host of a batch must pass before re-enabling. */
  healthCheck?: Record<string, unknown>;
  onFailure: OnFailure;
}

export const DEFAULT_DRAIN_TIMEOUT = 10;

const batchEntry = { title: 'an integer or a percentage like "50%"', anyOf: [{ type: 'integer', minimum: 1 }, { type: 'string', pattern: '^\\s*\\d+(\\.\\d+)?\\s*%?\\s*$' }] };

const templated = (title: string, description: string): JsonSchema => ({ type: 'string', minLength: 1, title, description });

/** health_check parameters, as far as they can be checked before templating (the module checks the rest). */
const healthCheckSchema: JsonSchema = {
  type: 'object',
  title: 'health_check parameters (one of http, tcp, command)',
  description: 'The health gate: health_check module parameters, run on each host of a batch after its tasks.',
  properties: {
    http: { type: 'object', title: 'a map with url', required: ['url'] },
    tcp: { type: 'object', title: 'a map with port', required: ['port'] },
    command: { title: 'a command string or argv list', anyOf: [{ type: 'string' }, { type: 'array', items: { type: 'string' } }] },
    from: { type: 'string', title: "'target' or 'controller'", enum: ['target', 'controller'] },
    retries: { type: 'integer', title: 'an integer (0 or more)', minimum: 0 },
    delay: { type: 'number', title: 'seconds (0 or more)', minimum: 0 },
    timeout: { type: 'number', title: 'seconds (more than 0)', exclusiveMinimum: 0 },
  },
  additionalProperties: false,
  anyOf: [{ required: ['http'] }, { required: ['tcp'] }, { required: ['command'] }],
};

/** The `rollout:` section of a play (SPEC §6); errors point at file:line:col through the playbook schema. */
export const rolloutSchema: JsonSchema = {
  type: 'object',
  title: 'a rollout map (batch, max_fail_percentage, drain, health_check, on_failure)',
  description: 'Rolling upgrade: batches, drain on the LB, health gate, and what to do when a batch fails.',
  properties: {
    batch: {
      title: 'an integer, a percentage like "50%", or a list of them',
      description: 'Batch sizes, canary first; the last repeats (default: serial, else all hosts).',
      anyOf: [...batchEntry.anyOf, { type: 'array', minItems: 1, items: batchEntry }],
    },
    max_fail_percentage: { type: 'number', title: 'a percentage (0-100)', minimum: 0, maximum: 100, description: 'A batch fails when more than this share of its hosts failed.' },
    drain: {
      type: 'object',
      title: 'a map with nginx_lb {host, name}, backend and timeout',
      description: 'Drain the batch on the LB before its tasks, re-enable after the health gate.',
      properties: {
        nginx_lb: {
          type: 'object',
          title: 'a map with host and name',
          properties: {
            host: templated('a host name', 'The LB host (inventory name).'),
            name: templated('a site name', 'The nginx_lb site on the LB host.'),
          },
          required: ['host', 'name'],
          additionalProperties: false,
        },
        backend: templated('an address like "{{ private_address }}:8080"', "This host's address in the site's upstream."),
        timeout: { type: 'number', title: 'seconds (0 or more)', minimum: 0, description: 'Seconds for in-flight requests to finish.' },
      },
      required: ['nginx_lb', 'backend'],
      additionalProperties: false,
    },
    health_check: healthCheckSchema,
    on_failure: { type: 'string', title: "'rollback', 'halt' or 'continue'", enum: ['rollback', 'halt', 'continue'], description: 'What a failed batch does.' },
  },
  additionalProperties: false,
};

/** A schema-valid rollout section as the engine uses it. */
export function rolloutConfig(raw: Record<string, unknown>): RolloutConfig {
  const out: RolloutConfig = { onFailure: (raw.on_failure as OnFailure | undefined) ?? 'halt' };
  if (raw.batch !== undefined) {
    const list = Array.isArray(raw.batch) ? raw.batch : [raw.batch];
    out.batch = list.map((x) => {
      if (typeof x === 'number') return x;
      const s = String(x).replace(/\s+/g, '');
      return s.endsWith('%') ? s : Number(s);
    });
  }
  if (typeof raw.max_fail_percentage === 'number') out.maxFailPercentage = raw.max_fail_percentage;
  const d = raw.drain as { nginx_lb?: { host?: string; name?: string }; backend?: string; timeout?: number } | undefined;
  if (d && d.nginx_lb?.host && d.nginx_lb.name && d.backend) {
    out.drain = { lbHost: d.nginx_lb.host, site: d.nginx_lb.name, backend: d.backend, timeout: d.timeout ?? DEFAULT_DRAIN_TIMEOUT };
  }
  if (raw.health_check && typeof raw.health_check === 'object') out.healthCheck = { ...(raw.health_check as Record<string, unknown>) };
  return out;
}
