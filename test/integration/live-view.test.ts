import { execFileSync } from 'node:child_process';
import { existsSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, inject, it } from 'vitest';
import { ssh } from '../fleet/fleet.mjs';
import { REPO, scratch } from '../support/cli.js';

// The live view as a user sees it: the CLI in a real terminal (tmux), the screen read back
// with capture-pane once the run has ended.
const fleet = inject('fleet');
const BIN = path.join(REPO, 'bin/runbook.js');

const PLAY = `
- name: Live view
  hosts: web
  tasks:
    - name: Work folder
      file: { path: /srv/live, state: directory, mode: "0755" }
    - name: Greeting
      copy: { dest: /srv/live/greeting, content: "hello {{ inventory_hostname }}\\n" }
    - name: Slow step
      command: sleep 2
      changed_when: false
`;

function tmux(...args: string[]): string {
  return execFileSync('tmux', ['-L', 'runbook-live-test', ...args], { encoding: 'utf8' });
}

/** Run the CLI in a fresh 120x40 terminal; returns the screen (with escapes when `escapes`). */
function runInTerminal(args: string[], env: Record<string, string>, escapes: boolean, during?: RegExp): { screen: string; code: number; seen?: string } {
  const session = `live${process.pid}${Math.floor(Math.random() * 1e6)}`;
  const dir = scratch({});
  const codeFile = path.join(dir, 'code');
  const envs = Object.entries({ RUNBOOK_HOME: dir, ...env }).map(([k, v]) => `${k}='${v}'`).join(' ');
  const cmd = `cd '${REPO}' && env -u CI -u NO_COLOR ${envs} TERM=xterm-256color node '${BIN}' ${args.map((a) => `'${a}'`).join(' ')}; echo $? > '${codeFile}'; tmux -L runbook-live-test wait-for -S ${session}`;
  tmux('new-session', '-d', '-s', session, '-x', '120', '-y', '40', 'bash', '--norc', '-c', `${cmd}; sleep 30`);
  try {
    // While it runs: poll the screen for what the live rows should show.
    let seen: string | undefined;
    for (const until = Date.now() + 90_000; during && !seen && Date.now() < until && !existsSync(codeFile); ) {
      const now = tmux('capture-pane', '-p', '-t', session);
      if (during.test(now)) seen = now;
      else execFileSync('sleep', ['0.05']);
    }
    execFileSync('timeout', ['120', 'tmux', '-L', 'runbook-live-test', 'wait-for', session]);
    const screen = tmux('capture-pane', '-p', ...(escapes ? ['-e'] : []), '-S', '-200', '-t', session);
    return { screen, seen, code: Number(execFileSync('cat', [codeFile], { encoding: 'utf8' }).trim()) };
  } finally {
    tmux('kill-session', '-t', session);
  }
}

describe('live view in a real terminal', () => {
  const dir = scratch({});
  const playbook = path.join(dir, 'live.yml');
  writeFileSync(playbook, PLAY);

  it('shows each task, colourised diffs and the recap table, then exits', async () => {
    for (const h of ['h1', 'h2', 'h3']) await ssh(fleet, h, 'rm -rf /srv/live');
    const running = /^\S h1 +changed 2 ▸ Slow step \(task 3, [\d.]+m?s\)$/m;
    const { screen, code, seen } = runInTerminal(['play', playbook, '-i', fleet.inventoryPath, '--diff'], {}, true, running);
    expect(code).toBe(0);
    // While running: one row per host with its tallies, the task it is on, its number and elapsed time.
    expect(seen, 'no live row like "⠋ h1  changed 2 ▸ Slow step (task 3, 1.2s)" was seen').toBeDefined();
    expect(seen).toMatch(/^\S h3 +changed \d/m);
    const plain = screen.replace(/\x1b\[[0-9;]*m/g, '');
    expect(plain).toMatch(/PLAY Live view/i);
    expect(plain).toMatch(/changed .*Greeting/);
    expect(plain).toContain('+hello h1');
    expect(plain).toMatch(/^RECAP/m);
    for (const h of ['h1', 'h2', 'h3']) expect(plain).toMatch(new RegExp(`^${h} +\\d+ +\\d+ +0 +0 +0 +\\d`, 'm'));
    // Colour: added diff lines in green, the word changed in yellow (ANSI SGR codes).
    expect(screen).toMatch(/\x1b\[32m\+hello h1/);
    expect(screen).toMatch(/\x1b\[33m/);
  }, 150_000);

  it('NO_COLOR gives the same screen without any colour', () => {
    const { screen, code } = runInTerminal(['play', playbook, '-i', fleet.inventoryPath], { NO_COLOR: '1' }, true);
    expect(code).toBe(0);
    expect(screen).toMatch(/^RECAP/m);
    expect(screen).not.toMatch(/\x1b\[[0-9;]*m/);
  }, 150_000);
});

