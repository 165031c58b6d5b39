#!/usr/bin/env node
// runbook against ansible-playbook, side by side in one run, on the same fleet of real SSH
// hosts (test/fleet): the same 12-task + 1-handler workload (bench/workload/), written once
// for each tool. Measures the wall time of whole processes, repeats each way, and prints
// medians, ranges and ratios. It also checks that both tools leave the same files on every
// host and that reruns change nothing; it exits 1 when a run failed or the results differ.
//
//   node bench/playbook-bench.mjs [--hosts 10] [--rounds 3] [--forks 10] [--budget 540]
//                                 [--no-extras] [--no-build] [--down]
//
// Results: a table on stdout, bench/results/latest.json, and every process's output in
// bench/results/logs/. Traffic goes only to 127.0.0.1 and the fleet's containers.
// See bench/README.md.
import { spawn, spawnSync } from 'node:child_process';
import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import YAML from 'yaml';
import { ensurePrereqs } from '../test/fleet/prereqs.mjs';
import { ensureImages, run, ssh, sshArgs, startFleet, stopFleet } from '../test/fleet/fleet.mjs';

const HERE = path.dirname(fileURLToPath(import.meta.url));
const ROOT = path.resolve(HERE, '..');
const WORKLOAD = path.join(HERE, 'workload');
const RESULTS = path.join(HERE, 'results');
const LOGS = path.join(RESULTS, 'logs');
const FLEET_NAME = 'bench';
const REMOTE_ROOT = '/srv/bench';
const MITOGEN_STRATEGIES = '/usr/lib/python3/dist-packages/ansible_mitogen/plugins/strategy';
const PROCESS_TIMEOUT_MS = 300_000;

const { values: opt } = parseArgs({
  options: {
    hosts: { type: 'string', default: '10' },
    rounds: { type: 'string', default: '3' },
    forks: { type: 'string', default: '10' },
    budget: { type: 'string', default: '540' },
    'no-extras': { type: 'boolean', default: false },
    extras: { type: 'string', default: 'mitogen,default,facts,default-rerun' },
    'inventory-hosts': { type: 'string', default: '' },
    'no-build': { type: 'boolean', default: false },
    down: { type: 'boolean', default: false },
    help: { type: 'boolean', short: 'h', default: false },
  },
});
if (opt.help) {
  console.log(fs.readFileSync(fileURLToPath(import.meta.url), 'utf8').split('\n').slice(1, 13).map((l) => l.replace(/^\/\/ ?/, '')).join('\n'));
  process.exit(0);
}
const HOSTS = intOpt('hosts', 1, 64);
const ROUNDS = intOpt('rounds', 1, 20);
const FORKS = intOpt('forks', 1, 200);
const BUDGET_S = intOpt('budget', 30, 36_000);

function intOpt(name, min, max) {
  const n = Number(opt[name]);
  if (!Number.isInteger(n) || n < min || n > max) {
    console.error(`--${name} must be an integer ${min}..${max}, got ${opt[name]}`);
    process.exit(1);
  }
  return n;
}

const started = Date.now();
const elapsed = () => (Date.now() - started) / 1000;
const say = (msg) => process.stderr.write(`[bench ${elapsed().toFixed(0).padStart(3)} s] ${msg}\n`);
const problems = [];
const problem = (msg) => {
  problems.push(msg);
  say(`PROBLEM: ${msg}`);
};

// ---------------------------------------------------------------------------
// the ways measured

/** key -> what it is; `vs` names the runbook way its ratio is taken against. */
const WAYS = {
  'runbook-first': { label: 'runbook, first run (clean hosts)', vs: 'runbook-first' },
  'runbook-rerun': { label: 'runbook, rerun (nothing to change)', vs: 'runbook-rerun' },
  'runbook-check': { label: 'runbook --check (nothing to change)', vs: 'runbook-rerun' },
  floor: { label: 'raw floor: 13 shell commands, 1 ssh master per host', vs: 'runbook-first' },
  'floor-ssh2': { label: 'raw floor: 13 shell commands, 1 ssh2 connection per host, node process', vs: 'runbook-first' },
  'ansible-first': { label: 'ansible-playbook, pipelining + N forks, first run', vs: 'runbook-first' },
  'ansible-rerun': { label: 'ansible-playbook, pipelining + N forks, rerun', vs: 'runbook-rerun' },
  'mitogen-first': { label: 'ansible-playbook, mitogen_linear + N forks, first run', vs: 'runbook-first' },
  'mitogen-rerun': { label: 'ansible-playbook, mitogen_linear + N forks, rerun', vs: 'runbook-rerun' },
  'default-first': { label: 'ansible-playbook, default settings (5 forks), first run', vs: 'runbook-first' },
  'default-rerun': { label: 'ansible-playbook, default settings (5 forks), rerun', vs: 'runbook-rerun' },
  'facts-first': { label: 'ansible-playbook, default settings + fact gathering, first run', vs: 'runbook-first' },
};
// --inventory-hosts 50,200: many inventory entries sharing the fleet's sshd containers (runbook rerun).
const INVENTORY_SIZES = opt['inventory-hosts'].split(',').filter(Boolean).map((x) => {
  const n = Number(x);
  if (!Number.isInteger(n) || n < 1 || n > 5000) {
    console.error(`--inventory-hosts: integers 1..5000, got ${x}`);
    process.exit(1);
  }
  return n;
});
for (const n of INVENTORY_SIZES) {
  WAYS[`runbook-inv${n}`] = { label: `runbook, ${n} inventory hosts on ${HOSTS} sshd (converged; 3 host-named files rewritten per entry)`, vs: 'runbook-rerun' };
  WAYS[`floor-inv${n}`] = { label: `raw floor: 13 shell commands per entry, ${n} inventory hosts on ${HOSTS} sshd (a folder each), 1 ssh2 connection per entry, node process`, vs: `runbook-inv${n}` };
}
const EXTRAS = new Set(opt.extras.split(',').filter(Boolean));
for (const w of Object.values(WAYS)) w.label = w.label.replace('N forks', `${FORKS} forks`);
const measured = Object.fromEntries(Object.keys(WAYS).map((k) => [k, []]));

