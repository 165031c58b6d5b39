import { mkdtempSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { defineModule, type ModuleDefinition } from '../../../src/core/module.js';
import { ModuleError } from '../../../src/core/errors.js';
import { EventBus, type HostCounts, type RunEvent } from '../../../src/core/types.js';
import type { PlayOptions } from '../../../src/cli/play.js';
import { prepareFixture } from '../../support/engine-harness.js';
import { exitCode } from '../../../src/engine/pass.js';
import type { RunContext } from '../../../src/executor/context.js';
import { rolloutConfig } from '../../../src/rollout/config.js';
import { runPlaybook } from '../../../src/rollout/run.js';
import { plainReporter } from '../../../src/report/plain.js';
import { recapTable } from '../../../src/report/recap.js';
import { ReportCollector } from '../../../src/report/report-file.js';
import { makeStyle } from '../../../src/report/style.js';
import { FakeTransport } from '../../support/fake-transport.js';

/**
 * The per-batch rollout flow (SPEC §6) through the real loader, executor and strategies, with
 * fake transports and stand-in modules that record what the engine asked of them: `app` (a
 * deploy with an undo record), `nginx_lb` (drain / re-enable) and `health_check` (fails on a
 * host whose app runs version "bad"). The fleet test proves the real modules; this one proves
 * batching, ordering, halt / continue / rollback and the undo replay.
 */

interface World {
  log: string[];
  version: Record<string, string>;
  files: Record<string, string>;
}

function standIns(w: World): ModuleDefinition<any, any>[] {
  const app = defineModule<{ version: string }>({
    name: 'app',
    description: 'stand-in deploy with undo',
    schema: { type: 'object', properties: { version: { type: 'string' } }, required: ['version'], additionalProperties: false },
    async plan(ctx, p) {
      const now = w.version[ctx.host];
      return now === p.version ? { changes: [] } : { changes: [{ field: 'version', before: now, after: p.version }] };
    },
    async apply(ctx, p) {
      const prev = w.version[ctx.host];
      w.version[ctx.host] = p.version;
      w.log.push(`app ${ctx.host} ${p.version}`);
      return ctx.keepUndo ? { undo: { prev } } : {};
    },
    async undo(ctx, p, undo) {
      w.version[ctx.host] = (undo as { prev: string }).prev;
      w.log.push(`undo app ${ctx.host} ${p.version}→${(undo as { prev: string }).prev}${ctx.become ? ` as ${ctx.become.user}` : ''}`);
    },
    async discard(ctx) {
      w.log.push(`discard ${ctx.host}`);
    },
  });
  const conf = defineModule<{ content: string }>({
    name: 'conf',
    description: 'stand-in file write with undo',
    schema: { type: 'object', properties: { content: { type: 'string' } }, required: ['content'] },
    async plan(ctx, p) {
      return w.files[ctx.host] === p.content ? { changes: [] } : { changes: [{ field: 'content' }] };
    },
    async apply(ctx, p) {
      const prev = w.files[ctx.host];
      w.files[ctx.host] = p.content;
      w.log.push(`conf ${ctx.host} ${p.content}`);
      return ctx.keepUndo ? { undo: { prev } } : {};
    },
    async undo(ctx, _p, undo) {
      w.files[ctx.host] = (undo as { prev: string }).prev;
      w.log.push(`undo conf ${ctx.host}→${(undo as { prev: string }).prev}`);
    },
  });
  const lb = defineModule<{ name: string; backend: string; state: string }>({
    name: 'nginx_lb',
    description: 'stand-in LB',
    schema: { type: 'object', properties: { name: { type: 'string' }, backend: { type: 'string' }, state: { enum: ['active', 'drained'] } }, required: ['name', 'backend', 'state'] },
    async plan() {
      return { changes: [{ field: 'state' }] };
    },
    async apply(ctx, p) {
      w.log.push(`lb@${ctx.host} ${p.name} ${p.backend} ${p.state}${ctx.keepUndo ? ' (keepUndo)' : ''}`);
      return { undo: { was: 'x' } };
    },
  });
  const health = defineModule<Record<string, unknown>>({
    name: 'health_check',
    description: 'stand-in health gate',
    schema: { type: 'object' },
    readOnly: true,
    async plan(ctx) {
      const v = w.version[ctx.host];
      w.log.push(`health ${ctx.host} ${v}`);
      if (v === 'bad') throw new ModuleError(`health check failed: saw 500 from ${ctx.host}`);
      return { changes: [] };
    },
    async apply() {
      return {};
    },
  });
  // Stand-in docker_container: its result and change lines have the real module's form.
  const container = defineModule<{ name: string; image: string }>({
    name: 'docker_container',
    description: 'stand-in container with undo',
    schema: { type: 'object', properties: { name: { type: 'string' }, image: { type: 'string' } }, required: ['name', 'image'] },
    async plan(ctx, p) {
      const now = w.version[ctx.host];
      return now === p.image ? { changes: [], result: { container: 'c1', image: p.image } } : { changes: [{ field: 'image', before: `${now} (aaaa)`, after: `${p.image} (bbbb)` }] };
    },
    async apply(ctx, p) {
      const prev = w.version[ctx.host];
      w.version[ctx.host] = p.image;
      w.log.push(`container ${ctx.host} ${p.image}`);
      return { result: { container: 'c2', image: p.image }, ...(ctx.keepUndo ? { undo: { prev } } : {}) };
    },
    async undo(ctx, _p, undo) {
      w.version[ctx.host] = (undo as { prev: string }).prev;
      w.log.push(`undo container ${ctx.host}→${(undo as { prev: string }).prev}`);
    },
  });
  return [app, conf, lb, health, container];
}

const inventoryText = (want: Record<string, string> = {}) =>
  'all:\n  children:\n    web:\n      hosts:\n' +
  ['h1', 'h2', 'h3'].map((h) => `        ${h}: { want: ${want[h] ?? 'v2'} }\n`).join('') +
  '    lb:\n      hosts:\n        lb1: {}\n';

async function rollout(o: {
  tasks: string;
  rollout: Record<string, unknown>;
  become?: boolean;
  check?: boolean;
  want?: Record<string, string>;
  onApply?: (line: string) => void;
  signal?: AbortSignal;
}) {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'rb-rollout-'));
  writeFileSync(path.join(dir, 'inventory.yml'), inventoryText(o.want));
  writeFileSync(path.join(dir, 'playbook.yml'), `- hosts: web\n${o.become ? '  become: true\n' : ''}  tasks:\n${o.tasks}`);
  const w: World = { log: [], version: { h1: 'v1', h2: 'v1', h3: 'v1' }, files: { h1: 'old', h2: 'old', h3: 'old' } };
  if (o.onApply) {
    const push = w.log.push.bind(w.log);
    w.log.push = (...lines: string[]) => {
      const n = push(...lines);
      for (const l of lines) o.onApply!(l);
      return n;
    };
  }
  const modules = new Map<string, ModuleDefinition<any, any>>();
  const { builtinModules } = await import('../../../modules/index.js');
  for (const m of [...builtinModules, ...standIns(w)]) modules.set(m.name, m);
  const signal = o.signal ?? new AbortController().signal;
  const abort = new AbortController().signal;
  const opts = { inventory: path.join(dir, 'inventory.yml'), check: !!o.check, output: 'json', forks: 5, verbose: 0, extraVars: [] } as unknown as PlayOptions;
  const { playbook, inventory, extraVars } = await prepareFixture(dir, opts, modules, abort);
  // The rollout is set on the loaded play (its load-time form is tested in config.test.ts).
  playbook.plays[0]!.rollout = rolloutConfig(o.rollout);
  const transports = new Map<string, FakeTransport>();
  const bus = new EventBus();
  const events: RunEvent[] = [];
  bus.subscribe((e) => events.push(e));
  const collector = new ReportCollector();
  bus.subscribe(collector.subscriber);
  const text: string[] = [];
  bus.subscribe(plainReporter((l) => text.push(l), { diff: false, verbose: false, check: !!o.check }, makeStyle(false)));
  const run: RunContext = {
    playbook,
    inventory,
    modules,
    check: !!o.check,
    diff: false,
    verbose: false,
    forks: 5,
    tags: [],
    skipTags: [],
    extraVars,
    hosts: new Map(),
    transportFor: (h) => transports.get(h) ?? transports.set(h, new FakeTransport(h)).get(h)!,
    bus,
    signal,
    abort,
  };
  const result = await runPlaybook(run);
  const counts: Record<string, HostCounts> = {};
  for (const [n, h] of result.hosts) counts[n] = h.counts;
  const warnings = events.flatMap((e) => (e.type === 'warning' ? [e.msg] : []));
  const done = events.flatMap((e) => (e.type === 'task:done' ? [`${e.host} ${e.task.name} ${e.outcome.status}`] : []));
  const ro = events.filter((e) => e.type.startsWith('rollout:') && e.type !== 'rollout:batch');
  const recap = recapTable(counts, makeStyle(false), collector.report.rollout);
  return { w, result, exit: exitCode(counts, result.interrupted, false), warnings, done, events, ro, report: collector.report, text, recap };
}

