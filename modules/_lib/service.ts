import { CommandError, ModuleError } from '../../src/core/errors.js';
import type { ApplyResult, Change, ModuleContext, Plan } from '../../src/core/module.js';
import { outputFields } from './remote.js';

/**
 * What `service` and `systemd` share: find the host's init system in one round trip
 * (systemd when systemctl is usable and /run/systemd/system exists, else the sysvinit script
 * /etc/init.d/NAME run through `service`, with update-rc.d for enabled), decide the steps from
 * those facts alone, then run exactly those steps.
 */

export type ServiceState = 'started' | 'stopped' | 'restarted' | 'reloaded';

export interface ServiceParams {
  name: string;
  state?: ServiceState;
  enabled?: boolean;
  /** systemd only: run `systemctl daemon-reload` first (nothing to do on a host without systemd). */
  daemon_reload?: boolean;
}

export const serviceProperties = {
  name: {
    type: 'string',
    pattern: '^[A-Za-z0-9_.@:][A-Za-z0-9_.@:-]*$',
    title: 'a service name',
    description: 'Name of the service (a systemd unit such as `nginx` or `nginx.service`, or an /etc/init.d script).',
  },
  state: {
    enum: ['started', 'stopped', 'restarted', 'reloaded'],
    description:
      '`started`/`stopped` change only what needs it; `restarted` always restarts; `reloaded` ' +
      'always reloads (starts a stopped service).',
  },
  enabled: { type: 'boolean', description: 'Whether the service starts at boot.' },
};

export const serviceSchemaTail = {
  anyOf: [{ required: ['state'] }, { required: ['enabled'] }, { required: ['daemon_reload'] }],
};

export type InitSystem = 'systemd' | 'sysv' | 'none';

export interface ServiceFacts {
  manager: InitSystem;
  /** The unit (systemd) or init script (sysv) name used in commands. */
  unit: string;
  exists: boolean;
  running: boolean;
  enabled: boolean;
  /** sysv: the script has rc.d links (enabled or disabled); update-rc.d then enables by `enable`. */
  links: boolean;
  /** sysv: the `service` command is there (else the script is run directly). */
  serviceCmd: boolean;
  /** sysv: update-rc.d is there. */
  updateRcd: boolean;
}

/**
 * Args: NAME. Prints `mgr systemd|sysv|none` and the service's facts as `key value` lines.
 * Never changes anything.
 */
export const SERVICE_FACTS_SCRIPT = `
n=$1
if command -v systemctl >/dev/null 2>&1 && [ -d /run/systemd/system ]; then
  u=$n
  case $u in *.*) ;; *) u=$u.service ;; esac
  echo "mgr systemd"
  printf 'unit %s\\n' "$u"
  printf 'load %s\\n' "$(systemctl show -p LoadState --value -- "$u" 2>/dev/null)"
  printf 'active %s\\n' "$(systemctl is-active -- "$u" 2>/dev/null)"
  systemctl is-enabled --quiet -- "$u" 2>/dev/null && echo "enabled 1" || echo "enabled 0"
  exit 0
fi
s=\${n%.service}
printf 'unit %s\\n' "$s"
if [ ! -f "/etc/init.d/$s" ]; then echo "mgr none"; exit 0; fi
echo "mgr sysv"
if command -v service >/dev/null 2>&1; then
  echo "service 1"
  service "$s" status >/dev/null 2>&1; printf 'status %s\\n' "$?"
else
  "/etc/init.d/$s" status >/dev/null 2>&1; printf 'status %s\\n' "$?"
fi
if command -v update-rc.d >/dev/null 2>&1; then echo "updatercd 1"; fi
for f in /etc/rc2.d/S??"$s" /etc/rc3.d/S??"$s" /etc/rc4.d/S??"$s" /etc/rc5.d/S??"$s"; do
  if [ -e "$f" ] || [ -L "$f" ]; then echo "enabled 1"; break; fi
done
for f in /etc/rc?.d/[SK]??"$s"; do
  if [ -e "$f" ] || [ -L "$f" ]; then echo "links 1"; break; fi
done
exit 0
`;

