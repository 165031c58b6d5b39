/**
 * Handshake pacing: at most N SSH handshakes in flight per sshd endpoint (the address and
 * port actually connected), the rest wait their turn in arrival order. OpenSSH's stock
 * `MaxStartups 10:30:100` starts dropping unauthenticated connections beyond 10, so many
 * inventory hosts behind one sshd (same ansible_host and port) would otherwise fail with
 * "connection reset during the SSH handshake". A slot is held from the TCP connect until the
 * handshake and login finish (or fail); an open connection holds none.
 */

/** Default handshakes in flight per endpoint: below sshd's stock MaxStartups of 10. */
export const DEFAULT_HANDSHAKES_PER_ENDPOINT = 8;

interface Gate {
  active: number;
  queue: (() => void)[];
  /** No limit until the endpoint is idle again (it stopped answering: pacing cannot help it). */
  open?: boolean;
}

export class HandshakePacer {
  private readonly gates = new Map<string, Gate>();
  readonly limit: number;

  constructor(limit: number = DEFAULT_HANDSHAKES_PER_ENDPOINT) {
    this.limit = Math.max(1, Math.floor(limit));
  }

  /** Run `fn` once fewer than `limit` handshakes to `endpoint` are in flight. */
  async run<T>(endpoint: string, fn: () => Promise<T>): Promise<T> {
    await this.acquire(endpoint);
    try {
      return await fn();
    } finally {
      this.release(endpoint);
    }
  }

  /** Handshakes in flight and waiting for an endpoint (for tests and tuning). */
  stats(endpoint: string): { active: number; queued: number } {
    const g = this.gates.get(endpoint);
    return { active: g?.active ?? 0, queued: g?.queue.length ?? 0 };
  }

  /**
   * Start every handshake waiting for `endpoint` now, and those that come until none is in
   * flight: an sshd that accepts connections and never answers would otherwise make each wave
   * of N wait out the whole connect timeout in turn.
   */
  unpace(endpoint: string): void {
    const g = this.gates.get(endpoint);
    if (!g) return;
    g.open = true;
    for (const next of g.queue.splice(0)) {
      g.active++;
      next();
    }
  }

  private acquire(endpoint: string): Promise<void> {
    let g = this.gates.get(endpoint);
    if (!g) {
      g = { active: 0, queue: [] };
      this.gates.set(endpoint, g);
    }
    if (g.open || g.active < this.limit) {
      g.active++;
      return Promise.resolve();
    }
    const gate = g;
    return new Promise<void>((resolve) => gate.queue.push(resolve));
  }

  private release(endpoint: string): void {
    const g = this.gates.get(endpoint);
    if (!g) return;
    const next = g.queue.shift();
    if (next) {
      // The slot passes straight to the next waiter: `active` stays the same.
      next();
      return;
    }
    g.active--;
    if (g.active === 0) this.gates.delete(endpoint);
  }
}

/** The pacer every SSH transport of this process shares unless given its own. */
export const sharedHandshakePacer = new HandshakePacer();