const drain = { nginx_lb: { host: 'lb1', name: 'web' }, backend: '{{ inventory_hostname }}:8080', timeout: 0 };
const gate = { http: { url: 'http://127.0.0.1:8080/health' } };
const deploy = (v: string) => `    - app: { version: "${v}" }\n`;

describe('rollout batches', () => {
  it('v1 → v2: per batch drain on the LB host, tasks, health gate, re-enable; canary first; undo records dropped after a good batch', async () => {
    const r = await rollout({ tasks: deploy('v2'), rollout: { batch: [1, 2], drain, health_check: gate, on_failure: 'rollback' } });
    expect(r.w.log).toEqual([
      'lb@lb1 web h1:8080 drained',
      'app h1 v2',
      'health h1 v2',
      'lb@lb1 web h1:8080 active',
      'discard h1',
      'lb@lb1 web h2:8080 drained',
      'lb@lb1 web h3:8080 drained',
      'app h2 v2',
      'app h3 v2',
      'health h2 v2',
      'health h3 v2',
      'lb@lb1 web h2:8080 active',
      'lb@lb1 web h3:8080 active',
      'discard h2',
      'discard h3',
    ]);
    expect(r.w.version).toEqual({ h1: 'v2', h2: 'v2', h3: 'v2' });
    expect(r.exit).toBe(0);
    expect(r.warnings).toEqual([]);
    // built tasks are ordinary tasks in the event stream
    expect(r.done).toContain('h1 rollout: drain on lb1 (web) changed');
    expect(r.done).toContain('h1 rollout: health gate ok');
    expect(r.done).toContain('h1 rollout: re-enable on lb1 (web) changed');
    const batches = r.events.flatMap((e) => (e.type === 'rollout:batch' ? [`${e.batch}/${e.total} ${e.hosts.join(',')}`] : []));
    expect(batches).toEqual(['1/2 h1', '2/2 h2,h3']);
    expect(r.events.some((e) => e.type === 'batch:start')).toBe(false);
    expect(r.ro).toEqual([]);
    for (const h of r.result.hosts.values()) expect(h.undoLog).toEqual([]);
  });

  it('rollback: the canary fails its gate, its changes are undone newest first with the same become, it is re-checked and re-enabled; no later batch; exit 4', async () => {
    const r = await rollout({
      become: true,
      tasks: `    - conf: { content: new }\n${deploy('bad')}    - command: /bin/true\n`,
      rollout: { batch: [1, '50%'], drain, health_check: gate, on_failure: 'rollback' },
    });
    expect(r.w.log).toEqual([
      'lb@lb1 web h1:8080 drained',
      'conf h1 new',
      'app h1 bad',
      'health h1 bad',
      'undo app h1 bad→v1 as root',
      'undo conf h1→old',
      'health h1 v1',
      'lb@lb1 web h1:8080 active',
    ]);
    expect(r.w.version).toEqual({ h1: 'v1', h2: 'v1', h3: 'v1' });
    expect(r.w.files.h1).toBe('old');
    expect(r.exit).toBe(4);
    expect(r.done).toContain('h1 undo: app: version=bad changed');
    expect(r.warnings).toEqual([]);
    expect(r.ro).toEqual([
      { type: 'rollout:failed', play: 'web', batch: 1, hosts: ['h1'], action: 'rollback' },
      {
        type: 'rollout:rolled_back',
        play: 'web',
        batch: 1,
        host: 'h1',
        undone: ['app: version=bad (app)', 'conf: content=new (conf)'],
        notUndoable: ['command: /bin/true (command)'],
        undoFailed: [],
      },
    ]);
    expect(r.events.filter((e) => e.type === 'rollout:batch')).toHaveLength(1);
  });

  it('halt: the failed canary stays drained (and the output says so), no later batch', async () => {
    const r = await rollout({ tasks: deploy('bad'), rollout: { batch: 1, drain, health_check: gate, on_failure: 'halt' } });
    expect(r.w.log).toEqual(['lb@lb1 web h1:8080 drained', 'app h1 bad', 'health h1 bad', 'discard h1']);
    expect(r.exit).toBe(4);
    expect(r.warnings).toEqual([]);
    expect(r.ro).toEqual([
      { type: 'rollout:failed', play: 'web', batch: 1, hosts: ['h1'], action: 'halt' },
      { type: 'rollout:drained_left', play: 'web', batch: 1, hosts: ['h1'], reason: 'failed' },
    ]);
  });

  it('continue: the failed host stays drained, later batches run', async () => {
    const r = await rollout({ want: { h1: 'bad' },
      tasks: '    - app: { version: "{{ want }}" }\n', rollout: { batch: 1, drain, health_check: gate, on_failure: 'continue' } });
    expect(r.w.version).toEqual({ h1: 'bad', h2: 'v2', h3: 'v2' });
    expect(r.w.log.filter((l) => l.startsWith('lb@'))).toEqual([
      'lb@lb1 web h1:8080 drained',
      'lb@lb1 web h2:8080 drained',
      'lb@lb1 web h2:8080 active',
      'lb@lb1 web h3:8080 drained',
      'lb@lb1 web h3:8080 active',
    ]);
    expect(r.exit).toBe(4);
    expect(r.warnings).toEqual([]);
    expect(r.ro).toEqual([
      { type: 'rollout:failed', play: 'web', batch: 1, hosts: ['h1'], action: 'continue' },
      { type: 'rollout:drained_left', play: 'web', batch: 1, hosts: ['h1'], reason: 'failed' },
    ]);
  });

  it('max_fail_percentage must be exceeded: 1 of 3 failing under 50% is not a failed batch', async () => {
    const r = await rollout({
      want: { h2: 'bad' },
      tasks: '    - app: { version: "{{ want }}" }\n',
      rollout: { batch: '100%', max_fail_percentage: 50, drain, health_check: gate, on_failure: 'rollback' },
    });
    expect(r.w.version).toEqual({ h1: 'v2', h2: 'bad', h3: 'v2' });
    expect(r.w.log.filter((l) => l.includes('active'))).toEqual(['lb@lb1 web h1:8080 active', 'lb@lb1 web h3:8080 active']);
    expect(r.w.log.some((l) => l.startsWith('undo'))).toBe(false);
    expect(r.warnings).toEqual([]);
    expect(r.ro).toEqual([]);
    expect(r.exit).toBe(4);
  });
});

