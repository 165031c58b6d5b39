#!/usr/bin/env node
// Start-up: `runbook play --syntax-check` of the bench playbook against a bare node process
// (and ansible-playbook --syntax-check when installed), interleaved, N rounds, medians.
// No fleet. Prints a JSON summary on the last line; bench/run.mjs puts it in RESULTS.md.
//   node bench/startup.mjs [--rounds N]   (build first: npm run build)
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const HERE = path.dirname(fileURLToPath(import.meta.url));
const ROOT = path.resolve(HERE, '..');
const at = process.argv.indexOf('--rounds');
const ROUNDS = at > 0 ? Number(process.argv[at + 1]) : 15;
const BIN = path.join(ROOT, 'bin', 'runbook.js');
const PLAYBOOK = path.join(HERE, 'workload', 'site.yml');

const ways = [
  { key: 'node', label: 'bare node process (`node -e 0`)', cmd: [process.execPath, '-e', '0'] },
  { key: 'runbook-syntax', label: 'runbook play --syntax-check (bench playbook)', cmd: [process.execPath, BIN, 'play', PLAYBOOK, '--syntax-check', '-i', 'local'] },
  { key: 'runbook-version', label: 'runbook --version', cmd: [process.execPath, BIN, '--version'] },
];
const hasAnsible = spawnSync('sh', ['-c', 'command -v ansible-playbook'], { encoding: 'utf8' }).status === 0;
if (hasAnsible) ways.push({ key: 'ansible-syntax', label: 'ansible-playbook --syntax-check (same workload)', cmd: ['ansible-playbook', '-i', 'localhost,', '--syntax-check', PLAYBOOK] });

const times = Object.fromEntries(ways.map((w) => [w.key, []]));
for (let r = 0; r < ROUNDS; r++) {
  for (const w of ways) {
    const t = process.hrtime.bigint();
    const res = spawnSync(w.cmd[0], w.cmd.slice(1), { cwd: ROOT, encoding: 'utf8', env: { ...process.env, ANSIBLE_NOCOWS: '1' } });
    const s = Number(process.hrtime.bigint() - t) / 1e9;
    if (res.status !== 0) {
      console.error(`${w.label}: exit ${res.status}\n${res.stdout}${res.stderr}`);
      process.exit(1);
    }
    times[w.key].push(s);
  }
}
const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};
const summary = ways.map((w) => ({ key: w.key, label: w.label, median_s: median(times[w.key]), min_s: Math.min(...times[w.key]), max_s: Math.max(...times[w.key]), n: ROUNDS }));
const node = summary.find((s) => s.key === 'node').median_s;
for (const s of summary) console.log(`${s.label.padEnd(50)} ${s.median_s.toFixed(3)} s (${s.min_s.toFixed(3)}–${s.max_s.toFixed(3)}), ${(s.median_s / node).toFixed(1)}× bare node`);
if (fs.existsSync(path.join(HERE, 'results'))) fs.writeFileSync(path.join(HERE, 'results', 'startup.json'), JSON.stringify({ date: new Date().toISOString(), ways: summary }, null, 2));
