import { createRequire } from 'node:module';
import http from 'node:http';
import type { Duplex } from 'node:stream';
import type Docker from 'dockerode';
import { ReadAhead } from '../transport/read-ahead.js';
import type { Become, Transport } from '../transport/types.js';

export const DOCKER_SOCKET = '/var/run/docker.sock';

/** The command that bridges stdin/stdout to the engine's socket (as root through sudo with become). */
export const DIAL_STDIO_ARGV = ['docker', 'system', 'dial-stdio'] as const;

/** A dockerode client and the keep-alive agent under it. */
export interface DockerClient {
  docker: Docker;
  close(): void;
}

/**
 * A dockerode client whose HTTP connections are streams to the host's docker.sock through the
 * transport's existing connection (no second SSH login). Without become each connection is a
 * forwarded unix socket; with become, when the login user cannot open the root-owned socket,
 * each connection is `docker system dial-stdio` run through sudo on an exec channel.
 */
export async function dockerClient(
  transport: Transport,
  opts: { become?: Become; socketPath?: string } = {},
): Promise<DockerClient> {
  // Required here, not imported at the top: dockerode is loaded only by runs that use containers.
  const DockerCtor = createRequire(import.meta.url)('dockerode') as typeof import('dockerode');
  const agent = new http.Agent({ keepAlive: true, maxSockets: 4 });
  const socket = opts.socketPath ?? DOCKER_SOCKET;
  const dial = (): Promise<Duplex> => transport.openStream!(DIAL_STDIO_ARGV, { become: opts.become! });
  // Become root: the forward works when the login user may open the socket (root, docker group),
  // and costs no process on the host; once it is refused, every connection goes through sudo.
  let mode: 'forward' | 'try-forward' | 'dial' = !opts.become || !transport.openStream ? 'forward' : (opts.become.user ?? 'root') === 'root' ? 'try-forward' : 'dial';
  const open = async (): Promise<Duplex> => {
    if (mode === 'dial') return dial();
    if (mode === 'forward') return transport.forwardUnixSocket(socket);
    try {
      const s = await transport.forwardUnixSocket(socket);
      mode = 'forward';
      return s;
    } catch {
      mode = 'dial';
      return dial();
    }
  };
  // http.Agent accepts an async connection factory through its callback form.
  (agent as unknown as { createConnection: unknown }).createConnection = (
    _opts: unknown,
    cb: (err: Error | null, stream?: Duplex) => void,
  ) => {
    open().then(
      (s) => cb(null, s),
      (e: Error) => cb(e),
    );
    return undefined;
  };
  const docker = new DockerCtor({ protocol: 'http', host: 'docker', port: 80, agent } as Docker.DockerOptions);
  if (transport instanceof ReadAhead) {
    // A Docker request can change the host (a volume's folder, a bind mount): reads kept from before it are stale.
    const modem = (docker as unknown as { modem: { dial: (...a: unknown[]) => unknown } }).modem;
    const dialRequest = modem.dial.bind(modem);
    modem.dial = (...a: unknown[]) => {
      transport.forget();
      return dialRequest(...a);
    };
  }
  return { docker, close: () => agent.destroy() };
}

/** A one-off client (tests); the executor uses DockerClients. */
export async function dockerOver(transport: Transport, opts: { become?: Become } = {}): Promise<Docker> {
  return (await dockerClient(transport, opts)).docker;
}

/**
 * The run's dockerode clients: one per host connection (and become user), made on first use and
 * reused by every task of the run; `closeAll` ends their keep-alive connections when the run is done.
 */
export class DockerClients {
  private readonly clients = new Map<Transport, Map<string, Promise<DockerClient>>>();

  get(_host: string, transport: Transport, become?: Become): Promise<Docker> {
    const key = become ? (become.user ?? 'root') : '';
    let forTransport = this.clients.get(transport);
    if (!forTransport) this.clients.set(transport, (forTransport = new Map()));
    let c = forTransport.get(key);
    if (!c) {
      c = dockerClient(transport, become ? { become } : {});
      forTransport.set(key, c);
      const m = forTransport;
      c.catch(() => m.delete(key));
    }
    return c.then((x) => x.docker);
  }

  get size(): number {
    let n = 0;
    for (const m of this.clients.values()) n += m.size;
    return n;
  }

  async closeAll(): Promise<void> {
    const all = [...this.clients.values()].flatMap((m) => [...m.values()]);
    this.clients.clear();
    for (const c of await Promise.allSettled(all)) if (c.status === 'fulfilled') c.value.close();
  }
}
