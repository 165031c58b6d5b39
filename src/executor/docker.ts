import http from 'node:http';
import type { Duplex } from 'node:stream';
import type Docker from 'dockerode';
import type { Transport } from '../transport/types.js';

/**
 * A dockerode client whose HTTP connections are streams to the host's docker.sock through the
 * transport's existing connection (no second SSH login, no docker CLI needed on the host).
 */
export async function dockerOver(transport: Transport, socketPath = '/var/run/docker.sock'): Promise<Docker> {
  const { default: DockerCtor } = await import('dockerode');
  const agent = new http.Agent({ keepAlive: true, maxSockets: 4 });
  // http.Agent accepts an async connection factory through its callback form.
  (agent as unknown as { createConnection: unknown }).createConnection = (
    _opts: unknown,
    cb: (err: Error | null, stream?: Duplex) => void,
  ) => {
    transport.forwardUnixSocket(socketPath).then(
      (s) => cb(null, s),
      (e: Error) => cb(e),
    );
    return undefined;
  };
  return new DockerCtor({ protocol: 'http', host: 'docker', port: 80, agent } as Docker.DockerOptions);
}