// ---------------------------------------------------------------------------
// setup: packages, fleet, build

function aptInstall(pkgs) {
  if (process.getuid?.() !== 0) throw new Error(`missing ${pkgs.join(' ')}; install as root: apt-get install ${pkgs.join(' ')}`);
  const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
  say(`apt-get install ${pkgs.join(' ')}`);
  spawnSync('apt-get', ['update', '-qq'], { stdio: ['ignore', 'ignore', 'inherit'], env });
  const r = spawnSync('apt-get', ['install', '-y', '-qq', '--no-install-recommends', ...pkgs], { stdio: ['ignore', 'ignore', 'inherit'], env });
  return r.status === 0;
}

const which = (cmd) => spawnSync('sh', ['-c', `command -v ${cmd}`], { encoding: 'utf8' }).stdout.trim() || null;

function ensureTools() {
  const want = [];
  if (!which('ansible-playbook')) want.push('ansible-core');
  if (!fs.existsSync(MITOGEN_STRATEGIES) && !opt['no-extras']) want.push('ansible-mitogen');
  if (!fs.existsSync('/usr/bin/time')) want.push('time');
  if (want.length > 0 && !aptInstall(want)) {
    // ansible-mitogen is optional: retry without it.
    const rest = want.filter((p) => p !== 'ansible-mitogen');
    if (rest.length > 0 && rest.length < want.length) aptInstall(rest);
  }
  if (!which('ansible-playbook')) throw new Error('ansible-playbook is not installed and could not be installed (apt-get install ansible-core)');
}

function versionOf(cmd, args) {
  const r = spawnSync(cmd, args, { encoding: 'utf8' });
  return r.status === 0 ? r.stdout.split('\n')[0].trim() : null;
}

function dpkgVersion(pkg) {
  const r = spawnSync('dpkg-query', ['-W', '-f', '${Version}', pkg], { encoding: 'utf8' });
  return r.status === 0 ? r.stdout.trim() : null;
}

// ---------------------------------------------------------------------------
// running a process and measuring it

let logSeq = 0;

/**
 * Runs argv to completion; wall time from spawn to exit in seconds. Under /usr/bin/time when
 * present, for peak RSS (KiB, largest single process of the tree) and user+sys CPU seconds.
 */
function timed(name, cmd, args, { cwd = ROOT, env = process.env } = {}) {
  const rusageFile = path.join(os.tmpdir(), `runbook-bench-${process.pid}-${++logSeq}.time`);
  const useTime = fs.existsSync('/usr/bin/time');
  const argv = useTime ? ['/usr/bin/time', '-f', '%M %U %S', '-o', rusageFile, cmd, ...args] : [cmd, ...args];
  return new Promise((resolve) => {
    const load = os.loadavg()[0];
    const t0 = performance.now();
    const child = spawn(argv[0], argv.slice(1), { cwd, env, stdio: ['ignore', 'pipe', 'pipe'] });
    const out = [];
    const err = [];
    child.stdout.on('data', (d) => out.push(d));
    child.stderr.on('data', (d) => err.push(d));
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      child.kill('SIGKILL');
    }, PROCESS_TIMEOUT_MS);
    child.on('error', (e) => err.push(Buffer.from(String(e))));
    child.on('close', (code, signal) => {
      const wall = (performance.now() - t0) / 1000;
      clearTimeout(timer);
      const stdout = Buffer.concat(out).toString();
      const stderr = Buffer.concat(err).toString();
      let maxRssKiB = null;
      let cpuS = null;
      try {
        const last = fs.readFileSync(rusageFile, 'utf8').trim().split('\n').pop() ?? '';
        const [rss, user, sys] = last.split(' ').map(Number);
        if (Number.isFinite(rss)) maxRssKiB = rss;
        if (Number.isFinite(user) && Number.isFinite(sys)) cpuS = Number((user + sys).toFixed(2));
      } catch {
        /* no rusage */
      }
      fs.rmSync(rusageFile, { force: true });
      const logFile = path.join(LOGS, `${name}.log`);
      fs.writeFileSync(logFile, `$ ${[cmd, ...args].join(' ')}\n# exit ${code ?? signal}${timedOut ? ' (timeout)' : ''}, ${wall.toFixed(2)} s\n\n${stdout}\n--- stderr ---\n${stderr}`);
      resolve({ code: code ?? -1, timedOut, wall, stdout, stderr, maxRssKiB, cpuS, load, logFile });
    });
  });
}

