#!/usr/bin/env node
// `npm run bench`: the side-by-side benchmark at 3 and 10 hosts, then bench/RESULTS.md.
//
// Runs bench/playbook-bench.mjs once per fleet size (it brings the fleet up itself, builds
// runbook, installs ansible-core / ansible-mitogen / GNU time with apt when missing), each
// round interleaving runbook (first run on clean hosts, rerun, --check), the raw floor and
// ansible-playbook (pipelining; then mitogen once), and compares the files left on the hosts.
// At 10 hosts it also measures runbook's no-change rerun over 50 and 200 inventory entries
// that share the 10 sshd containers. Then bench/startup.mjs: start-up against a bare node.
//
// Environment:
//   BENCH_RUNS=N     rounds per fleet size (default 3)
//   BENCH_QUICK=1    smoke: 3 hosts, 1 round, no mitogen, 50 inventory entries only
//   BENCH_BUDGET=S   seconds per fleet size (default 900)
//   BENCH_NO_BUILD=1 measure the current dist/ (no build first)
//   BENCH_REPORT_ONLY=1 only rewrite RESULTS.md from the last run's results/latest-N.json
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const HERE = path.dirname(fileURLToPath(import.meta.url));
const ROOT = path.resolve(HERE, '..');
const QUICK = process.env.BENCH_QUICK === '1';
const RUNS = QUICK ? 1 : Number(process.env.BENCH_RUNS ?? 3);
const BUDGET = Number(process.env.BENCH_BUDGET ?? 900);
if (!Number.isInteger(RUNS) || RUNS < 1) {
  console.error(`BENCH_RUNS must be a positive integer, got ${process.env.BENCH_RUNS}`);
  process.exit(1);
}

const plans = QUICK
  ? [{ hosts: 3, args: ['--extras', '', '--inventory-hosts', '50'] }]
  : [
      { hosts: 3, args: ['--extras', 'mitogen'] },
      { hosts: 10, args: ['--extras', 'mitogen,default,default-rerun', '--inventory-hosts', '50,200'] },
    ];

const results = [];
let failed = false;
let built = process.env.BENCH_NO_BUILD === '1'; // BENCH_NO_BUILD=1: measure the current dist/
const REPORT_ONLY = process.env.BENCH_REPORT_ONLY === '1'; // rewrite RESULTS.md from results/latest-N.json
for (const p of plans) {
  if (REPORT_ONLY) {
    const saved = path.join(HERE, 'results', `latest-${p.hosts}.json`);
    if (fs.existsSync(saved)) results.push(JSON.parse(fs.readFileSync(saved, 'utf8')));
    continue;
  }
  const argv = [path.join(HERE, 'playbook-bench.mjs'), '--hosts', String(p.hosts), '--rounds', String(RUNS), '--budget', String(BUDGET), ...p.args];
  if (built) argv.push('--no-build');
  console.log(`\n=== ${p.hosts} hosts: node ${path.relative(ROOT, argv[0])} ${argv.slice(1).join(' ')}`);
  const r = spawnSync(process.execPath, argv, { cwd: ROOT, stdio: 'inherit' });
  built = true;
  if (r.status !== 0) failed = true;
  const latest = path.join(HERE, 'results', 'latest.json');
  if (!fs.existsSync(latest)) {
    console.error(`bench: no results for ${p.hosts} hosts`);
    failed = true;
    continue;
  }
  const res = JSON.parse(fs.readFileSync(latest, 'utf8'));
  fs.copyFileSync(latest, path.join(HERE, 'results', `latest-${p.hosts}.json`));
  results.push(res);
}
if (results.length === 0) process.exit(1);

// Start-up, once runbook is built: no fleet, side by side with a bare node process.
const startupFile = path.join(HERE, 'results', 'startup.json');
if (!REPORT_ONLY) {
  console.log(`\n=== start-up: node bench/startup.mjs --rounds ${QUICK ? 5 : 15}`);
  const r = spawnSync(process.execPath, [path.join(HERE, 'startup.mjs'), '--rounds', String(QUICK ? 5 : 15)], { cwd: ROOT, stdio: 'inherit' });
  if (r.status !== 0) failed = true;
}
const startup = fs.existsSync(startupFile) ? JSON.parse(fs.readFileSync(startupFile, 'utf8')) : undefined;

const fmt = (x) => (x == null ? '' : x < 10 ? x.toFixed(2) : x.toFixed(1));
const ratio = (a, b) => (a && b ? `${(a / b).toFixed(a / b < 10 ? 2 : 1)}×` : '');

