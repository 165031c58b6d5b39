import { describe, expect, it } from 'vitest';
import { ReadAhead } from '../../../src/transport/read-ahead.js';
import type { Command, ExecOptions, ExecResult, FirstStep, ReadStep, Transport } from '../../../src/transport/types.js';

/** A host as a map of files; reads are `cat PATH`, writes `set PATH VALUE`. Every round trip is logged. */
class ScriptedHost implements Transport {
  readonly host = 'h';
  files = new Map<string, string>();
  trips: string[][] = [];
  private run(cmd: Command): ExecResult {
    const [op, p, v] = cmd as string[];
    if (op === 'set') this.files.set(p!, v!);
    const out = op === 'cat' ? (this.files.get(p!) ?? '') : '';
    return { exitCode: 0, signal: null, stdout: out, stderr: '', durationMs: 1 };
  }
  async connect() {}
  async exec(cmd: Command, _opts?: ExecOptions) {
    this.trips.push([(cmd as string[]).join(' ')]);
    return this.run(cmd);
  }
  async put(p: string, content: string | Buffer) {
    this.trips.push([`put ${p}`]);
    this.files.set(p, String(content));
  }
  async get() {
    return null;
  }
  async forwardUnixSocket(): Promise<never> {
    throw new Error('no');
  }
  async execThen(first: FirstStep, reads: readonly ReadStep[]) {
    this.trips.push([first.op === 'put' ? `put ${first.path}` : (first.cmd as string[]).join(' '), ...reads.map((r) => (r.cmd as string[]).join(' '))]);
    let head: ExecResult | undefined;
    if (first.op === 'put') this.files.set(first.path, String(first.content));
    else head = this.run(first.cmd);
    return { first: head, reads: reads.map((r) => this.run(r.cmd)) };
  }
  async close() {}
}

const read = (p: string): ReadStep => ({ cmd: ['cat', p] });
const cat = (t: Transport, p: string) => t.exec(['cat', p], { read: true }).then((r) => r.stdout);

describe('ReadAhead', () => {
  it('sends the expected reads with the next command and serves them without a round trip', async () => {
    const host = new ScriptedHost();
    host.files.set('/a', 'A').set('/b', 'B');
    const t = new ReadAhead(host, 30_000, 2);
    t.expect([read('/a'), read('/b')]);
    await t.exec(['set', '/x', '1']);
    expect(host.trips).toEqual([['set /x 1', 'cat /a', 'cat /b']]);
    expect(t.serves(['cat', '/a'], { read: true })).toBe(true);
    expect(await cat(t, '/a')).toBe('A');
    expect(await cat(t, '/b')).toBe('B');
    expect(host.trips).toHaveLength(1);
  });

  it('by default a command carries the next expected read only; the one after goes with the next command', async () => {
    const host = new ScriptedHost();
    const t = new ReadAhead(host);
    t.expect([read('/a'), read('/b')]);
    await t.exec(['set', '/x', '1']);
    expect(await cat(t, '/a')).toBe('');
    expect(await cat(t, '/c')).toBe('');
    expect(host.trips).toEqual([['set /x 1', 'cat /a'], ['cat /c', 'cat /b']]);
  });

  it('never serves a read from before a write: the write carries the expected reads again', async () => {
    const host = new ScriptedHost();
    host.files.set('/a', 'old');
    const t = new ReadAhead(host);
    t.expect([read('/a')]);
    expect(await cat(t, '/b')).toBe(''); // a miss: goes now, with /a
    await t.put('/a', 'new'); // changes /a: what was read of it is stale, and read again after the write
    expect(host.trips).toEqual([['cat /b', 'cat /a'], ['put /a', 'cat /a']]);
    expect(await cat(t, '/a')).toBe('new');
    expect(host.trips).toHaveLength(2);
  });

  it('a result is served once; a command that is not a read, a stream or forget() drops them all', async () => {
    const host = new ScriptedHost();
    host.files.set('/a', 'A');
    const t = new ReadAhead(host);
    t.expect([read('/a')]);
    await t.exec(['noop']);
    expect(await cat(t, '/a')).toBe('A');
    expect(await cat(t, '/a')).toBe('A');
    expect(host.trips.map((x) => x[0])).toEqual(['noop', 'cat /a']);
    t.expect([]);
    await t.exec(['noop']);
    t.expect([read('/a')]);
    await cat(t, '/z');
    t.forget();
    expect(t.serves(['cat', '/a'], { read: true })).toBe(false);
  });

  it('keeps nothing that was in flight across a change', async () => {
    const host = new ScriptedHost();
    host.files.set('/a', 'A');
    const t = new ReadAhead(host);
    t.expect([read('/a')]);
    const pending = t.exec(['noop']);
    t.forget(); // e.g. a Docker request sent meanwhile
    await pending;
    expect(t.serves(['cat', '/a'], { read: true })).toBe(false);
  });

  it('does not serve what is older than its age limit, nor a read run as someone else', async () => {
    const host = new ScriptedHost();
    const t = new ReadAhead(host, 0);
    t.expect([read('/a')]);
    await t.exec(['noop']);
    await new Promise((r) => setTimeout(r, 5));
    expect(t.serves(['cat', '/a'], { read: true })).toBe(false);
    const u = new ReadAhead(new ScriptedHost());
    u.expect([{ cmd: ['cat', '/a'], opts: { become: { user: 'app' } } }]);
    await u.exec(['noop']);
    expect(u.serves(['cat', '/a'], { read: true })).toBe(false);
    expect(u.serves(['cat', '/a'], { read: true, become: { user: 'app' } })).toBe(true);
  });

  it('a command with a time limit runs alone, and the reads wait for the next one', async () => {
    const host = new ScriptedHost();
    const t = new ReadAhead(host);
    t.expect([read('/a')]);
    await t.exec(['noop'], { timeoutMs: 1000 });
    await t.exec(['noop']);
    expect(host.trips).toEqual([['noop'], ['noop', 'cat /a']]);
  });

  it('readAll makes the reads it lacks in one round trip, the next expected read with them', async () => {
    const host = new ScriptedHost();
    host.files.set('/a', 'A').set('/b', 'B').set('/n', 'N');
    const t = new ReadAhead(host);
    t.expect([read('/a'), read('/n')]);
    await t.exec(['noop']);
    expect(host.trips).toEqual([['noop', 'cat /a']]);
    // /a is held; /b is read with the next expected one, /n (what the coming task reads)
    const got = await t.readAll([read('/a'), read('/b')]);
    expect(got.results.map((r) => r.stdout)).toEqual(['A', 'B']);
    expect(got.sent).toBe(true);
    expect(host.trips.at(-1)).toEqual(['cat /b', 'cat /n']);
    expect(await cat(t, '/n')).toBe('N');
    expect(host.trips).toHaveLength(2);
    // all held: no round trip
    t.expect([read('/a')]);
    await t.exec(['noop']);
    expect((await t.readAll([read('/a')])).sent).toBe(false);
  });
});
