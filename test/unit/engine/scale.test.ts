// The work done per host must not grow with the size of the inventory: building a host's
// variables (hostvars, groups, group_names) and scheduling a task on it are counted, not
// timed, on inventories of 500 and 2,000 hosts.
import { afterEach, describe, expect, it, vi } from 'vitest';
import { HostState } from '../../../src/executor/host-state.js';
import { StaticInventory } from '../../../src/inventory/model.js';
import { runEngine, statuses } from '../../support/engine-harness.js';

/** An inventory of n hosts in 10 groups, every host with its own variable. */
function inventory(n: number): string {
  const lines = ['all:', '  children:'];
  for (let g = 0; g < 10; g++) {
    lines.push(`    g${g}:`, '      hosts:');
    for (let i = g; i < n; i += 10) lines.push(`        h${i}: { ansible_connection: ssh, slot: ${i} }`);
  }
  return `${lines.join('\n')}\n`;
}

// Three tasks that read every magic variable that could cost O(hosts): hostvars of another
// host, the groups map, group_names, the play's host lists. One host in ten fails the first
// task, under a max_fail_percentage the play stays within: the fail threshold is checked
// after every task run.
const playbook = (n: number) => `
- hosts: all
  gather_facts: false
  max_fail_percentage: 50
  tasks:
    - name: some fail
      probe: { id: fail, fail: [${Array.from({ length: n / 10 }, (_, i) => `h${i * 10 + 9}`).join(', ')}] }
    - name: peer
      probe: { id: peer, echo: "{{ hostvars[groups['g0'][0]].slot }}-{{ hostvars[inventory_hostname].slot }}" }
    - name: groups
      probe: { id: groups, echo: "{{ group_names | join(',') }} {{ groups['all'] | length }}" }
    - name: play hosts
      probe: { id: play, echo: "{{ ansible_play_hosts | length }} {{ play_hosts | length }}", change: true }
`;

interface Work {
  hostVars: number;
  groupsOf: number;
  activeReads: number;
}

async function measure(n: number): Promise<Work> {
  const hostVars = vi.spyOn(StaticInventory.prototype, 'hostVars');
  const groupsOf = vi.spyOn(StaticInventory.prototype, 'groupsOf');
  const active = vi.spyOn(HostState.prototype, 'active', 'get');
  try {
    const r = await runEngine({ playbook: playbook(n), inventory: inventory(n), forks: 50 });
    expect(r.exit).toBe(4); // some hosts failed
    expect(Object.values(statuses(r, 'some fail')).filter((x) => x === 'failed')).toHaveLength(n / 10);
    const s = statuses(r, 'play hosts');
    expect(Object.keys(s)).toHaveLength(n - n / 10);
    expect(new Set(Object.values(s))).toEqual(new Set(['changed']));
    const peer = r.log.find((c) => c.id === 'peer' && c.host === `h${n - 2}`)!;
    expect(peer.params.echo).toBe(`0-${n - 2}`);
    const groups = r.log.find((c) => c.id === 'groups' && c.host === 'h13')!;
    expect(groups.params.echo).toBe(`g3 ${n}`);
    const play = r.log.find((c) => c.id === 'play' && c.host === 'h7')!;
    expect(play.params.echo).toBe(`${n} ${n}`);
    return { hostVars: hostVars.mock.calls.length, groupsOf: groupsOf.mock.calls.length, activeReads: active.mock.calls.length };
  } finally {
    vi.restoreAllMocks();
  }
}

afterEach(() => vi.restoreAllMocks());

describe('scale: per-host work does not grow with the inventory', () => {
  it('2,000 hosts cost 4x the work of 500 (linear), not 16x', { timeout: 120_000 }, async () => {
    const small = await measure(500);
    const large = await measure(2000);
    console.log(`work at 500 hosts: ${JSON.stringify(small)}; at 2000: ${JSON.stringify(large)}`);
    // Each host's inventory variables are built a bounded number of times per run...
    expect(large.hostVars).toBeLessThanOrEqual(4 * 2000);
    // ...its group_names once per task...
    expect(large.groupsOf).toBeLessThanOrEqual(4 * 2000 + 2000);
    // ...and scheduling reads each host's state a bounded number of times per task.
    expect(large.activeReads).toBeLessThanOrEqual(16 * 2000);
    for (const k of ['hostVars', 'groupsOf', 'activeReads'] as const) {
      expect(large[k], `${k}: ${small[k]} at 500 hosts, ${large[k]} at 2000`).toBeLessThanOrEqual(4 * small[k] + 100);
    }
  });
});
