/**
 * Transports: how the engine reaches hosts. `createTransport` picks SSH or local from a
 * ConnectionSpec; `TransportPool` keeps one transport (so one pooled SSH connection) per host.
 */
import { LocalTransport } from './local.js';
import { SshTransport, type SshTransportOptions } from './ssh.js';
import type { ConnectionSpec, Transport } from './types.js';
import { ReadAhead } from './read-ahead.js';

export type * from './types.js';
export { connectionSpecFromVars, parseSshArgs } from './connection-spec.js';
export { LocalTransport } from './local.js';
export { commandArgv, commandLine, quote, quoteArgv, shellLine } from './quote.js';
export { SshTransport, type SshTransportOptions } from './ssh.js';
export { fingerprint } from './known-hosts.js';
export { DEFAULT_HANDSHAKES_PER_ENDPOINT, HandshakePacer, sharedHandshakePacer } from './pacer.js';

export function createTransport(spec: ConnectionSpec, options: SshTransportOptions = {}): Transport {
  return spec.connection === 'local' ? new LocalTransport(spec) : new SshTransport(spec, options);
}

/** What makes two specs reach a host the same way (the inventory name aside). */
function specKey(spec: ConnectionSpec): string {
  const { become: _become, ...rest } = spec;
  return JSON.stringify(rest, Object.keys(rest).sort());
}

/** One transport per inventory host name, created on first use. */
export class TransportPool {
  private readonly transports = new Map<string, { key: string; transport: Transport }>();
  private readonly retired: Transport[] = [];

  constructor(private readonly options: SshTransportOptions = {}) {}

  /**
   * The transport of `spec.host`. A later spec for the same host that connects differently
   * (address, port, user, key...) gets a new transport; the old one is closed by closeAll().
   */
  get(spec: ConnectionSpec): Transport {
    const key = specKey(spec);
    const hit = this.transports.get(spec.host);
    if (hit && hit.key === key) return hit.transport;
    if (hit) this.retired.push(hit.transport);
    const made = createTransport(spec, this.options);
    // Where a round trip costs something, the coming tasks' reads ride along with earlier commands.
    const transport = made.execThen ? new ReadAhead(made) : made;
    this.transports.set(spec.host, { key, transport });
    return transport;
  }

  has(host: string): boolean {
    return this.transports.has(host);
  }

  get size(): number {
    return this.transports.size;
  }

  async closeAll(): Promise<void> {
    const all = [...[...this.transports.values()].map((t) => t.transport), ...this.retired.splice(0)];
    this.transports.clear();
    await Promise.allSettled(all.map((t) => t.close()));
  }
}
