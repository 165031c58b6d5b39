import { execFileSync } from 'node:child_process';
import { mkdtempSync, mkdirSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { commandArgv, commandLine, quote, quoteArgv, shellLine, timeoutArgv } from '../../../src/transport/quote.js';
import { CORPUS } from './corpus.js';

/** Run a command string the way sshd does: the login shell's `-c`. */
function shell(sh: string, line: string, env?: Record<string, string>): Buffer {
  return execFileSync(sh, ['-c', line], { env: { ...process.env, ...env }, maxBuffer: 1 << 24 });
}

const shells = ['sh', 'bash'].filter((s) => {
  try {
    execFileSync(s, ['-c', 'true']);
    return true;
  } catch {
    return false;
  }
});

const tmp = mkdtempSync(path.join(os.tmpdir(), 'quote-test-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

describe('quote', () => {
  it('leaves inert words bare', () => {
    for (const w of ['abc', '/usr/bin/env', 'a-b_c.d', 'x@y:1', '+x', '%s', 'a,b']) expect(quote(w)).toBe(w);
  });

  it('single-quotes everything else', () => {
    expect(quote('')).toBe("''");
    expect(quote('a b')).toBe("'a b'");
    expect(quote("it's")).toBe("'it'\\''s'");
    expect(quote('$(id)')).toBe("'$(id)'");
    expect(quote('~')).toBe("'~'");
    expect(quote('x=1')).toBe("'x=1'");
    expect(quote('a\nb')).toBe("'a\nb'");
  });

  it('refuses NUL bytes and non-strings', () => {
    expect(() => quote('a\0b')).toThrow(/NUL/);
    expect(() => quote(1 as unknown as string)).toThrow(TypeError);
  });

  for (const sh of shells) {
    it(`every corpus entry survives ${sh} -c byte-exact`, () => {
      const out = shell(sh, `printf '%s\\0' ${quoteArgv(CORPUS)}`);
      expect(out.toString('utf8').split('\0').slice(0, -1)).toEqual(CORPUS);
    });

    it(`commandLine round-trips argv, script args and env through ${sh}`, () => {
      const viaArgv = shell(sh, commandLine(['printf', '%s\\0', ...CORPUS]));
      expect(viaArgv.toString('utf8').split('\0').slice(0, -1)).toEqual(CORPUS);
      const viaScript = shell(sh, commandLine({ script: 'printf "%s\\0" "$@"', args: CORPUS }));
      expect(viaScript.toString('utf8').split('\0').slice(0, -1)).toEqual(CORPUS);
      const env = Object.fromEntries(CORPUS.map((v, i) => [`V${i}`, v]));
      const script = CORPUS.map((_, i) => `printf '%s\\0' "$V${i}"`).join('\n');
      const viaEnv = shell(sh, commandLine({ script }, { env }));
      expect(viaEnv.toString('utf8').split('\0').slice(0, -1)).toEqual(CORPUS);
    });
  }

  it('commandLine runs argv[0] as a program, never a keyword, function or assignment', () => {
    expect(commandLine(['if'])).toBe('exec if');
    expect(() => shell('sh', commandLine(['a=b']))).toThrow();
    expect(shell('bash', `true() { echo function; }; ${commandLine(['true'])}`).toString()).toBe('');
  });

  it('applies cwd with cd, failing when the folder is missing', () => {
    const dir = path.join(tmp, "we'ird dir $(x)\nline");
    mkdirSync(dir);
    expect(commandLine(['pwd'], { cwd: '/srv' })).toBe('cd -- /srv && exec pwd');
    expect(shell('sh', commandLine(['pwd', '-P'], { cwd: dir })).toString()).toBe(`${dir}\n`);
    expect(() => shell('sh', `${commandLine(['echo', 'ran'], { cwd: path.join(tmp, 'missing') })} 2>/dev/null`)).toThrow();
  });

  it('builds sudo prefixes for become, skipped for the login user', () => {
    expect(commandLine(['id'], { become: {} })).toBe('exec sudo -n -- id');
    expect(commandLine(['id'], { become: { user: 'root' }, loginUser: 'deploy' })).toBe('exec sudo -n -- id');
    expect(commandLine(['id'], { become: { user: 'www-data' }, loginUser: 'root' })).toBe(
      'exec sudo -n -H -u www-data -- id',
    );
    expect(commandLine(['id'], { become: {}, loginUser: 'root' })).toBe('exec id');
    expect(commandLine(['id'], { become: { user: 'deploy' }, loginUser: 'deploy' })).toBe('exec id');
    expect(() => commandLine(['id'], { become: { user: '-x' } })).toThrow(/become user/);
  });

  it('orders sudo → timeout → cd → env → command', () => {
    expect(
      commandArgv(['ls', 'a b'], { become: { user: 'app' }, cwd: '/srv/x y', env: { A: '1 2' }, timeoutMs: 1500 }),
    ).toEqual([
      'sudo', '-n', '-H', '-u', 'app', '--',
      'timeout', '-k', '2', '1.5',
      'sh', '-c', 'cd -- "$1" || exit 1; shift; exec "$@"', 'sh', '/srv/x y',
      'env', 'A=1 2',
      'ls', 'a b',
    ]);
    expect(commandLine(['ls'], { become: {}, cwd: '/srv' })).toBe(
      `exec sudo -n -- sh -c 'cd -- "$1" || exit 1; shift; exec "$@"' sh /srv ls`,
    );
    expect(commandLine({ script: 'echo "$1"', args: ['x y'] }, { env: { K: 'v' } })).toBe(
      `exec env 'K=v' sh -c 'echo "$1"' sh 'x y'`,
    );
  });

  it('cd wrapper under become works in a real shell (as the current user)', () => {
    const argv = commandArgv(['pwd'], { cwd: tmp });
    expect(execFileSync(argv[0]!, argv.slice(1)).toString()).toBe(`${tmp}\n`);
  });

  it('validates environment names', () => {
    expect(() => commandLine(['true'], { env: { 'BAD-NAME': 'x' } })).toThrow(/variable name/);
    expect(() => commandLine(['true'], { env: { '1X': 'x' } })).toThrow(/variable name/);
    expect(() => commandLine(['true'], { env: { 'A=B': 'x' } })).toThrow(/variable name/);
  });

  it('formats timeouts in seconds', () => {
    expect(timeoutArgv(undefined)).toEqual([]);
    expect(timeoutArgv(1000)).toEqual(['timeout', '-k', '2', '1']);
    expect(timeoutArgv(250)).toEqual(['timeout', '-k', '2', '0.25']);
    expect(timeoutArgv(90_000)).toEqual(['timeout', '-k', '2', '90']);
    expect(() => timeoutArgv(0)).toThrow();
  });

  it('rejects empty commands', () => {
    expect(() => commandLine([])).toThrow(/at least one/);
  });
});

describe('shellLine', () => {
  const own = { script: 'printf "%s|" "$@"; echo "$#"', args: ["it's", 'two words', '$HOME'], inline: true } as const;

  it('runs an inline script in place, with its arguments set first', () => {
    expect(shellLine(own)).toBe(`set -- 'it'\\''s' 'two words' '$HOME'\nprintf "%s|" "$@"; echo "$#"\n`);
    expect(shellLine({ script: 'echo x\n', inline: true })).toBe('set --\necho x\n');
    // the same output as its sh -c form, inside a subshell of a real sh
    const inSh = execFileSync('sh', ['-c', `set -- outer; (${shellLine(own)}) </dev/null`], { encoding: 'utf8' });
    const alone = execFileSync('sh', ['-c', commandLine(own)], { encoding: 'utf8' });
    expect(inSh).toBe("it's|two words|$HOME|3\n");
    expect(inSh).toBe(alone);
  });

  it('keeps the sh -c form for a user’s script and for anything wrapped', () => {
    const user = { script: 'echo "$1"', args: ['x'] };
    expect(shellLine(user)).toBe(commandLine(user));
    expect(shellLine(own, { become: { user: 'deploy' }, loginUser: 'ops' })).toBe(commandLine(own, { become: { user: 'deploy' }, loginUser: 'ops' }));
    expect(shellLine(own, { timeoutMs: 1000 })).toBe(commandLine(own, { timeoutMs: 1000 }));
    expect(shellLine(own, { cwd: '/srv' })).toBe(commandLine(own, { cwd: '/srv' }));
    expect(shellLine(own, { env: { A: '1' } })).toBe(commandLine(own, { env: { A: '1' } }));
    expect(shellLine(own, { become: { user: 'ops' }, loginUser: 'ops' }).startsWith('set -- ')).toBe(true);
    expect(shellLine(['ls', '-l'])).toBe('exec ls -l');
  });
});
