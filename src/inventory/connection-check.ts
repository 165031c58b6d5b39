import { ConfigError, ConfigErrors } from '../core/errors.js';
import { connectionSpecFromVars } from '../transport/connection-spec.js';
import type { Inventory } from './types.js';

const CONNECTION_VAR_ALIASES: Record<string, string[]> = {
  ansible_port: ['ansible_port', 'ansible_ssh_port'],
  ansible_host_key_checking: ['ansible_host_key_checking', 'ansible_ssh_host_key_checking'],
  ansible_ssh_timeout: ['ansible_ssh_timeout', 'ansible_timeout'],
};

/**
 * Check the connection variables (ansible_port, ansible_connection, ssh args, become method…)
 * of every host, before any host is touched. Values still templated are left for the run.
 * Each error names the host and where the value was written.
 */
export function checkConnectionVars(
  inventory: Inventory,
  hosts: readonly string[],
  overrides: (host: string) => Record<string, unknown> = () => ({}),
): void {
  const errors: ConfigError[] = [];
  for (const host of hosts) {
    const vars: Record<string, unknown> = { ...inventory.hostVars(host), ...overrides(host) };
    for (const [k, v] of Object.entries(vars)) if (typeof v === 'string' && v.includes('{{')) delete vars[k];
    try {
      connectionSpecFromVars(host, vars);
    } catch (e) {
      if (!(e instanceof ConfigError)) throw e;
      const key = /^(ansible_\w+)/.exec(e.message)?.[1];
      const candidates = key ? (CONNECTION_VAR_ALIASES[key] ?? [key]) : [];
      const origin = candidates.map((k) => (k in overrides(host) ? { where: '-e or play keywords' } : inventory.varOrigin?.(host, k))).find((o) => o);
      const msg = e.message.includes(`host ${host}`) ? e.message : `host ${host}: ${e.message}`;
      const from = origin && !origin.pos ? ` (set in ${origin.where})` : '';
      errors.push(new ConfigError(`${msg}${from}`, origin?.pos));
    }
  }
  if (errors.length > 0) throw new ConfigErrors(errors);
}