function record(way, round, res, extra = {}) {
  const entry = {
    round,
    wall_s: Number(res.wall.toFixed(3)),
    ok: res.ok,
    max_rss_kib: res.maxRssKiB,
    cpu_s: res.cpuS,
    load1: Number(res.load.toFixed(2)),
    ...extra,
  };
  measured[way].push(entry);
  say(`${WAYS[way].label}: ${res.wall.toFixed(2)} s${res.ok ? '' : '  FAILED'}${res.maxRssKiB ? `, peak RSS ${(res.maxRssKiB / 1024).toFixed(0)} MiB` : ''}`);
  return entry;
}

// ---------------------------------------------------------------------------
// runbook

const RUNBOOK_PLAYBOOK = path.join(WORKLOAD, 'site.yml');

/** An inventory of n entries h1..hn, entry i reaching the fleet's host (i-1) mod size. */
function wideInventory(fleet, n) {
  const text = fs.readFileSync(fleet.inventoryPath, 'utf8');
  const head = text.split('\n  children:')[0];
  const real = [...text.matchAll(/^ +(h\d+): (\{[^\n]*\})$/gm)];
  const byName = new Map(real.map((m) => [m[1], m[2]]));
  const names = fleet.hosts.map((h) => h.name);
  const lines = [];
  const hosts = [];
  for (let i = 1; i <= n; i++) {
    const base = names[(i - 1) % names.length];
    lines.push(`        w${i}: ${byName.get(base)}`);
    hosts.push({ name: `w${i}` });
  }
  const file = path.join(RESULTS, `inventory-${n}.yml`);
  fs.writeFileSync(file, `${head}\n  children:\n    fleet:\n      hosts:\n${lines.join('\n')}\n`);
  return { inventoryPath: file, hosts };
}

function parseJsonLines(text) {
  const events = [];
  for (const line of text.split('\n')) {
    if (!line.startsWith('{')) continue;
    try {
      events.push(JSON.parse(line));
    } catch {
      /* not an event */
    }
  }
  return events;
}

async function runRunbook(way, round, fleet, extraArgs, expect) {
  const res = await timed(`${way}-r${round}`, process.execPath, [
    path.join(ROOT, 'bin', 'runbook.js'), 'play', RUNBOOK_PLAYBOOK, '-i', fleet.inventoryPath,
    '--output', 'json', '--forks', String(FORKS), ...extraArgs,
  ]);
  const events = parseJsonLines(res.stdout);
  const summary = events.findLast((e) => e.type === 'summary');
  const tallies = summary?.hosts ? Object.values(summary.hosts) : [];
  const changed = tallies.reduce((n, t) => n + (t.changed ?? 0), 0);
  const bad = tallies.reduce((n, t) => n + (t.failed ?? 0) + (t.unreachable ?? 0), 0);
  res.ok = res.code === 0 && !!summary && summary.exit === 0 && bad === 0 && tallies.length === fleet.hosts.length;
  if (!res.ok) {
    const failures = events.filter((e) => e.type === 'task:done' && e.outcome && !['ok', 'changed', 'skipped'].includes(e.outcome.status));
    const first = failures[0];
    const why = first
      ? `task "${first.task?.name}" (${first.task?.pos?.file}:${first.task?.pos?.line}) on ${first.host}: ${first.outcome.status}: ${
          first.outcome.error?.message ?? first.outcome.msg ?? first.outcome.message ?? JSON.stringify(first.outcome).slice(0, 400)
        }`
      : `exit ${res.code}${res.timedOut ? ' (timeout)' : ''}: ${(res.stderr || res.stdout).trim().split('\n').slice(-8).join(' | ')}`;
    problem(`${WAYS[way].label} (round ${round}) failed: ${why} [log: ${path.relative(ROOT, res.logFile)}]`);
  } else if (expect === 'unchanged' && changed !== 0) {
    res.ok = false;
    problem(`${WAYS[way].label} (round ${round}) reported ${changed} changed task results; expected 0 [log: ${path.relative(ROOT, res.logFile)}]`);
  } else if (expect === 'changed' && changed === 0) {
    res.ok = false;
    problem(`${WAYS[way].label} (round ${round}) changed nothing on clean hosts [log: ${path.relative(ROOT, res.logFile)}]`);
  }
  return record(way, round, res, { changed });
}

// ---------------------------------------------------------------------------
// ansible-playbook

/** The environment without any inherited ANSIBLE_* setting, plus ours. */
function ansibleEnv(settings, controlDir) {
  const env = Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith('ANSIBLE_')));
  return {
    ...env,
    ANSIBLE_NOCOLOR: '1',
    ANSIBLE_RETRY_FILES_ENABLED: 'false',
    ANSIBLE_HOST_KEY_CHECKING: 'True', // the inventory points at the fleet's known_hosts, strict
    ANSIBLE_PYTHON_INTERPRETER: '/usr/bin/python3',
    ANSIBLE_SSH_CONTROL_PATH_DIR: controlDir, // every process starts without open connections
    ...settings,
  };
}

const ANSIBLE_SETTINGS = {
  ansible: { ANSIBLE_FORKS: String(FORKS), ANSIBLE_PIPELINING: 'True' },
  mitogen: { ANSIBLE_FORKS: String(FORKS), ANSIBLE_STRATEGY_PLUGINS: MITOGEN_STRATEGIES, ANSIBLE_STRATEGY: 'mitogen_linear' },
  default: {},
  facts: {},
};

