// Handshake pacing per sshd endpoint, driven by a fake connector whose handshakes finish
// only when the test says so: exact order and concurrency, no clocks.
import { describe, expect, it } from 'vitest';
import { DEFAULT_HANDSHAKES_PER_ENDPOINT, HandshakePacer } from '../../../src/transport/pacer.js';

/** A fake connector: each handshake waits until finish(name) or fail(name). */
function fakeConnector() {
  const pending = new Map<string, { resolve: (v: string) => void; reject: (e: Error) => void }>();
  const started: string[] = [];
  let inFlight = 0;
  let peak = 0;
  return {
    started,
    get inFlight() {
      return inFlight;
    },
    get peak() {
      return peak;
    },
    connect(name: string): Promise<string> {
      started.push(name);
      inFlight++;
      peak = Math.max(peak, inFlight);
      return new Promise<string>((resolve, reject) => pending.set(name, { resolve, reject })).finally(() => inFlight--);
    },
    finish(name: string) {
      pending.get(name)!.resolve(name);
      pending.delete(name);
    },
    fail(name: string) {
      pending.get(name)!.reject(new Error(`handshake of ${name} refused`));
      pending.delete(name);
    },
  };
}

/** Let every settled promise's continuations run. */
const settle = () => new Promise<void>((r) => setImmediate(r));