export function serviceFactsCommand(name: string): { script: string; args: string[] } {
  return { script: SERVICE_FACTS_SCRIPT, args: [name] };
}

const RUNNING = new Set(['active', 'reloading', 'activating', 'deactivating', 'refreshing']);

/** The facts script's output as ServiceFacts (pure). */
export function parseServiceFacts(stdout: string): ServiceFacts {
  const f = outputFields(stdout);
  const manager: InitSystem = f.mgr === 'systemd' ? 'systemd' : f.mgr === 'sysv' ? 'sysv' : 'none';
  const unit = f.unit ?? '';
  if (manager === 'systemd') {
    const load = f.load ?? '';
    return {
      manager,
      unit,
      exists: load !== '' && load !== 'not-found',
      running: RUNNING.has(f.active ?? ''),
      enabled: f.enabled === '1',
      links: false,
      serviceCmd: false,
      updateRcd: false,
    };
  }
  return {
    manager,
    unit,
    exists: manager === 'sysv',
    // LSB: status exits 0 when running (3 stopped, 1 dead with a pid file, 4 unknown).
    running: f.status === '0',
    enabled: f.enabled === '1',
    links: f.links === '1',
    serviceCmd: f.service === '1',
    updateRcd: f.updatercd === '1',
  };
}

export interface ServiceStep {
  change: Change;
  argv: string[];
}

function stateCommand(facts: ServiceFacts, verb: 'start' | 'stop' | 'restart' | 'reload'): string[] {
  if (facts.manager === 'systemd') return ['systemctl', verb, facts.unit];
  return facts.serviceCmd ? ['service', facts.unit, verb] : [`/etc/init.d/${facts.unit}`, verb];
}

/**
 * The steps that bring the service to the wanted state, in order: daemon-reload, enabled, state
 * (pure: decided from the facts alone). Throws a ModuleError when the service does not exist or
 * enabled cannot be changed on this host.
 */
export function serviceSteps(module: string, params: ServiceParams, facts: ServiceFacts): ServiceStep[] {
  const steps: ServiceStep[] = [];
  const reload = params.daemon_reload === true && facts.manager === 'systemd';
  if (reload) steps.push({ change: { field: 'daemon_reload', after: true }, argv: ['systemctl', 'daemon-reload'] });
  if (!facts.exists && !reload) {
    const where =
      facts.manager === 'systemd' ? `no systemd unit ${facts.unit}` : `no systemd and no /etc/init.d/${facts.unit}`;
    throw new ModuleError(`${module}: could not find the service ${params.name} (${where})`, { name: params.name });
  }
  if (params.enabled !== undefined && params.enabled !== facts.enabled) {
    let argv: string[];
    if (facts.manager === 'systemd') argv = ['systemctl', params.enabled ? 'enable' : 'disable', facts.unit];
    else if (!facts.updateRcd) {
      throw new ModuleError(`${module}: cannot change whether ${params.name} starts at boot: no update-rc.d on the host`, {
        name: params.name,
      });
    } else argv = ['update-rc.d', facts.unit, params.enabled ? (facts.links ? 'enable' : 'defaults') : 'disable'];
    steps.push({ change: { field: 'enabled', before: facts.enabled, after: params.enabled }, argv });
  }
  const was = facts.running ? 'started' : 'stopped';
  switch (params.state) {
    case 'started':
      if (!facts.running) steps.push({ change: { field: 'state', before: was, after: 'started' }, argv: stateCommand(facts, 'start') });
      break;
    case 'stopped':
      if (facts.running) steps.push({ change: { field: 'state', before: was, after: 'stopped' }, argv: stateCommand(facts, 'stop') });
      break;
    case 'restarted':
      steps.push({ change: { field: 'state', before: was, after: 'restarted' }, argv: stateCommand(facts, 'restart') });
      break;
    case 'reloaded':
      steps.push({
        change: { field: 'state', before: was, after: facts.running ? 'reloaded' : 'started' },
        argv: stateCommand(facts, facts.running ? 'reload' : 'start'),
      });
      break;
    default:
      break;
  }
  return steps;
}