describe('rollout in check mode', () => {
  it('plans every batch (drain, tasks, re-enable reported as changes) and applies nothing', async () => {
    const r = await rollout({ check: true, tasks: deploy('v2'), rollout: { batch: [1, 2], drain, health_check: gate, on_failure: 'rollback' } });
    expect(r.w.log).toEqual(['health h1 v1', 'health h2 v1', 'health h3 v1']);
    expect(r.w.version).toEqual({ h1: 'v1', h2: 'v1', h3: 'v1' });
    expect(r.done.filter((d) => d.startsWith('h1 '))).toEqual([
      'h1 rollout: drain on lb1 (web) changed',
      'h1 app: version=v2 changed',
      'h1 rollout: health gate ok',
      'h1 rollout: re-enable on lb1 (web) changed',
    ]);
    expect(r.exit).toBe(0);
    // the batch plan comes before any task
    const first = r.events.findIndex((e) => e.type === 'task:start');
    const plan = r.events.findIndex((e) => e.type === 'rollout:plan');
    expect(plan).toBeGreaterThan(-1);
    expect(plan).toBeLessThan(first);
    expect(r.events[plan]).toEqual({ type: 'rollout:plan', play: 'web', batches: [['h1'], ['h2', 'h3']], notUndoable: [] });
  });
});