describe('HandshakePacer', () => {
  it('defaults to 8 handshakes per endpoint, below sshd MaxStartups 10', () => {
    expect(DEFAULT_HANDSHAKES_PER_ENDPOINT).toBe(8);
    expect(new HandshakePacer().limit).toBe(8);
  });

  it('runs at most N handshakes per endpoint and starts the queued ones in arrival order', async () => {
    const pacer = new HandshakePacer(3);
    const c = fakeConnector();
    const names = Array.from({ length: 7 }, (_, i) => `h${i}`);
    const done = names.map((n) => pacer.run('10.0.0.1:22', () => c.connect(n)));
    await settle();
    expect(c.started).toEqual(['h0', 'h1', 'h2']);
    expect(pacer.stats('10.0.0.1:22')).toEqual({ active: 3, queued: 4 });

    c.finish('h1');
    await settle();
    expect(c.started).toEqual(['h0', 'h1', 'h2', 'h3']);

    c.finish('h0');
    c.finish('h2');
    await settle();
    expect(c.started).toEqual(['h0', 'h1', 'h2', 'h3', 'h4', 'h5']);
    expect(c.inFlight).toBe(3);

    for (const n of ['h3', 'h4', 'h5']) c.finish(n);
    await settle();
    expect(c.started).toEqual(names);
    c.finish('h6');
    expect(await Promise.all(done)).toEqual(names);
    expect(c.peak).toBe(3);
    expect(pacer.stats('10.0.0.1:22')).toEqual({ active: 0, queued: 0 });
  });

  it('a failed handshake frees its slot and its error reaches only its caller', async () => {
    const pacer = new HandshakePacer(1);
    const c = fakeConnector();
    const a = pacer.run('e:22', () => c.connect('a'));
    const b = pacer.run('e:22', () => c.connect('b'));
    await settle();
    expect(c.started).toEqual(['a']);
    c.fail('a');
    await expect(a).rejects.toThrow('handshake of a refused');
    await settle();
    expect(c.started).toEqual(['a', 'b']);
    c.finish('b');
    await expect(b).resolves.toBe('b');
  });

  it('a connector that throws synchronously still frees its slot', async () => {
    const pacer = new HandshakePacer(1);
    const c = fakeConnector();
    const a = pacer.run('e:22', () => {
      throw new Error('bad config');
    });
    const b = pacer.run('e:22', () => c.connect('b'));
    await expect(a).rejects.toThrow('bad config');
    await settle();
    expect(c.started).toEqual(['b']);
    c.finish('b');
    await expect(b).resolves.toBe('b');
  });

  it('endpoints are paced separately: one busy sshd does not hold back another', async () => {
    const pacer = new HandshakePacer(2);
    const c = fakeConnector();
    const all = [
      ...['a0', 'a1', 'a2', 'a3'].map((n) => pacer.run('127.0.0.1:3621', () => c.connect(n))),
      ...['b0', 'b1', 'b2'].map((n) => pacer.run('127.0.0.1:3622', () => c.connect(n))),
    ];
    await settle();
    expect(c.started).toEqual(['a0', 'a1', 'b0', 'b1']);
    expect(pacer.stats('127.0.0.1:3621')).toEqual({ active: 2, queued: 2 });
    expect(pacer.stats('127.0.0.1:3622')).toEqual({ active: 2, queued: 1 });
    c.finish('b0');
    await settle();
    expect(c.started).toEqual(['a0', 'a1', 'b0', 'b1', 'b2']);
    for (const n of ['a0', 'a1', 'b1', 'b2']) c.finish(n);
    await settle();
    expect(c.started.slice(5)).toEqual(['a2', 'a3']);
    c.finish('a2');
    c.finish('a3');
    await Promise.all(all);
    expect(c.peak).toBe(4);
  });

  it('200 handshakes to 10 endpoints never exceed the limit on any endpoint', async () => {
    const pacer = new HandshakePacer();
    const perEndpoint = new Map<string, { now: number; peak: number }>();
    const finishers: (() => void)[] = [];
    const runs = Array.from({ length: 200 }, (_, i) => {
      const ep = `127.0.0.1:${3600 + (i % 10)}`;
      return pacer.run(ep, () => {
        const s = perEndpoint.get(ep) ?? { now: 0, peak: 0 };
        perEndpoint.set(ep, s);
        s.now++;
        s.peak = Math.max(s.peak, s.now);
        return new Promise<void>((resolve) =>
          finishers.push(() => {
            s.now--;
            resolve();
          }),
        );
      });
    });
    let finished = 0;
    while (finished < 200) {
      await settle();
      const batch = finishers.splice(0);
      expect(batch.length).toBeGreaterThan(0);
      for (const f of batch) f();
      finished += batch.length;
    }
    await Promise.all(runs);
    expect([...perEndpoint.values()].map((s) => s.peak)).toEqual(Array(10).fill(8));
  });

  it('unpace starts every queued handshake of a silent endpoint at once, until it is idle again', async () => {
    const pacer = new HandshakePacer(2);
    const c = fakeConnector();
    const first = ['s0', 's1', 's2', 's3', 's4'].map((n) => pacer.run('silent:22', () => c.connect(n)));
    const other = ['o0', 'o1', 'o2'].map((n) => pacer.run('other:22', () => c.connect(n)));
    await settle();
    expect(c.started).toEqual(['s0', 's1', 'o0', 'o1']);
    pacer.unpace('silent:22');
    await settle();
    expect(c.started).toEqual(['s0', 's1', 'o0', 'o1', 's2', 's3', 's4']);
    // A newcomer to the silent endpoint is not held back either; the other endpoint still is.
    const late = pacer.run('silent:22', () => c.connect('s5'));
    await settle();
    expect(c.started.at(-1)).toBe('s5');
    expect(pacer.stats('other:22')).toEqual({ active: 2, queued: 1 });
    for (const n of ['s0', 's1', 's2', 's3', 's4', 's5']) c.fail(n);
    await Promise.allSettled([...first, late]);
    // Once idle, the endpoint is paced again.
    const again = ['r0', 'r1', 'r2'].map((n) => pacer.run('silent:22', () => c.connect(n)));
    await settle();
    expect(c.started.slice(-2)).toEqual(['r0', 'r1']);
    expect(pacer.stats('silent:22')).toEqual({ active: 2, queued: 1 });
    for (const n of ['o0', 'o1']) c.finish(n);
    await settle();
    for (const n of ['o2', 'r0', 'r1']) c.finish(n);
    await settle();
    c.finish('r2');
    await Promise.all([...other, ...again]);
  });
});
