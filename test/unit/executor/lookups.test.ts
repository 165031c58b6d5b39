import { afterEach, describe, expect, it } from 'vitest';
import { checkTemplate } from '../../../src/template/render.js';
import { calls, outcome, runEngine } from '../../support/engine-harness.js';

const play = (echo: string) => `- hosts: h1
  vars:
    prefix: app
    app_port: 8080
  tasks:
    - { name: show, probe: { id: show, echo: "${echo}" } }
`;

describe("lookup(), query() and q() on the controller", () => {
  afterEach(() => {
    delete process.env.RB_LOOKUP_A;
    delete process.env.RB_LOOKUP_B;
  });

  it('env: a controller variable, an unset one is empty; query gives a list', async () => {
    process.env.RB_LOOKUP_A = 'one';
    process.env.RB_LOOKUP_B = 'two';
    const r = await runEngine({ hosts: 1, playbook: play("{{ lookup('env', 'RB_LOOKUP_A') }}|{{ lookup('env', 'RB_LOOKUP_A', 'RB_LOOKUP_B') }}|{{ lookup('env', 'RB_LOOKUP_UNSET') }}|{{ query('env', 'RB_LOOKUP_B') | length }}") });
    expect(calls(r, 'show')[0]?.params.echo).toBe('one|one,two||1');
  });

  it("file: found as copy finds src (the playbook's files/), trailing whitespace stripped", async () => {
    const r = await runEngine({ hosts: 1, files: { 'files/motd.txt': 'hello\nworld\n\n' }, playbook: play("{{ lookup('file', 'motd.txt') }}") });
    expect(calls(r, 'show')[0]?.params.echo).toBe('hello\nworld');
  });

  it('vars: a variable by a computed name, with a default for a missing one', async () => {
    const r = await runEngine({ hosts: 1, playbook: play("{{ lookup('vars', prefix ~ '_port') }} {{ lookup('vars', 'nope', default='d') }}") });
    expect(calls(r, 'show')[0]?.params.echo).toBe('8080 d');
  });

  it('a missing file fails the task, naming where it looked', async () => {
    const r = await runEngine({ hosts: 1, playbook: play("{{ lookup('file', 'absent.txt') }}") });
    expect(outcome(r, 'show', 'h1').status).toBe('failed');
    expect(JSON.stringify(outcome(r, 'show', 'h1'))).toMatch(/file not found: 'absent\.txt'/);
  });

  it('a plugin runbook does not have is refused where it is written, before any run', () => {
    expect(() => checkTemplate("{{ lookup('password', '/tmp/pw') }}", { pos: { file: 'p.yml', line: 4, col: 10 } })).toThrow(
      /^p\.yml:4:20: lookup plugin 'password' is not supported \(runbook has: env, file, vars\)/,
    );
    expect(() => checkTemplate("{{ query('fileglob', '*.txt') }}")).toThrow(/lookup plugin 'fileglob' is not supported/);
  });
});
