import { mkdtempSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { defineModule, type ModuleDefinition } from '../../../../src/core/module.js';
import { EventBus } from '../../../../src/core/types.js';
import type { PlayOptions } from '../../../../src/cli/play.js';
import { prepareFixture } from '../../../support/engine-harness.js';
import type { RunContext } from '../../../../src/executor/context.js';
import { discardUndoLog } from '../../../../src/executor/task.js';
import { runPlaybook } from '../../../../src/rollout/run.js';
import { FakeTransport } from '../../../support/fake-transport.js';

/** The executor's per-host undo log: kept only when the run (or play) asks, in apply order. */

const calls: string[] = [];
const undoable = defineModule<{ id: string; change?: boolean }>({
  name: 'undoable',
  description: 'test module with an undo record',
  schema: { type: 'object', properties: { id: { type: 'string' }, change: { type: 'boolean' } }, required: ['id'] },
  async plan(_ctx, p) {
    return { changes: p.change === false ? [] : [{ field: 'x', before: 1, after: 2 }] };
  },
  async apply(ctx, p) {
    return { undo: { id: p.id, keep: ctx.keepUndo } };
  },
  async discard(ctx, p, undo) {
    calls.push(`discard ${ctx.host} ${p.id} ${JSON.stringify(undo)}`);
  },
});

async function run(keepUndo: boolean | undefined, check = false) {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'rb-undo-'));
  writeFileSync(path.join(dir, 'inventory.yml'), 'all:\n  hosts:\n    h1: {}\n    h2: {}\n');
  writeFileSync(
    path.join(dir, 'playbook.yml'),
    '- hosts: all\n  tasks:\n    - undoable: { id: a }\n    - undoable: { id: b, change: false }\n    - undoable: { id: c }\n',
  );
  const modules = new Map<string, ModuleDefinition<any, any>>([['undoable', undoable]]);
  const signal = new AbortController().signal;
  const opts = { inventory: path.join(dir, 'inventory.yml'), check, output: 'json', forks: 5, verbose: 0, extraVars: [] } as unknown as PlayOptions;
  const { playbook, inventory, extraVars } = await prepareFixture(dir, opts, modules, signal);
  const transports = new Map<string, FakeTransport>();
  const ctx: RunContext = {
    playbook,
    inventory,
    modules,
    check,
    diff: false,
    verbose: false,
    forks: 5,
    tags: [],
    skipTags: [],
    extraVars,
    hosts: new Map(),
    transportFor: (h) => transports.get(h) ?? transports.set(h, new FakeTransport()).get(h)!,
    bus: new EventBus(),
    signal,
    abort: signal,
    ...(keepUndo !== undefined ? { keepUndo } : {}),
  };
  const result = await runPlaybook(ctx);
  return { ctx, hosts: result.hosts };
}

describe('per-host undo log', () => {
  it('is empty by default: modules see keepUndo false and nothing is kept', async () => {
    const { hosts } = await run(undefined);
    expect(hosts.get('h1')!.undoLog).toEqual([]);
    expect(hosts.get('h1')!.counts.changed).toBe(2);
  });

  it('with keepUndo each applied task leaves its record, in order; check mode leaves none', async () => {
    const { ctx, hosts } = await run(true);
    const log = hosts.get('h2')!.undoLog;
    expect(log.map((e) => [e.task, e.module, e.params, e.undo, e.target])).toEqual([
      ['undoable: id=a', 'undoable', { id: 'a' }, { id: 'a', keep: true }, 'h2'],
      ['undoable: id=c', 'undoable', { id: 'c' }, { id: 'c', keep: true }, 'h2'],
    ]);
    calls.length = 0;
    await discardUndoLog(ctx, hosts.get('h2')!);
    expect(calls).toEqual(['discard h2 c {"id":"c","keep":true}', 'discard h2 a {"id":"a","keep":true}']);
    expect(log).toEqual([]);

    const checked = await run(true, true);
    expect(checked.hosts.get('h1')!.undoLog).toEqual([]);
  });
});
