import type Docker from 'dockerode';
import { ReadAhead } from '../transport/read-ahead.js';
import { ReplayTransport, SpeculativeTransport } from './fused-loop.js';
import type { Transport } from '../transport/types.js';

/**
 * Round trips a task makes to its host: each command, file put or get and stream opened on the
 * transport, and each Docker API request. Counted per task (shown with -v, in JSON events and
 * the report) so the cost of a module is visible, not guessed.
 */
export interface RoundTrips {
  n: number;
}

/** The transport as the task sees it: the same connection, each operation counted (a read served from what was read ahead, or an op a fused script made, is none). */
export function countedTransport(t: Transport, count: RoundTrips): Transport {
  const counted: Transport = {
    host: t.host,
    connect: () => t.connect(),
    exec: (cmd, opts) => {
      if (!(t instanceof SpeculativeTransport || ((t instanceof ReadAhead || t instanceof ReplayTransport) && t.serves(cmd, opts)))) count.n++;
      return t.exec(cmd, opts);
    },
    put: (p, content, opts) => {
      if (!(t instanceof SpeculativeTransport || (t instanceof ReplayTransport && t.servesPut()))) count.n++;
      return t.put(p, content, opts);
    },
    get: (p, opts) => (count.n++, t.get(p, opts)),
    forwardUnixSocket: (p) => (count.n++, t.forwardUnixSocket(p)),
    close: () => t.close(),
  };
  if (t.openStream) counted.openStream = (cmd, opts) => (count.n++, t.openStream!(cmd, opts));
  return counted;
}

/**
 * The run's shared Docker client as one task sees it: every request it sends (through the
 * client or the containers, volumes and images it hands out, which all dial through its
 * modem) is counted for this task. The client itself, and its connections, stay shared.
 */
export function countedDocker(docker: Docker, count: RoundTrips): Docker {
  const modem = (docker as unknown as { modem: { dial: (...a: unknown[]) => unknown } }).modem;
  const countedModem = Object.create(modem) as typeof modem;
  countedModem.dial = (...a: unknown[]) => (count.n++, modem.dial(...a));
  const proxy: Docker = new Proxy(docker, {
    get(target, key) {
      if (key === 'modem') return countedModem;
      const v = Reflect.get(target, key, target) as unknown;
      // Methods run with the proxy as `this`, so what they build reads the counted modem.
      return typeof v === 'function' ? (v as (...a: unknown[]) => unknown).bind(proxy) : v;
    },
  });
  return proxy;
}
