import { mkdtempSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { driftedTasks } from '../../../src/cli/drift.js';
import { Journal, currentUser, newRunId } from '../../../src/journal/journal.js';
import { runbookHome } from '../../../src/journal/home.js';
import type { RunReport } from '../../../src/report/report-file.js';

const report: RunReport = {
  playbook: 'site.yml',
  inventory: 'prod',
  check: true,
  started: '2026-12-02T12:00:00.000Z',
  duration_ms: 10,
  exit: 0,
  hosts: {
    h1: {
      status: 'changed',
      tasks: [
        { name: 'conf', module: 'copy', status: 'changed', changes: ['content'], diff: [{ label: '/etc/a', before: 'x\n', after: 'y\n' }], duration_ms: 1 },
        { name: 'dir', module: 'file', status: 'ok', duration_ms: 1 },
        { name: 'reload', module: 'command', status: 'changed', handler: true, duration_ms: 1 },
      ],
    },
    h2: { status: 'ok', tasks: [{ name: 'conf', module: 'copy', status: 'ok', duration_ms: 1 }] },
  },
};

describe('drift extraction', () => {
  it('keeps exactly the tasks that would change, per host; handlers are consequences, not drift', () => {
    expect(driftedTasks(report)).toEqual({
      h1: [{ task: 'conf', module: 'copy', changes: ['content'], diff: [{ label: '/etc/a', before: 'x\n', after: 'y\n' }] }],
    });
  });
});

describe('run journal', () => {
  it('lives in $RUNBOOK_HOME, else .runbook/ in the working directory', () => {
    expect(runbookHome('/srv/ops', {})).toBe('/srv/ops/.runbook');
    expect(runbookHome('/srv/ops', { RUNBOOK_HOME: 'state' })).toBe('/srv/ops/state');
    expect(runbookHome('/srv/ops', { RUNBOOK_HOME: '/var/lib/runbook' })).toBe('/var/lib/runbook');
  });

  it('records runs and their tasks, lists newest first, finds a run by a unique id prefix', () => {
    const home = mkdtempSync(path.join(os.tmpdir(), 'rb-journal-'));
    const j = Journal.open(home);
    const ids = ['20261202-120000-aaaa', '20261202-130000-bbbb'];
    for (const [i, id] of ids.entries()) {
      j.begin({ id, kind: i ? 'drift' : 'play', command: `runbook ${i}`, user: 'ops', cwd: '/srv', playbook: 'site.yml', inventory: 'prod', started: `2026-12-02T1${2 + i}:00:00.000Z` });
      j.recordPass(id, i ? 'fix' : 'apply', report, () => (i ? 'corrective' : 'intentional'));
      j.finish(id, i ? 2 : 0, { hosts: {}, changed: 2, drifted: [], corrected: [], not_converging: [] });
    }
    j.close();
    const again = Journal.open(home);
    expect(again.list(10).map((r) => [r.id, r.kind, r.exit])).toEqual([
      [ids[1], 'drift', 2],
      [ids[0], 'play', 0],
    ]);
    expect(again.list(1)).toHaveLength(1);
    const got = again.get('20261202-13')!;
    expect(got.run.id).toBe(ids[1]);
    expect(got.tasks.map((t) => [t.pass, t.host, t.task, t.status, t.change_kind])).toEqual([
      ['fix', 'h1', 'conf', 'changed', 'corrective'],
      ['fix', 'h1', 'dir', 'ok', null],
      ['fix', 'h1', 'reload', 'changed', 'corrective'],
      ['fix', 'h2', 'conf', 'ok', null],
    ]);
    expect(got.tasks[0]!.diff).toEqual([{ label: '/etc/a', before: 'x\n', after: 'y\n' }]);
    expect(again.get('20261202')).toBeUndefined(); // ambiguous prefix
    expect(again.get('nope')).toBeUndefined();
    again.close();
  });

  it('records who ran it, and who they were before sudo', () => {
    const me = os.userInfo().username;
    expect(currentUser({})).toBe(me);
    expect(currentUser({ SUDO_USER: 'alice' })).toBe(`${me} (sudo from alice)`);
    expect(currentUser({ SUDO_USER: me })).toBe(me);
  });

  it('makes sortable, distinct run ids', () => {
    const a = newRunId(new Date('2026-12-02T12:34:56Z'));
    expect(a).toMatch(/^20261202-123456-[0-9a-f]{4}$/);
  });
});
