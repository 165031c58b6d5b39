import { execFile } from 'node:child_process';
import { cpSync, readFileSync, symlinkSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { REPO, scratch } from '../support/cli.js';

/*
 * Every command the README shows in a ```sh block runs here, in order, as a reader would type
 * it: `npx runbook` is this checkout's CLI, the working folder is a copy of playbooks/ and
 * inventories/, and the fleet commands act on a fleet of their own ("readme") so the suite's
 * fleet is left alone. A command exits 0 unless its comment says "(exit N)". `npm ci` and
 * `npm test` are what .ci/run itself runs, so CI proves them.
 */

interface ReadmeCommand {
  line: number;
  text: string;
  expectExit: number;
}

/** Split a shell line into command and trailing comment (a # outside quotes, after a space). */
function splitComment(s: string): { cmd: string; comment: string } {
  let quote = '';
  for (let i = 0; i < s.length; i++) {
    const c = s[i];
    if (quote) {
      if (c === quote) quote = '';
    } else if (c === '"' || c === "'") quote = c;
    else if (c === '#' && (i === 0 || /\s/.test(s[i - 1]))) return { cmd: s.slice(0, i).trim(), comment: s.slice(i + 1).trim() };
  }
  return { cmd: s.trim(), comment: '' };
}

export function readmeCommands(text: string): ReadmeCommand[] {
  const out: ReadmeCommand[] = [];
  let inBlock = false;
  text.split('\n').forEach((raw, i) => {
    if (/^```sh\s*$/.test(raw)) inBlock = true;
    else if (/^```/.test(raw)) inBlock = false;
    else if (inBlock) {
      const { cmd, comment } = splitComment(raw);
      if (!cmd) return;
      const m = /\(exit (\d+)\)/.exec(comment);
      out.push({ line: i + 1, text: cmd, expectExit: m ? Number(m[1]) : 0 });
    }
  });
  return out;
}

const CI_ITSELF = new Set(['npm ci', 'npm test']);

function toRunnable(cmd: string): string {
  return cmd
    .split('&&')
    .map((part) => part.trim())
    .filter((part) => !CI_ITSELF.has(part))
    .map((part) =>
      part
        .replace(/^npx runbook\b/, `node '${path.join(REPO, 'bin/runbook.js')}'`)
        .replace(/^node test\/fleet\/cli\.mjs (up|down|status)\b(.*)$/, `node '${path.join(REPO, 'test/fleet/cli.mjs')}' $1$2 --name readme`)
        .replace(/^node test\/fleet\/cli\.mjs ssh (\S+)/, `node '${path.join(REPO, 'test/fleet/cli.mjs')}' ssh $1 --name readme`)
        .replace(/\.fleet\/test\//g, '.fleet/readme/'),
    )
    .join(' && ');
}

function sh(cmd: string, cwd: string, env: Record<string, string>): Promise<{ code: number; out: string }> {
  return new Promise((resolve) => {
    execFile('bash', ['-c', cmd], { cwd, env: { ...process.env, NO_COLOR: '1', ...env }, timeout: 240_000, maxBuffer: 32 << 20 }, (err, stdout, stderr) => {
      const code = err ? (typeof (err as { code?: unknown }).code === 'number' ? ((err as { code: number }).code) : 1) : 0;
      resolve({ code, out: `${stdout}${stderr}` });
    });
  });
}

describe('README commands', () => {
  const readme = readFileSync(path.join(REPO, 'README.md'), 'utf8');
  const commands = readmeCommands(readme);

  it('finds the commands (the two README commands among them)', () => {
    expect(commands.length).toBeGreaterThan(10);
    expect(commands[0].text).toBe('npm ci && npx runbook play playbooks/site.yml -i local');
    expect(readFileSync(path.join(REPO, '.ci/run'), 'utf8')).toMatch(/^npm ci\nnpm test\n?$/m);
  });

  it('each runs as shown, with the exit code the README gives', async () => {
    const dir = scratch({});
    for (const d of ['playbooks', 'inventories']) cpSync(path.join(REPO, d), path.join(dir, d), { recursive: true });
    symlinkSync(path.join(REPO, '.fleet'), path.join(dir, '.fleet'));
    const env = { RUNBOOK_HOME: path.join(dir, '.runbook-home') };
    const failures: string[] = [];
    try {
      for (const c of commands) {
        const runnable = toRunnable(c.text);
        if (!runnable) continue;
        const r = await sh(runnable, dir, env);
        if (r.code !== c.expectExit) failures.push(`README.md:${c.line}: \`${c.text}\` exited ${r.code}, expected ${c.expectExit}\n${r.out.slice(-1500)}`);
      }
    } finally {
      await sh(`node '${path.join(REPO, 'test/fleet/cli.mjs')}' down --name readme`, dir, env);
    }
    expect(failures.join('\n\n')).toBe('');
  }, 900_000);
});