function parseRecap(text) {
  const hosts = {};
  const re = /^(\S+)\s*:\s*ok=(\d+)\s+changed=(\d+)\s+unreachable=(\d+)\s+failed=(\d+)\s+skipped=(\d+)/gm;
  for (const m of text.matchAll(re)) {
    hosts[m[1]] = { ok: +m[2], changed: +m[3], unreachable: +m[4], failed: +m[5], skipped: +m[6] };
  }
  return hosts;
}

/** Closes the ssh ControlMaster processes a run left in its control dir (ControlPersist). */
async function closeMasters(controlDir) {
  let names = [];
  try {
    names = fs.readdirSync(controlDir);
  } catch {
    return;
  }
  await Promise.all(
    names.map((n) => run('ssh', ['-o', `ControlPath=${path.join(controlDir, n)}`, '-O', 'exit', 'x'], { allowFail: true, timeoutMs: 10_000 })),
  );
  fs.rmSync(controlDir, { recursive: true, force: true });
}

async function runAnsible(way, round, fleet, variant, playbook, expect) {
  const controlDir = fs.mkdtempSync(path.join(os.tmpdir(), 'runbook-bench-cp-'));
  const res = await timed(`${way}-r${round}`, 'ansible-playbook', ['-i', fleet.inventoryPath, playbook], {
    cwd: path.dirname(playbook),
    env: ansibleEnv(ANSIBLE_SETTINGS[variant], controlDir),
  });
  await closeMasters(controlDir);
  const recap = parseRecap(res.stdout);
  const tallies = Object.values(recap);
  const changed = tallies.reduce((n, t) => n + t.changed, 0);
  const bad = tallies.reduce((n, t) => n + t.failed + t.unreachable, 0);
  res.ok = res.code === 0 && bad === 0 && tallies.length === fleet.hosts.length;
  if (!res.ok) {
    const fatal = res.stdout.split('\n').find((l) => /^(fatal|failed):/.test(l));
    problem(`${WAYS[way].label} (round ${round}) failed: exit ${res.code}${fatal ? `: ${fatal.slice(0, 300)}` : ''} [log: ${path.relative(ROOT, res.logFile)}]`);
  } else if (expect === 'unchanged' && changed !== 0) {
    res.ok = false;
    problem(`${WAYS[way].label} (round ${round}) reported ${changed} changed; expected 0 [log: ${path.relative(ROOT, res.logFile)}]`);
  }
  return record(way, round, res, { changed });
}

/** site.yml with fact gathering on, in a temp folder beside copies of files/ and templates/. */
function factsPlaybook() {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'runbook-bench-facts-'));
  const text = fs.readFileSync(path.join(WORKLOAD, 'site.yml'), 'utf8');
  if (!/^ {2}gather_facts: false$/m.test(text)) throw new Error('bench/workload/site.yml has no "  gather_facts: false" line');
  fs.writeFileSync(path.join(dir, 'site.yml'), text.replace(/^ {2}gather_facts: false$/m, '  gather_facts: true'));
  for (const sub of ['files', 'templates']) fs.cpSync(path.join(WORKLOAD, sub), path.join(dir, sub), { recursive: true });
  return { playbook: path.join(dir, 'site.yml'), cleanup: () => fs.rmSync(dir, { recursive: true, force: true }) };
}

// ---------------------------------------------------------------------------
// the raw floor: the workload's effect as 13 plain shell commands per host, sequential over one
// OpenSSH ControlMaster connection per host, hosts in parallel, connect and disconnect included.

function workloadFacts() {
  const play = YAML.parse(fs.readFileSync(path.join(WORKLOAD, 'site.yml'), 'utf8'), { version: '1.1' })[0];
  const task = (name) => {
    const t = play.tasks.find((x) => x.name.startsWith(name));
    if (!t) throw new Error(`bench/workload/site.yml has no task "${name}"`);
    return t;
  };
  return {
    vars: play.vars,
    motd: task('Message of the day').copy.content,
    limits: task('Limits').copy.content,
    items: task('Data files').loop,
    template: fs.readFileSync(path.join(WORKLOAD, 'templates', 'app.conf.j2'), 'utf8'),
    tool: fs.readFileSync(path.join(WORKLOAD, 'files', 'tool.sh'), 'utf8'),
  };
}

/** `{{ name }}` substitution, enough for the workload's plain variables. */
const fill = (text, vars) =>
  text.replace(/\{\{\s*([\w.]+)\s*\}\}/g, (_, name) => {
    const v = name.split('.').reduce((o, k) => o?.[k], vars);
    if (v === undefined) throw new Error(`floor: no value for ${name}`);
    return String(v);
  });

function spawnExit(cmd, args) {
  return new Promise((resolve) => {
    const child = spawn(cmd, args, { stdio: 'ignore' });
    child.on('error', () => resolve(-1));
    child.on('exit', (code) => resolve(code ?? -1));
  });
}