function table(res) {
  const w = res.ways;
  const med = (k) => w[k]?.wall_s?.median;
  const fl = w['floor-ssh2'] ? 'floor-ssh2' : 'floor';
  const rows = ['| way | median wall (min–max), n | ratio | peak RSS | CPU |', '| --- | --- | --- | --- | --- |'];
  for (const [key, s] of Object.entries(w)) {
    let r = '';
    if (key.startsWith('floor-inv')) r = `${key.slice('floor-inv'.length)}-entry floor`;
    else if (key.startsWith('floor')) r = `${ratio(med(key), med(fl))} of ssh2 floor`;
    else if (key.startsWith('runbook-inv')) {
      const n = key.slice('runbook-inv'.length);
      r = w[`floor-inv${n}`] ? `${ratio(med(key), med(`floor-inv${n}`))} of the ${n}-entry floor` : `${ratio(med(key), med('runbook-rerun'))} of ${res.settings.hosts}-host rerun`;
    }
    else if (key.startsWith('runbook')) r = `${ratio(med(key), med(fl))} of ssh2 floor`;
    else r = `${ratio(med(key), med(key.endsWith('rerun') ? 'runbook-rerun' : 'runbook-first'))} of runbook`;
    const range = s.wall_s.n > 1 ? ` (${fmt(s.wall_s.min)}–${fmt(s.wall_s.max)})` : '';
    rows.push(
      `| ${s.label} | ${fmt(s.wall_s.median)} s${range}, ${s.wall_s.n} | ${r} | ${s.max_rss_mib != null ? `${s.max_rss_mib.toFixed(0)} MiB${key.startsWith('runbook') || key.startsWith('floor') ? '' : '*'}` : ''} | ${s.cpu_s_median != null ? `${fmt(s.cpu_s_median)} s` : ''} |`,
    );
  }
  return rows.join('\n');
}

const m = results[0].machine;
const out = [
  '# Benchmark results',
  '',
  `Written by \`npm run bench\` (bench/run.mjs) on ${results[0].date.slice(0, 16).replace('T', ' ')} UTC${QUICK ? ' in quick mode (BENCH_QUICK=1)' : ''}.`,
  '',
  `Machine: ${m.cpus} CPUs (${m.cpu_model}), ${m.mem_gib} GiB, ${os.type()} ${os.release()}, Node ${m.node}, ${m.ansible ?? 'ansible-playbook ?'}, ansible-mitogen ${m.ansible_mitogen ?? 'not installed'}.`,
  'The fleet is sshd containers on the same machine: the hosts\' work competes for the same CPUs, and other',
  'work ran on the machine at the same time; read the numbers as ranges. Ways are interleaved per round.',
  'Ratios: runbook rows against the raw floor over ssh2 (a node process, one ssh2 connection per host), ansible rows as ansible/runbook (first run vs first run,',
  'rerun vs rerun). Peak RSS: the runbook process; * the largest single ansible process.',
  '',
];
if (startup) {
  const node = startup.ways.find((w) => w.key === 'node').median_s;
  out.push(`## Start-up (measured ${startup.date.slice(11, 16)} UTC, ${startup.ways[0].n} interleaved rounds, no fleet)`, '');
  out.push('| command | median wall (min–max) | ratio |', '| --- | --- | --- |');
  for (const w of startup.ways) out.push(`| ${w.label} | ${w.median_s.toFixed(3)} s (${w.min_s.toFixed(3)}–${w.max_s.toFixed(3)}) | ${(w.median_s / node).toFixed(1)}× bare node |`);
  out.push('');
}
for (const res of results) {
  out.push(`## ${res.settings.hosts} hosts, ${res.settings.rounds} round(s), ${res.settings.forks} forks (measured ${res.date.slice(11, 16)} UTC, load average ${res.machine.loadavg_start[0]} → ${res.machine.loadavg_end[0]})`, '');
  out.push(table(res), '');
  for (const l of res.headline) out.push(`- ${l}`);
  const same = res.verification.filter((v) => v.what === 'runbook vs ansible-playbook');
  out.push(`- same files on every host, runbook vs ansible-playbook (path, type, mode, owner, link target, sha256 of /srv/bench): ${same.length && same.every((v) => v.same) ? 'yes' : 'NO'}`);
  const v = same[same.length - 1];
  if (v) {
    out.push('', `Listing of /srv/bench on the first host after runbook's first run (sha256 of the listing ${v.tree_sha256.slice(0, 16)}…, equal to ansible-playbook's on every host: ${v.same ? 'yes' : 'NO'}):`, '', '```', v.listing.trim(), '```', '');
  }
  for (const n of res.notes) out.push(`- note: ${n}`);
  for (const p of res.problems) out.push(`- PROBLEM: ${p}`);
  out.push('');
}
fs.writeFileSync(path.join(HERE, 'RESULTS.md'), `${out.join('\n')}`);
console.log(`\nwrote ${path.relative(ROOT, path.join(HERE, 'RESULTS.md'))}`);
process.exit(failed ? 1 : 0);
