import { ModuleError } from '../src/core/errors.js';
import { defineModule, type ModuleContext } from '../src/core/module.js';
import type { Command } from '../src/transport/types.js';
import type { LogAgent, LogAgentSpec, LogForward, LogListen, LogSource } from './_lib/log-agents.js';
import { rsyslogAgent } from './_lib/rsyslog.js';

/** The agents log_agent can drive, by name. */
export const logAgents: Record<string, LogAgent> = {
  rsyslog: rsyslogAgent,
};

export interface LogAgentParams {
  agent: string;
  name: string;
  sources: LogSource[];
  forward_to?: LogForward;
  listen?: LogListen;
  state: 'present' | 'absent';
  docker_root: string;
}

interface Facts {
  path: string;
  before: string | null;
  after: string | null;
}

export interface LogAgentUndo {
  agent: string;
  path: string;
  before: string | null;
}

const endpoint = {
  port: { type: 'integer', minimum: 1, maximum: 65535 },
  protocol: { enum: ['tcp', 'udp'], default: 'tcp' },
};

export const logAgentSchema = {
  type: 'object',
  additionalProperties: false,
  properties: {
    agent: { enum: Object.keys(logAgents), default: 'rsyslog', description: 'Which agent ships the logs.' },
    name: { type: 'string', pattern: '^[A-Za-z0-9_-]+$', default: 'default', description: 'Name of this config (one file per name).' },
    sources: {
      type: 'array',
      default: [],
      description: 'What to ship: files or globs (`path`), or `containers: true` for every docker json-file log; each with a `tag`.',
      items: {
        type: 'object',
        additionalProperties: false,
        required: ['tag'],
        properties: {
          path: { type: 'string', pattern: '^/' },
          containers: { type: 'boolean', const: true },
          tag: { type: 'string', pattern: '^[A-Za-z0-9_.-]+$' },
        },
        oneOf: [{ required: ['path'] }, { required: ['containers'] }],
      },
    },
    forward_to: {
      type: 'object',
      additionalProperties: false,
      required: ['host', 'port'],
      properties: { host: { type: 'string', minLength: 1 }, ...endpoint },
      description: 'The collector: host, port, protocol (tcp | udp).',
    },
    listen: {
      type: 'object',
      additionalProperties: false,
      required: ['port', 'path'],
      properties: { ...endpoint, path: { type: 'string', pattern: '^/' } },
      description: 'Make this host a collector: receive on port/protocol and write the lines to path.',
    },
    state: { enum: ['present', 'absent'], default: 'present' },
    docker_root: { type: 'string', default: '/var/lib/docker', description: "Docker's data root (container logs live under it)." },
  },
};

function agentOf(p: LogAgentParams): LogAgent {
  const a = logAgents[p.agent];
  if (!a) throw new ModuleError(`unknown log agent '${p.agent}' (expected ${Object.keys(logAgents).join(', ')})`);
  return a;
}

function specOf(p: LogAgentParams): LogAgentSpec {
  return { name: p.name, sources: p.sources, forward_to: p.forward_to, listen: p.listen, docker_root: p.docker_root };
}

async function runOrFail(ctx: ModuleContext, cmd: Command, what: string): Promise<void> {
  const r = await ctx.run(cmd);
  if (r.exitCode !== 0) {
    const shown = Array.isArray(cmd) ? cmd.join(' ') : 'script';
    throw new ModuleError(`${ctx.host}: ${what} failed: ${shown} (exit ${r.exitCode}): ${(r.stderr || r.stdout).trim()}`, {
      rc: r.exitCode,
      stderr: r.stderr,
    });
  }
}

/** Put `content` (validated by the agent before it takes effect) or remove the file, then restart. */
async function converge(ctx: ModuleContext, agent: LogAgent, path: string, content: string | null): Promise<void> {
  if (content === null) await runOrFail(ctx, ['rm', '-f', '--', path], `removing ${path}`);
  else {
    try {
      await ctx.transport.put(path, content, { mode: 0o644, become: ctx.become, validate: agent.validateArgv() });
    } catch (e) {
      throw new ModuleError(`${ctx.host}: ${agent.name} config ${path} not installed: ${(e as Error).message}`);
    }
  }
  await runOrFail(ctx, agent.restart(), `restarting ${agent.name}`);
}

export default defineModule<LogAgentParams, Facts>({
  name: 'log_agent',
  description:
    'Ship log files (paths or globs) and container logs (docker json-file) to a collector over ' +
    'TCP or UDP, each source with a tag; `listen` makes a host the collector. Agent rsyslog ' +
    '(imfile + omfwd) today; agents share one interface. The config is validated by the agent ' +
    '(`rsyslogd -N1`) before it replaces the old one, then the agent restarts. `state: absent` ' +
    'removes the config. Rollback restores the previous config.',
  example: `- name: Ship app and container logs
  log_agent:
    sources:
      - { path: "/var/log/app/*.log", tag: app }
      - { containers: true, tag: containers }
    forward_to: { host: logs1, port: 514, protocol: tcp }
`,
  schema: logAgentSchema,
  async plan(ctx, p) {
    const agent = agentOf(p);
    const spec = specOf(p);
    if (p.state === 'present' && spec.sources.length === 0 && !spec.listen) {
      throw new ModuleError('log_agent needs `sources` (with `forward_to`) or `listen`');
    }
    if (spec.sources.length > 0 && !spec.forward_to) throw new ModuleError('log_agent `sources` need `forward_to`');
    const path = agent.configPath(spec);
    const cur = await ctx.transport.get(path, { become: ctx.become });
    const before = cur === null ? null : cur.toString('utf8');
    let after: string | null = null;
    if (p.state === 'present') {
      try {
        after = agent.render(spec);
      } catch (e) {
        throw new ModuleError((e as Error).message);
      }
    }
    if (after !== null && agent.conflicts) {
      const cmd = agent.conflicts(path, after);
      if (cmd) {
        const r = await ctx.run(cmd);
        if (r.exitCode !== 0) throw new ModuleError(`${ctx.host}: cannot read the ${agent.name} configuration: ${r.stderr.trim()}`);
        const clashes = r.stdout.split('\n').filter(Boolean);
        if (clashes.length) {
          throw new ModuleError(
            `${ctx.host}: ${path} would load what other ${agent.name} config already loads (${clashes
              .map((l) => l.replace(' ', ' in '))
              .join(', ')}); ${agent.name} refuses a second load: ship all sources from one log_agent name per host`,
            { conflicts: clashes },
          );
        }
      }
    }
    const changes = before === after ? [] : [{ field: path, before: before === null ? 'absent' : 'present', after: after === null ? 'absent' : 'present' }];
    return {
      changes,
      diff: changes.length && ctx.diff ? [{ label: path, before: before ?? '', after: after ?? '' }] : undefined,
      facts: { path, before, after },
      result: { path, agent: agent.name },
      summary: changes.length ? `${after === null ? 'remove' : 'write'} ${path} and restart ${agent.name}` : undefined,
    };
  },
  async apply(ctx, p, plan) {
    const agent = agentOf(p);
    const f = plan.facts!;
    await converge(ctx, agent, f.path, f.after);
    const undo: LogAgentUndo = { agent: agent.name, path: f.path, before: f.before };
    return { result: { path: f.path, agent: agent.name }, undo };
  },
  async undo(ctx, p, raw) {
    const u = raw as LogAgentUndo;
    const agent = logAgents[u.agent] ?? agentOf(p);
    await converge(ctx, agent, u.path, u.before);
  },
});