/** The workload's effect as 13 shell steps for one host; inputFromPrev: stdin is the previous step's stdout. */
function floorSteps(host, facts, R = REMOTE_ROOT) {
  const vars = { ...facts.vars, inventory_hostname: host.name };
  return [
    { cmd: `mkdir -p ${R}/conf ${R}/data ${R}/bin ${R}/state ${R}/releases/v1 && chmod 755 ${R}/conf ${R}/data ${R}/bin ${R}/state ${R}/releases ${R}/releases/v1` },
    { cmd: `cat > ${R}/conf/motd && chmod 644 ${R}/conf/motd`, input: fill(facts.motd, vars) },
    { cmd: `cat > ${R}/bin/tool.sh`, input: facts.tool },
    { cmd: `cat > ${R}/conf/app.conf && chmod 640 ${R}/conf/app.conf`, input: fill(facts.template, vars) },
    { cmd: `ln -sfn ${R}/releases/v1 ${R}/current` },
    { cmd: 'uname -r' },
    { cmd: `cat > ${R}/state/kernel`, inputFromPrev: true },
    { cmd: facts.items.map((i) => `echo ${i} > ${R}/data/${i}.txt && chmod 644 ${R}/data/${i}.txt`).join(' && ') },
    { cmd: `cat > ${R}/conf/limits.conf && chmod 644 ${R}/conf/limits.conf`, input: facts.limits },
    { cmd: `chmod 750 ${R}/bin/tool.sh` },
    { cmd: `[ -e ${R}/state/index.txt ] || cat ${R}/data/*.txt > ${R}/state/index.txt` },
    { cmd: `rm -f ${R}/conf/old.conf` },
    { cmd: `printf 'reloaded %s\\n' ${vars.app_port} > ${R}/state/reloaded` },
  ];
}

async function floorHost(fleet, host, facts) {
  const sock = path.join(os.tmpdir(), `runbook-bench-floor-${process.pid}-${host.name}`);
  const base = sshArgs(fleet, host);
  const dest = base[base.length - 1];
  const opts = base.slice(0, -1);
  if ((await spawnExit('ssh', [...opts, '-f', '-N', '-M', '-S', sock, dest])) !== 0) throw new Error(`floor: ssh master to ${host.name} failed`);
  const exec = async (cmd, input) => {
    const r = await run('ssh', [...opts, '-S', sock, '-o', 'ControlMaster=no', dest, cmd], { input, allowFail: true, timeoutMs: 60_000 });
    if (r.code !== 0) throw new Error(`floor: ${host.name}: ${cmd}: exit ${r.code}: ${r.stderr.trim()}`);
    return r.stdout;
  };
  try {
    let prev = '';
    for (const st of floorSteps(host, facts)) prev = await exec(st.cmd, st.inputFromPrev ? prev : st.input);
  } finally {
    await spawnExit('ssh', [...opts, '-S', sock, '-O', 'exit', dest]);
  }
}

/** The floor as a Node process over one ssh2 connection per host (node start included). */
async function runFloorSsh2(round, fleet, facts) {
  const specFile = path.join(RESULTS, `floor-ssh2-${fleet.hosts.length}.json`);
  const hosts = fleet.hosts.map((h) => ({ name: h.name, host: '127.0.0.1', port: h.port, user: fleet.user, steps: floorSteps(h, facts) }));
  fs.writeFileSync(specFile, JSON.stringify({ key: fleet.keyPath, hosts }));
  const res = await timed(`floor-ssh2-r${round}`, process.execPath, [path.join(HERE, 'floor-ssh2.mjs'), specFile]);
  res.ok = res.code === 0;
  if (!res.ok) problem(`raw floor over ssh2 (round ${round}) failed: exit ${res.code}: ${res.stderr.trim().split('\n').slice(-4).join(' | ')}`);
  return record('floor-ssh2', round, res);
}

/**
 * The floor over n inventory entries sharing the fleet's containers: each entry its own ssh2
 * connection and the 13 commands, in a folder of its own (entries on one container would race
 * on the same paths: `ln -sfn` is not atomic).
 */
async function runFloorWide(n, fleet, facts) {
  const specFile = path.join(RESULTS, `floor-ssh2-inv${n}.json`);
  const hosts = [];
  for (let i = 1; i <= n; i++) {
    const h = fleet.hosts[(i - 1) % fleet.hosts.length];
    hosts.push({ name: `w${i}`, host: '127.0.0.1', port: h.port, user: fleet.user, steps: floorSteps({ ...h, name: `w${i}` }, facts, `${REMOTE_ROOT}-wide/w${i}`) });
  }
  fs.writeFileSync(specFile, JSON.stringify({ key: fleet.keyPath, hosts }));
  const res = await timed(`floor-inv${n}`, process.execPath, [path.join(HERE, 'floor-ssh2.mjs'), specFile]);
  res.ok = res.code === 0;
  if (!res.ok) problem(`raw floor over ${n} inventory entries failed: exit ${res.code}: ${res.stderr.trim().split('\n').slice(-4).join(' | ')}`);
  await onAllHosts(fleet, `rm -rf ${REMOTE_ROOT}-wide`);
  return record(`floor-inv${n}`, 1, res);
}

async function runFloor(round, fleet, facts) {
  const load = os.loadavg()[0];
  const t0 = performance.now();
  let ok = true;
  const results = await Promise.allSettled(fleet.hosts.map((h) => floorHost(fleet, h, facts)));
  const wall = (performance.now() - t0) / 1000;
  for (const r of results) {
    if (r.status === 'rejected') {
      ok = false;
      problem(`raw floor (round ${round}): ${r.reason?.message ?? r.reason}`);
    }
  }
  return record('floor', round, { wall, ok, maxRssKiB: null, cpuS: null, load });
}

// ---------------------------------------------------------------------------
// hosts: clean, fingerprint, compare

async function onAllHosts(fleet, cmd) {
  const rs = await Promise.all(fleet.hosts.map((h) => ssh(fleet, h, cmd, { timeoutMs: 60_000 })));
  rs.forEach((r, i) => {
    if (r.code !== 0) throw new Error(`${fleet.hosts[i].name}: ${cmd}: exit ${r.code}: ${r.stderr.trim()}`);
  });
  return rs.map((r) => r.stdout);
}

