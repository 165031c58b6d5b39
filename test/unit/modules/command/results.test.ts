import { describe, expect, it } from 'vitest';
import commandModule, { commandArgv, commandInvocation } from '../../../../modules/command.js';
import shellModule, { shellInvocation } from '../../../../modules/shell.js';
import { FakeTransport } from '../../../support/fake-transport.js';
import { makeModuleContext } from '../../../support/module-context.js';

function ctxWith(t: FakeTransport, become?: { user?: string }) {
  return makeModuleContext({ transport: t, become });
}

describe('command/shell results', () => {
  it('strips trailing newlines (\\n and \\r\\n) and splits lines, as Ansible does', async () => {
    const t = new FakeTransport().on('echo', { stdout: 'a\r\nb\n\n', stderr: 'warn\n' });
    const plan = await commandModule.plan(ctxWith(t), { cmd: 'echo x' });
    const r = await commandModule.apply(ctxWith(t), { cmd: 'echo x' }, plan);
    expect(r).toMatchObject({ changed: true, failed: false });
    expect(r.result).toMatchObject({
      rc: 0,
      stdout: 'a\r\nb',
      stdout_lines: ['a', 'b'],
      stderr: 'warn',
      stderr_lines: ['warn'],
      cmd: ['echo', 'x'],
      msg: '',
    });
    expect(r.result?.start).toMatch(/^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d\.\d{6}$/);
    expect(r.result?.delta).toMatch(/^\d+:\d\d:\d\d\.\d{6}$/);
  });

  it('a non-zero exit fails with "non-zero return code"; a signal with its name', async () => {
    const t = new FakeTransport().once('false', { exitCode: 1 }).once('sleep', { exitCode: null, signal: 'SIGKILL' });
    const f = await commandModule.apply(ctxWith(t), { cmd: 'false' }, { changes: [] });
    expect(f).toMatchObject({ failed: true, msg: 'non-zero return code', result: { rc: 1, stdout_lines: [] } });
    const k = await shellModule.apply(ctxWith(t), { cmd: 'sleep 99' }, { changes: [] });
    expect(k).toMatchObject({ failed: true, msg: 'killed by signal SIGKILL', result: { rc: -1 } });
  });

  it('feeds stdin with a newline unless told not to; runs with the task become', async () => {
    const t = new FakeTransport();
    await commandModule.apply(ctxWith(t, { user: 'root' }), { cmd: 'cat', stdin: 'x' }, { changes: [] });
    await commandModule.apply(ctxWith(t), { cmd: 'cat', stdin: 'y', stdin_add_newline: false }, { changes: [] });
    expect(t.calls.map((c) => c.opts?.stdin)).toEqual(['x\n', 'y']);
    expect(t.calls[0].opts?.become).toEqual({ user: 'root' });
    expect(t.calls[1].opts?.become).toBeUndefined();
  });

  it('plans without a round trip unless creates/removes ask', async () => {
    const t = new FakeTransport();
    t.strict = true;
    const plan = await commandModule.plan(ctxWith(t), { argv: ['rm', '-rf', '/x y'] });
    expect(plan).toEqual({ changes: [{ field: 'command', after: "rm -rf '/x y'" }], summary: "run: rm -rf '/x y'" });
    expect(t.calls).toEqual([]);
  });

  it('creates/removes guard args are values, never script text', async () => {
    const t = new FakeTransport().on(() => true, { stdout: 'creates 0\nremoves 1\n' });
    const nasty = `/tmp/$(touch pwned) 'x' "y"`;
    await shellModule.plan(ctxWith(t), { cmd: 'true', creates: nasty, removes: '~/x*', chdir: 'a b' });
    expect(t.calls).toHaveLength(1);
    expect(t.calls[0].args).toEqual(['a b', nasty, '~/x*']);
    expect(t.calls[0].script).not.toContain('pwned');
  });

  it('builds invocations', () => {
    expect(commandArgv({ cmd: `a 'b c' "d\\"e"` })).toEqual(['a', 'b c', 'd"e']);
    expect(commandInvocation({ argv: ['ls', '-l'] })).toEqual(['ls', '-l']);
    expect(commandInvocation({ argv: ['ls'], chdir: '/x y' })).toEqual({
      script: 'cd -- "$1" || exit 1\nshift\nexec "$@"',
      args: ['/x y', 'ls'],
    });
    expect(shellInvocation({ cmd: 'echo $1' })).toEqual({ script: 'echo $1' });
    expect(shellInvocation({ cmd: 'echo', executable: '/bin/bash' })).toEqual(['/bin/bash', '-c', 'echo']);
    expect(() => commandArgv({ cmd: '   ' })).toThrow(/no command given/);
  });
});
