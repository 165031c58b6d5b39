// A TCP proxy in front of a fleet host's sshd, for injecting network faults from the test
// process: cut every connection and refuse new ones (as when sshd is killed or the host goes
// away), cut once a number of bytes went up (a connection dropped mid-upload), or accept and
// never answer (a host that takes the TCP connection and hangs).
import net from 'node:net';

export type ProxyMode = 'forward' | 'blackhole';

export interface TcpProxy {
  port: number;
  /** Bytes sent from the client towards sshd so far. */
  readonly upBytes: number;
  /** Destroy every connection now and stop accepting new ones (connection refused). */
  cut(): void;
  /** Cut as soon as more than `n` bytes went up after this call. */
  cutAfterUp(n: number): void;
  close(): Promise<void>;
}

export async function startTcpProxy(targetPort: number, mode: ProxyMode = 'forward'): Promise<TcpProxy> {
  const sockets = new Set<net.Socket>();
  let up = 0;
  let limit = Infinity;
  let cutDone = false;
  const server = net.createServer((client) => {
    sockets.add(client);
    client.on('close', () => sockets.delete(client));
    client.on('error', () => {});
    if (mode === 'blackhole') return; // read nothing, say nothing
    const upstream = net.connect(targetPort, '127.0.0.1');
    sockets.add(upstream);
    upstream.on('close', () => {
      sockets.delete(upstream);
      client.destroy();
    });
    upstream.on('error', () => client.destroy());
    client.on('close', () => upstream.destroy());
    client.on('data', (d: Buffer) => {
      up += d.length;
      if (up > limit) return proxy.cut();
      upstream.write(d);
    });
    upstream.pipe(client);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const proxy: TcpProxy = {
    port: (server.address() as net.AddressInfo).port,
    get upBytes() {
      return up;
    },
    cut() {
      if (cutDone) return;
      cutDone = true;
      server.close();
      for (const s of sockets) s.destroy();
    },
    cutAfterUp(n: number) {
      limit = up + n;
    },
    async close() {
      proxy.cut();
      await new Promise<void>((resolve) => (server.listening ? server.close(() => resolve()) : resolve()));
    },
  };
  return proxy;
}