const cleanHosts = (fleet) => onAllHosts(fleet, `rm -rf ${REMOTE_ROOT}`);

/** Per host: a listing of the tree (path, type, mode, owner, group, link target) and the sha256 of every file. */
async function fingerprint(fleet) {
  const listing = await onAllHosts(
    fleet,
    `cd ${REMOTE_ROOT} 2>/dev/null || { echo '(no ${REMOTE_ROOT})'; exit 0; }; LC_ALL=C find . -printf '%p %y %m %u %g %l\\n' | LC_ALL=C sort && find . -type f -exec sha256sum {} + | LC_ALL=C sort -k2`,
  );
  return Object.fromEntries(fleet.hosts.map((h, i) => [h.name, listing[i]]));
}

const sha = (s) => crypto.createHash('sha256').update(s).digest('hex');
const verification = [];

function compareTrees(what, round, a, aName, b, bName) {
  const differing = Object.keys(a).filter((h) => a[h] !== b[h]);
  const entry = { round, what, same: differing.length === 0, hosts_differing: differing, tree_sha256: sha(a[Object.keys(a)[0]] ?? ''), listing: a[Object.keys(a)[0]] ?? '' };
  if (differing.length > 0) {
    const h = differing[0];
    const la = new Set(a[h].split('\n'));
    const lb = new Set(b[h].split('\n'));
    entry.example = {
      host: h,
      [`only_${aName}`]: [...la].filter((l) => !lb.has(l)),
      [`only_${bName}`]: [...lb].filter((l) => !la.has(l)),
    };
    problem(`${what} (round ${round}): files differ on ${differing.length} host(s); on ${h}: only ${aName}: ${JSON.stringify(entry.example[`only_${aName}`])}; only ${bName}: ${JSON.stringify(entry.example[`only_${bName}`])}`);
  }
  verification.push(entry);
  return entry;
}

// ---------------------------------------------------------------------------
// statistics and the report

function stats(xs) {
  const s = [...xs].sort((p, q) => p - q);
  const mid = s.length >> 1;
  const median = s.length % 2 ? s[mid] : (s[mid - 1] + s[mid]) / 2;
  return { median, min: s[0], max: s[s.length - 1], n: s.length };
}

function summarize() {
  const out = {};
  for (const [key, runs] of Object.entries(measured)) {
    if (runs.length === 0) continue;
    const walls = runs.map((r) => r.wall_s);
    const rss = runs.map((r) => r.max_rss_kib).filter((x) => x != null);
    const cpu = runs.map((r) => r.cpu_s).filter((x) => x != null);
    out[key] = {
      label: WAYS[key].label,
      wall_s: roundAll(stats(walls)),
      ok: runs.every((r) => r.ok),
      max_rss_mib: rss.length ? Number((Math.max(...rss) / 1024).toFixed(1)) : null,
      cpu_s_median: cpu.length ? Number(stats(cpu).median.toFixed(2)) : null,
      runs,
    };
  }
  for (const [key, s] of Object.entries(out)) {
    const base = out[WAYS[key].vs];
    s.vs = WAYS[key].vs;
    s.ratio = base ? Number((s.wall_s.median / base.wall_s.median).toFixed(2)) : null;
  }
  return out;
}

function roundAll(o) {
  return Object.fromEntries(Object.entries(o).map(([k, v]) => [k, k === 'n' ? v : Number(v.toFixed(2))]));
}

const fmtS = (x) => (x >= 10 ? x.toFixed(1) : x.toFixed(2));
const fmtX = (x) => (x >= 10 ? x.toFixed(0) : x >= 1 ? x.toFixed(1) : x.toFixed(2));

function printTable(summary) {
  const rows = [['way', 'wall time: median (min–max), n', 'vs runbook', 'peak RSS', 'CPU (user+sys)']];
  for (const [key, s] of Object.entries(summary)) {
    const w = s.wall_s;
    const range = w.n > 1 ? ` (${fmtS(w.min)}–${fmtS(w.max)})` : '';
    const base = key === s.vs ? '1×' : s.ratio != null ? `${fmtX(s.ratio)}× ${s.vs === 'runbook-first' ? 'first' : 'rerun'}` : '';
    rows.push([
      `${s.label}${s.ok ? '' : '  [FAILED]'}`,
      `${fmtS(w.median)} s${range}, ${w.n}`,
      base,
      s.max_rss_mib != null ? `${s.max_rss_mib.toFixed(0)} MiB${key.startsWith('runbook') ? '' : '*'}` : '',
      s.cpu_s_median != null ? `${fmtS(s.cpu_s_median)} s` : '',
    ]);
  }
  const widths = rows[0].map((_, c) => Math.max(...rows.map((r) => r[c].length)));
  const line = (r) => r.map((cell, c) => (c === 0 ? cell.padEnd(widths[c]) : cell.padStart(widths[c]))).join('  ');
  console.log(line(rows[0]));
  console.log(widths.map((n) => '-'.repeat(n)).join('  '));
  for (const r of rows.slice(1)) console.log(line(r));
  console.log('* for ansible-playbook: the largest single process (it runs many); CPU includes every child process.');
}