export interface ServicePlanFacts {
  facts: ServiceFacts;
  steps: ServiceStep[];
}

function resultOf(params: ServiceParams, facts: ServiceFacts, steps: ServiceStep[]): Record<string, unknown> {
  const enabledStep = steps.find((s) => s.change.field === 'enabled');
  const stateStep = steps.find((s) => s.change.field === 'state');
  const running = stateStep ? stateStep.change.after !== 'stopped' : facts.running;
  return {
    name: params.name,
    state: running ? 'started' : 'stopped',
    enabled: enabledStep ? enabledStep.change.after : facts.enabled,
    status: { manager: facts.manager, unit: facts.unit },
  };
}

export async function planService(
  module: string,
  ctx: ModuleContext,
  params: ServiceParams,
): Promise<Plan<ServicePlanFacts>> {
  const cmd = serviceFactsCommand(params.name);
  const r = await ctx.run(cmd);
  if (r.exitCode !== 0) {
    throw new CommandError(ctx.host, `${module} facts of ${params.name}`, r.exitCode, r.stderr, `cannot look at service ${params.name}`);
  }
  const facts = parseServiceFacts(r.stdout);
  if (params.daemon_reload && facts.manager !== 'systemd') ctx.log(`${module}: no systemd on ${ctx.host}: daemon_reload has nothing to do`);
  const steps = serviceSteps(module, params, facts);
  return {
    changes: steps.map((s) => s.change),
    facts: { facts, steps },
    result: resultOf(params, facts, steps),
    summary: steps.length ? steps.map((s) => s.argv.join(' ')).join('; ') : undefined,
  };
}

/** What undo needs: how the service was before. */
export interface ServiceUndo {
  manager: InitSystem;
  unit: string;
  serviceCmd: boolean;
  links: boolean;
  running?: boolean;
  enabled?: boolean;
}

export async function applyService(
  module: string,
  ctx: ModuleContext,
  params: ServiceParams,
  plan: Plan<ServicePlanFacts>,
): Promise<ApplyResult> {
  const { facts, steps } = plan.facts!;
  for (const s of steps) {
    const r = await ctx.run(s.argv);
    if (r.exitCode !== 0) throw new CommandError(ctx.host, s.argv, r.exitCode, r.stderr || r.stdout, `${module} ${params.name}`);
  }
  const undo: ServiceUndo = { manager: facts.manager, unit: facts.unit, serviceCmd: facts.serviceCmd, links: facts.links };
  if (steps.some((s) => s.change.field === 'enabled')) undo.enabled = facts.enabled;
  const st = steps.find((s) => s.change.field === 'state');
  if (st && (st.change.after === 'started' || st.change.after === 'stopped')) undo.running = facts.running;
  return { result: resultOf(params, facts, steps), undo };
}

/** Put back what apply changed (started ↔ stopped, enabled); a restart or reload has nothing to undo. */
export async function undoService(module: string, ctx: ModuleContext, params: ServiceParams, undo: unknown): Promise<void> {
  const u = undo as ServiceUndo;
  const facts: ServiceFacts = {
    manager: u.manager, unit: u.unit, exists: true, running: !u.running, enabled: !u.enabled,
    links: true, serviceCmd: u.serviceCmd, updateRcd: true,
  };
  const back: ServiceParams = { name: params.name };
  if (u.enabled !== undefined) back.enabled = u.enabled;
  if (u.running !== undefined) back.state = u.running ? 'started' : 'stopped';
  const steps = serviceSteps(module, back, facts);
  for (const s of steps) {
    const r = await ctx.run(s.argv);
    if (r.exitCode !== 0) throw new CommandError(ctx.host, s.argv, r.exitCode, r.stderr || r.stdout, `undo ${module} ${params.name}`);
  }
}