describe('rollout interrupted', () => {
  it('starts nothing new after the interrupt and says which hosts are left drained', async () => {
    const ac = new AbortController();
    const r = await rollout({
      tasks: deploy('v2'),
      rollout: { batch: [1, 2], drain, health_check: gate, on_failure: 'rollback' },
      onApply: (line) => {
        if (line === 'app h1 v2') ac.abort();
      },
      signal: ac.signal,
    });
    expect([...r.w.log]).toEqual(['lb@lb1 web h1:8080 drained', 'app h1 v2']);
    expect(r.warnings).toEqual([]);
    expect(r.ro).toEqual([{ type: 'rollout:drained_left', play: 'web', batch: 1, hosts: ['h1'], reason: 'interrupted' }]);
    expect(r.result.interrupted).toBe(true);
  });
});

describe('rollout in the output and the report', () => {
  const img = (v: string) => `    - name: app container\n      docker_container: { name: app, image: "${v}" }\n`;

  it('v1 → v2: plain text shows each batch with its hosts as it starts; report and recap name the image each host ends on', async () => {
    const r = await rollout({ tasks: img('v2'), rollout: { batch: [1, 2], drain, health_check: gate, on_failure: 'rollback' } });
    expect(r.w.version).toEqual({ h1: 'v2', h2: 'v2', h3: 'v2' });
    const b1 = r.text.indexOf('batch 1/2: h1');
    const b2 = r.text.indexOf('batch 2/2: h2, h3');
    expect(b1).toBeGreaterThan(-1);
    expect(b2).toBeGreaterThan(b1);
    // batch 2 starts after batch 1's last task
    expect(r.text.findIndex((l) => /h1 {2}rollout: re-enable/.test(l))).toBeLessThan(b2);
    expect(r.report.rollout).toEqual({
      plan: [],
      batches: [
        { play: 'web', batch: 1, total: 2, hosts: ['h1'] },
        { play: 'web', batch: 2, total: 2, hosts: ['h2', 'h3'] },
      ],
      failed: [],
      rolled_back: {},
      drained_left: [],
      versions: { h1: { 'app container': 'v2' }, h2: { 'app container': 'v2' }, h3: { 'app container': 'v2' } },
    });
    const summary = r.recap.split('\n').slice(r.recap.split('\n').indexOf('ROLLOUT'));
    expect(summary).toEqual([
      'ROLLOUT',
      '"web": 2 of 2 batches ran',
      'no batch failed',
      'h1 ends on v2 (app container)',
      'h2 ends on v2 (app container)',
      'h3 ends on v2 (app container)',
    ]);
  });

  it('rollback: text, recap and report name the failed batch, what was undone, what could not be, and the restored image', async () => {
    const r = await rollout({
      tasks: `${img('bad')}    - command: /bin/true\n`,
      rollout: { batch: [1, 2], drain, health_check: gate, on_failure: 'rollback' },
    });
    expect(r.w.log).toContain('undo container h1→v1');
    expect(r.exit).toBe(4);
    expect(r.text).toContain('rollout batch 1 failed on h1; on_failure: rollback, no further batches run');
    expect(r.text).toContain('rolled back h1: app container (docker_container); cannot undo: command: /bin/true (command)');
    expect(r.report.rollout).toEqual({
      plan: [],
      batches: [{ play: 'web', batch: 1, total: 2, hosts: ['h1'] }],
      failed: [{ play: 'web', batch: 1, hosts: ['h1'], action: 'rollback' }],
      rolled_back: { h1: { undone: ['app container (docker_container)'], not_undoable: ['command: /bin/true (command)'], undo_failed: [] } },
      drained_left: [],
      versions: { h1: { 'app container': 'v1' } },
    });
    const summary = r.recap.split('\n').slice(r.recap.split('\n').indexOf('ROLLOUT'));
    expect(summary).toEqual([
      'ROLLOUT',
      '"web": 1 of 2 batches ran',
      'failed batch 1 ("web") on h1: rollback',
      'rolled back h1: app container (docker_container); cannot undo: command: /bin/true (command)',
      'h1 ends on v1 (app container)',
    ]);
  });

  it('halt: the recap and report say which hosts are left drained', async () => {
    const r = await rollout({ tasks: img('bad'), rollout: { batch: 1, drain, health_check: gate, on_failure: 'halt' } });
    expect(r.text).toContain('left drained on the LB: h1');
    expect(r.report.rollout?.drained_left).toEqual(['h1']);
    expect(r.report.rollout?.versions).toEqual({ h1: { 'app container': 'bad' } });
    expect(r.recap).toContain('failed batch 1 ("web") on h1: halt');
    expect(r.recap).toContain('left drained on the LB: h1');
  });

  it('check mode prints the batch plan before any task, and the recap repeats it', async () => {
    const r = await rollout({
      check: true,
      tasks: `${img('v2')}    - command: /bin/true\n`,
      rollout: { batch: [1, 2], drain, health_check: gate, on_failure: 'rollback' },
    });
    // a task a rollback could not reverse is named in the plan, before anything runs
    const plan = r.text.indexOf('rollout plan for "web": batch 1/2: h1; batch 2/2: h2, h3; a rollback cannot undo: command: /bin/true (command)');
    expect(plan).toBeGreaterThan(-1);
    expect(plan).toBeLessThan(r.text.findIndex((l) => /^(ok|changed|skipped|failed)\s/.test(l)));
    expect(r.report.rollout?.plan).toEqual([{ play: 'web', batches: [['h1'], ['h2', 'h3']], not_undoable: ['command: /bin/true (command)'] }]);
    expect(r.recap).toContain('plan "web": 1: h1; 2: h2, h3');
    expect(r.recap).toContain('a rollback cannot undo: command: /bin/true (command)');
    expect(r.w.version).toEqual({ h1: 'v1', h2: 'v1', h3: 'v1' });
  });

  it('a run without rollout events has no rollout object and no summary', () => {
    const plain = new ReportCollector();
    plain.subscriber({ type: 'play:start', play: 'x', index: 0, hosts: ['h1'] });
    expect(plain.report.rollout).toBeUndefined();
    expect(recapTable({}, makeStyle(false), plain.report.rollout)).toBe('RECAP: no hosts ran');
  });
});