function headline(summary) {
  const lines = [];
  const faster = (a, b) => {
    const x = summary[a]?.wall_s.median;
    const y = summary[b]?.wall_s.median;
    return x && y ? y / x : null;
  };
  const say2 = (name, first, rerun) => {
    const f = faster('runbook-first', first);
    const r = faster('runbook-rerun', rerun);
    if (f == null && r == null) return;
    const parts = [];
    if (f != null) parts.push(`${fmtX(f)}× (first run)`);
    if (r != null) parts.push(`${fmtX(r)}× (rerun)`);
    lines.push(`runbook is ${parts.join(', ')} faster than ${name}`);
  };
  say2(`ansible-playbook with pipelining and ${FORKS} forks`, 'ansible-first', 'ansible-rerun');
  say2(`ansible-playbook with the mitogen strategy`, 'mitogen-first', 'mitogen-rerun');
  say2('ansible-playbook with default settings', 'default-first', 'default-rerun');
  const facts = faster('runbook-first', 'facts-first');
  if (facts != null) lines.push(`runbook is ${fmtX(facts)}× faster than default ansible-playbook with fact gathering (first run)`);
  // Against the same floor as the table's ratios: a node process over ssh2.
  const floor = faster('floor-ssh2', 'runbook-first');
  if (floor != null) lines.push(`runbook's first run takes ${fmtX(floor)}× the raw floor (ssh2)`);
  const master = faster('floor', 'runbook-first');
  if (master != null) lines.push(`runbook's first run takes ${fmtX(master)}× the raw floor over OpenSSH ControlMaster`);
  for (const n of INVENTORY_SIZES) {
    const wide = faster(`floor-inv${n}`, `runbook-inv${n}`);
    if (wide != null) lines.push(`at ${n} inventory hosts runbook's converged run takes ${fmtX(wide)}× the raw floor's 13 commands per entry`);
  }
  return lines;
}

// ---------------------------------------------------------------------------
// main

