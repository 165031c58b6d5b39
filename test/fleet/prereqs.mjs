#!/usr/bin/env node
// Makes sure this machine can run the SSH test fleet: Debian packages
// (docker.io, mmdebstrap, busybox-static, openssh-client, iptables, cron, sudo, tmux, python3-jinja2) and a
// running Docker engine. Idempotent; a no-op costs a few milliseconds.
//
//   node test/fleet/prereqs.mjs        # install/start what is missing
//
// Exit status 0 when the engine answers, non-zero with a message otherwise.
import { spawn, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import http from 'node:http';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export const DOCKER_SOCKET = '/var/run/docker.sock';
const REPO_ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const DOCKERD_LOG = path.join(REPO_ROOT, '.fleet', 'dockerd.log');

/** Package -> files that prove it is installed (any one of them is enough). */
const REQUIRED = [
  { pkg: 'docker.io', files: ['/usr/sbin/dockerd', '/usr/bin/dockerd'] },
  { pkg: 'docker.io', files: ['/usr/bin/docker-init'] }, // tini, for `docker run --init`
  { pkg: 'mmdebstrap', files: ['/usr/bin/mmdebstrap'] },
  { pkg: 'busybox-static', files: ['/bin/busybox', '/usr/bin/busybox'], check: isStaticElf },
  { pkg: 'openssh-client', files: ['/usr/bin/ssh'] },
  { pkg: 'openssh-client', files: ['/usr/bin/ssh-keygen'] },
  { pkg: 'iptables', files: ['/usr/sbin/iptables', '/sbin/iptables'] },
  { pkg: 'cron', files: ['/usr/bin/crontab'] }, // runbook cron install/list/remove
  { pkg: 'sudo', files: ['/usr/bin/sudo'] }, // become on connection local (unit tests)
  { pkg: 'tmux', files: ['/usr/bin/tmux'] }, // the live view test reads a real terminal
  { pkg: 'python3-jinja2', files: ['/usr/lib/python3/dist-packages/jinja2/__init__.py'] }, // golden .j2 tests compare with Jinja2
];

/** True when the ELF file has no PT_INTERP program header (statically linked). */
function isStaticElf(file) {
  try {
    const fd = fs.openSync(file, 'r');
    try {
      const hdr = Buffer.alloc(64);
      fs.readSync(fd, hdr, 0, 64, 0);
      if (hdr.readUInt32BE(0) !== 0x7f454c46 || hdr[4] !== 2) return false; // ELF64 only
      const phoff = Number(hdr.readBigUInt64LE(0x20));
      const phentsize = hdr.readUInt16LE(0x36);
      const phnum = hdr.readUInt16LE(0x38);
      const ph = Buffer.alloc(phentsize * phnum);
      fs.readSync(fd, ph, 0, ph.length, phoff);
      for (let i = 0; i < phnum; i++) if (ph.readUInt32LE(i * phentsize) === 3) return false;
      return true;
    } finally {
      fs.closeSync(fd);
    }
  } catch {
    return false;
  }
}

export function missingPackages() {
  const missing = new Set();
  for (const req of REQUIRED) {
    const found = req.files.find((f) => fs.existsSync(f));
    if (!found || (req.check && !req.check(found))) missing.add(req.pkg);
  }
  return [...missing];
}

/** GET /_ping on the Docker socket; resolves true/false, never throws. */
export function dockerPing(timeoutMs = 2000) {
  return new Promise((resolve) => {
    const req = http.request({ socketPath: DOCKER_SOCKET, path: '/_ping', method: 'GET', timeout: timeoutMs }, (res) => {
      res.resume();
      res.on('end', () => resolve(res.statusCode === 200));
    });
    req.on('timeout', () => req.destroy(new Error('timeout')));
    req.on('error', () => resolve(false));
    req.end();
  });
}

function log(msg) {
  process.stderr.write(`[fleet prereqs] ${msg}\n`);
}

function runChecked(cmd, args, env) {
  log(`$ ${cmd} ${args.join(' ')}`);
  const r = spawnSync(cmd, args, { stdio: ['ignore', 'inherit', 'inherit'], env: { ...process.env, ...env } });
  if (r.error) throw new Error(`${cmd}: ${r.error.message}`);
  if (r.status !== 0) throw new Error(`${cmd} ${args.join(' ')} exited with ${r.status ?? r.signal}`);
}

function installPackages(pkgs) {
  const env = { DEBIAN_FRONTEND: 'noninteractive' };
  // Without systemd, a package's postinst may try to start its service and
  // fail; we start dockerd ourselves, so keep apt from starting anything.
  const policy = '/usr/sbin/policy-rc.d';
  const addedPolicy = !fs.existsSync(policy);
  if (addedPolicy) fs.writeFileSync(policy, '#!/bin/sh\nexit 101\n', { mode: 0o755 });
  try {
    runChecked('apt-get', ['update', '-qq'], env);
    runChecked('apt-get', ['install', '-y', '-qq', '--no-install-recommends', ...pkgs], env);
  } finally {
    if (addedPolicy) fs.rmSync(policy, { force: true });
  }
}

async function startDockerd(timeoutMs) {
  if (fs.existsSync('/run/systemd/system')) {
    log('starting docker via systemctl');
    spawnSync('systemctl', ['start', 'docker'], { stdio: 'inherit' });
  } else {
    fs.mkdirSync(path.dirname(DOCKERD_LOG), { recursive: true });
    const out = fs.openSync(DOCKERD_LOG, 'a');
    const dockerd = fs.existsSync('/usr/sbin/dockerd') ? '/usr/sbin/dockerd' : 'dockerd';
    log(`starting ${dockerd} in the background (log: ${DOCKERD_LOG})`);
    const child = spawn(dockerd, [], { detached: true, stdio: ['ignore', out, out] });
    child.unref();
    fs.closeSync(out);
  }
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (await dockerPing(1000)) return;
    await new Promise((r) => setTimeout(r, 200));
  }
  let tail = '';
  try {
    tail = fs.readFileSync(DOCKERD_LOG, 'utf8').split('\n').slice(-15).join('\n');
  } catch {
    /* no log */
  }
  throw new Error(`dockerd did not answer on ${DOCKER_SOCKET} within ${timeoutMs / 1000} s.\nLast lines of ${DOCKERD_LOG}:\n${tail}`);
}

/**
 * Installs missing packages and starts the Docker engine when run as root.
 * Throws with a readable message when something cannot be fixed.
 */
export async function ensurePrereqs({ dockerTimeoutMs = 60_000 } = {}) {
  const isRoot = process.getuid?.() === 0;
  const missing = missingPackages();
  if (missing.length > 0) {
    if (!isRoot) {
      throw new Error(`missing packages: ${missing.join(' ')}. Install them as root: apt-get install ${missing.join(' ')}`);
    }
    installPackages(missing);
    const still = missingPackages();
    if (still.length > 0) throw new Error(`still missing after apt-get install: ${still.join(' ')}`);
  }
  if (await dockerPing()) return;
  if (!isRoot) {
    throw new Error(`the Docker engine does not answer on ${DOCKER_SOCKET} and this is not root: start dockerd (or run as root) and retry`);
  }
  await startDockerd(dockerTimeoutMs);
}

const isMain = process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url);
if (isMain) {
  try {
    await ensurePrereqs();
  } catch (err) {
    log(`error: ${err instanceof Error ? err.message : String(err)}`);
    process.exit(1);
  }
}
