import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import type { Transport } from '../../src/transport/types.js';
import statModule from '../../modules/stat.js';
import { fleetTransport } from '../support/fleet-transport.js';
import { makeModuleContext } from '../support/module-context.js';

/** File modules on a real host over SSH. stat: read-only, reports what is there. */

const fleet = inject('fleet');
const host = fleet?.hosts[0];

describe.skipIf(!fleet)('file modules on the fleet', () => {
  let root: Transport;
  const base = `/srv/rb-files-${randomBytes(4).toString('hex')}`;

  beforeAll(async () => {
    root = fleetTransport(fleet, host!.name, fleet.user);
    const r = await root.exec({ script: 'mkdir -p "$1" && printf "hello\\n" > "$1/f" && chmod 0640 "$1/f" && ln -s f "$1/ln"', args: [base] });
    expect(r.exitCode).toBe(0);
  });
  afterAll(async () => {
    await root?.exec(['rm', '-rf', base]);
    await root?.close?.();
  });

  it('stat reports a file, a link and a missing path, and changes nothing', async () => {
    const ctx = makeModuleContext({ transport: root, check: true });
    const before = (await root.exec({ script: 'ls -la --time-style=full-iso "$1"', args: [base] })).stdout;
    const p = await statModule.plan(ctx, { path: `${base}/f`, checksum_algorithm: 'sha256' });
    expect(p.changes).toEqual([]);
    expect(p.result?.stat).toMatchObject({
      exists: true, isreg: true, mode: '0640', size: 6, uid: 0, pw_name: 'root',
      checksum: '5891b5b522d5df086d0ff0b110fbd9d21bb4fc7163af34d08286a2e846f6be03',
    });
    const l = await statModule.plan(ctx, { path: `${base}/ln` });
    expect(l.result?.stat).toMatchObject({ exists: true, islnk: true, lnk_target: 'f' });
    const m = await statModule.plan(ctx, { path: `${base}/missing` });
    expect(m.result?.stat).toEqual({ exists: false });
    const after = (await root.exec({ script: 'ls -la --time-style=full-iso "$1"', args: [base] })).stdout;
    expect(after).toBe(before);
  });
});