async function main() {
  fs.mkdirSync(LOGS, { recursive: true });
  for (const f of fs.readdirSync(LOGS)) fs.rmSync(path.join(LOGS, f), { force: true });

  say('prerequisites (docker, images, ansible-playbook, /usr/bin/time)');
  await ensurePrereqs();
  await ensureImages({ log: say });
  ensureTools();
  const mitogen = fs.existsSync(MITOGEN_STRATEGIES);

  if (!opt['no-build']) {
    say('building runbook (npm run build)');
    const r = spawnSync('npm', ['run', '--silent', 'build'], { cwd: ROOT, encoding: 'utf8' });
    if (r.status !== 0) throw new Error(`the build failed (use --no-build to measure the current dist/):\n${(r.stdout + r.stderr).trim().split('\n').slice(0, 20).join('\n')}`);
  }
  if (!fs.existsSync(path.join(ROOT, 'dist', 'src', 'cli', 'main.js'))) throw new Error('dist/ is missing: run npm run build');

  say(`fleet "${FLEET_NAME}" with ${HOSTS} hosts`);
  const fleet = await startFleet({ name: FLEET_NAME, count: HOSTS, withDocker: false, log: say });
  const facts = workloadFacts();
  const loadStart = os.loadavg();
  let ansibleTree = null; // the files of the latest tuned ansible-playbook first run

  // One round: runbook, the floor and tuned ansible-playbook, interleaved so that the
  // machine's load hits them alike. Every first run starts from clean hosts.
  const round = async (n) => {
    const t0 = Date.now();
    await cleanHosts(fleet);
    await runRunbook('runbook-first', n, fleet, [], 'changed');
    const rbTree = await fingerprint(fleet);
    await runRunbook('runbook-rerun', n, fleet, [], 'unchanged');
    await runRunbook('runbook-check', n, fleet, ['--check'], 'unchanged');

    await cleanHosts(fleet);
    await runFloor(n, fleet, facts);
    const floorTree = await fingerprint(fleet);
    await cleanHosts(fleet);
    await runFloorSsh2(n, fleet, facts);
    const floor2Tree = await fingerprint(fleet);

    await cleanHosts(fleet);
    await runAnsible('ansible-first', n, fleet, 'ansible', path.join(WORKLOAD, 'site.yml'), 'changed');
    const anTree = await fingerprint(fleet);
    ansibleTree = anTree;
    await runAnsible('ansible-rerun', n, fleet, 'ansible', path.join(WORKLOAD, 'site.yml'), 'unchanged');

    compareTrees('runbook vs ansible-playbook', n, rbTree, 'runbook', anTree, 'ansible');
    compareTrees('raw floor vs ansible-playbook', n, floorTree, 'floor', anTree, 'ansible');
    compareTrees('raw floor (ssh2) vs ansible-playbook', n, floor2Tree, 'floor-ssh2', anTree, 'ansible');
    return (Date.now() - t0) / 1000;
  };

  let roundsDone = 0;
  let lastRound = 0;
  const notes = [];
  for (let n = 1; n <= ROUNDS; n++) {
    if (n > 1 && elapsed() + lastRound > BUDGET_S) {
      notes.push(`stopped after ${roundsDone} of ${ROUNDS} rounds: another would pass --budget ${BUDGET_S} s`);
      say(notes[notes.length - 1]);
      break;
    }
    say(`round ${n} of ${ROUNDS}`);
    lastRound = await round(n);
    roundsDone++;
  }

  // Many inventory entries sharing the fleet's containers, after a converging run: the files
  // named after inventory_hostname (motd, app.conf and what notifies) are rewritten by each entry,
  // the rest is unchanged. Every entry must finish without a failure.
  if (INVENTORY_SIZES.length > 0) {
    await cleanHosts(fleet);
    await runRunbook('runbook-first', 0, fleet, [], 'changed');
    measured['runbook-first'].pop(); // a converging run, not a measurement
    for (const n of INVENTORY_SIZES) {
      const wide = wideInventory(fleet, n);
      await runRunbook(`runbook-inv${n}`, 1, wide, [], 'any');
      await runFloorWide(n, fleet, facts);
    }
  }

  // Extras, once each, in this order while the budget lasts: the mitogen strategy, default
  // settings, default settings with fact gathering (what a play without gather_facts: false
  // gets), and a rerun with default settings. Estimates are relative to the tuned first run.
  if (!opt['no-extras'] && measured['ansible-first'].length > 0) {
    const anFirst = stats(measured['ansible-first'].map((r) => r.wall_s)).median;
    const playbook = path.join(WORKLOAD, 'site.yml');
    const firstRun = async (way, variant, file) => {
      await cleanHosts(fleet);
      await runAnsible(way, 1, fleet, variant, file, 'changed');
      compareTrees(`${WAYS[way].label} vs tuned`, 1, await fingerprint(fleet), variant, ansibleTree, 'ansible');
    };
    const extras = [
      {
        key: 'mitogen',
        name: 'mitogen',
        est: 0.8 * anFirst,
        skip: mitogen ? null : 'ansible-mitogen is not installed',
        run: async () => {
          await firstRun('mitogen-first', 'mitogen', playbook);
          await runAnsible('mitogen-rerun', 1, fleet, 'mitogen', playbook, 'unchanged');
        },
      },
      { key: 'default', name: 'default settings, first run', est: 1.2 * anFirst, run: () => firstRun('default-first', 'default', playbook) },
      {
        key: 'facts',
        name: 'default settings with fact gathering',
        est: 1.6 * anFirst,
        run: async () => {
          const f = factsPlaybook();
          try {
            await firstRun('facts-first', 'facts', f.playbook);
          } finally {
            f.cleanup();
          }
        },
      },
      // The hosts are converged by whichever first run came last: a valid rerun.
      { key: 'default-rerun', name: 'default settings, rerun', est: 1.2 * anFirst, run: () => runAnsible('default-rerun', 1, fleet, 'default', playbook, 'unchanged') },
    ];
    for (const x of extras) {
      if (!EXTRAS.has(x.key)) continue;
      const why = x.skip ?? (elapsed() + x.est > BUDGET_S ? `it would pass --budget ${BUDGET_S} s` : null);
      if (why) {
        notes.push(`${x.name}: not measured, ${why}`);
        say(notes[notes.length - 1]);
        continue;
      }
      await x.run();
    }
  }
  const loadEnd = os.loadavg();

  // Leave the hosts as the last runbook run would: clean, so the next benchmark starts alike.
  await cleanHosts(fleet);
  if (opt.down) await stopFleet(FLEET_NAME);

  const summary = summarize();
  const result = {
    date: new Date().toISOString(),
    machine: {
      cpus: os.cpus().length,
      cpu_model: os.cpus()[0]?.model ?? null,
      mem_gib: Number((os.totalmem() / 2 ** 30).toFixed(1)),
      loadavg_start: loadStart.map((x) => Number(x.toFixed(2))),
      loadavg_end: loadEnd.map((x) => Number(x.toFixed(2))),
      node: process.version,
      ansible: versionOf('ansible-playbook', ['--version']),
      ansible_mitogen: dpkgVersion('ansible-mitogen'),
    },
    settings: { hosts: HOSTS, rounds: roundsDone, forks: FORKS, budget_s: BUDGET_S, fleet: FLEET_NAME, workload: 'bench/workload (12 tasks + 1 handler)' },
    ways: summary,
    verification,
    headline: headline(summary),
    notes,
    problems,
    ok: problems.length === 0,
    total_s: Number(elapsed().toFixed(1)),
  };
  fs.writeFileSync(path.join(RESULTS, 'latest.json'), `${JSON.stringify(result, null, 2)}\n`);

  console.log('');
  console.log(
    `${HOSTS} hosts, ${roundsDone} round(s), ${FORKS} forks; ${result.machine.cpus} CPUs, load average ${loadStart[0].toFixed(1)} at start, ${loadEnd[0].toFixed(1)} at end; ${result.machine.ansible ?? 'ansible ?'}`,
  );
  console.log('');
  printTable(summary);
  console.log('');
  for (const l of result.headline) console.log(l);
  const same = verification.filter((v) => v.what === 'runbook vs ansible-playbook');
  console.log(`same files on every host (runbook vs ansible-playbook): ${same.length && same.every((v) => v.same) ? 'yes' : 'NO'}`);
  for (const n of notes) console.log(`note: ${n}`);
  for (const p of problems) console.log(`PROBLEM: ${p}`);
  console.log(`\nresults: ${path.relative(ROOT, path.join(RESULTS, 'latest.json'))}, logs: ${path.relative(ROOT, LOGS)}/ (${result.total_s} s in all)`);
  return result.ok ? 0 : 1;
}

main().then(
  (code) => {
    process.exitCode = code;
  },
  (err) => {
    console.error(`bench: ${err instanceof Error ? err.message : String(err)}`);
    process.exitCode = 1;
  },
);
