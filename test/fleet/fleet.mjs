// A fleet of real SSH hosts on this machine, for integration tests.
//
// Each host is a Docker container of a Debian image (sshd, sudo, python3,
// nginx, rsyslog, docker.io, ...) whose sshd is published on 127.0.0.1:<port>.
// The controller talks to hosts only through loopback; hosts reach each other
// on the fleet's own Docker network. See README.md beside this file.
//
// Plain ESM JavaScript so that both vitest and `node` can load it as is; the
// types are in fleet.d.mts.
import { spawn } from 'node:child_process';
import crypto from 'node:crypto';
import fs from 'node:fs';
import fsp from 'node:fs/promises';
import http from 'node:http';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const HERE = path.dirname(fileURLToPath(import.meta.url));
export const REPO_ROOT = path.resolve(HERE, '../..');
export const FLEET_ROOT = process.env.RUNBOOK_FLEET_ROOT
  ? path.resolve(process.env.RUNBOOK_FLEET_ROOT)
  : path.join(REPO_ROOT, '.fleet');

/** Bump the number when the image recipe changes in a way the hash cannot see. */
export const HOST_IMAGE = 'runbook-fleet-host:1';
export const APP_VERSIONS = /** @type {const} */ (['v1', 'v2', 'bad']);
export const APP_IMAGES = APP_VERSIONS.map((v) => `runbook-app:${v}`);
export const DEFAULT_FLEET_NAME = 'test';
export const DEFAULT_PORT_BASE = Number(process.env.RUNBOOK_FLEET_PORT_BASE || 2201);
export const SUDO_USER = 'deploy';

const HOST_PACKAGES = [
  'openssh-server', 'sudo', 'python3', 'nginx', 'rsyslog', 'curl', 'iproute2', 'procps',
  'docker.io', 'iptables', 'ca-certificates', 'init-system-helpers', 'less', 'mount',
];
const CUSTOMIZE_SCRIPT = path.join(HERE, 'image', 'customize.sh');
const INIT_SCRIPT = path.join(HERE, 'image', 'init.sh');
const DOCKER_SOCKET = '/var/run/docker.sock';
/** Format of the containers and state this file creates; bump to force a rebuild of running fleets. */
const FLEET_FORMAT = 1;

// ---------------------------------------------------------------------------
// small helpers

function defaultLog(msg) {
  process.stderr.write(`[fleet] ${msg}\n`);
}

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
const sha256 = (s) => crypto.createHash('sha256').update(s).digest('hex');
const seconds = (t0) => `${((Date.now() - t0) / 1000).toFixed(1)} s`;

/**
 * Runs a command with argv (no shell). Resolves { code, stdout, stderr };
 * rejects when it cannot start, times out, or (unless allowFail) exits non-zero.
 */
export function run(cmd, args, { input, stdinFile, timeoutMs = 600_000, allowFail = false, env } = {}) {
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, {
      stdio: [input !== undefined || stdinFile ? 'pipe' : 'ignore', 'pipe', 'pipe'],
      env: env ? { ...process.env, ...env } : process.env,
    });
    const out = [];
    const err = [];
    child.stdout.on('data', (d) => out.push(d));
    child.stderr.on('data', (d) => err.push(d));
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    child.on('error', (e) => {
      clearTimeout(timer);
      reject(new Error(`${cmd}: ${e.message}`));
    });
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      const res = { code: code ?? -1, stdout: Buffer.concat(out).toString(), stderr: Buffer.concat(err).toString() };
      if (res.code === 0 || allowFail) resolve(res);
      else {
        const why = signal ? `killed by ${signal}${signal === 'SIGKILL' ? ` (timeout ${timeoutMs} ms?)` : ''}` : `exit ${code}`;
        reject(new Error(`${cmd} ${args.join(' ')}: ${why}\n${res.stderr.trim().split('\n').slice(-20).join('\n')}`));
      }
    });
    if (child.stdin) {
      child.stdin.on('error', () => {});
      if (stdinFile) fs.createReadStream(stdinFile).pipe(child.stdin);
      else child.stdin.end(input);
    }
  });
}

/** `a | b`, both argv; rejects if either fails. Resolves b's stdout. */
function runPipe([cmdA, argsA], [cmdB, argsB], { timeoutMs = 900_000, onStderrA } = {}) {
  return new Promise((resolve, reject) => {
    const a = spawn(cmdA, argsA, { stdio: ['ignore', 'pipe', 'pipe'] });
    const b = spawn(cmdB, argsB, { stdio: ['pipe', 'pipe', 'pipe'] });
    a.stdout.pipe(b.stdin);
    b.stdin.on('error', () => {});
    const errA = [];
    const errB = [];
    const outB = [];
    a.stderr.on('data', (d) => {
      errA.push(d);
      onStderrA?.(d.toString());
    });
    b.stderr.on('data', (d) => errB.push(d));
    b.stdout.on('data', (d) => outB.push(d));
    const timer = setTimeout(() => {
      a.kill('SIGKILL');
      b.kill('SIGKILL');
    }, timeoutMs);
    const done = (p) => new Promise((res) => {
      p.on('error', (e) => res({ code: -1, error: e }));
      p.on('close', (code, signal) => res({ code: code ?? -1, signal }));
    });
    Promise.all([done(a), done(b)]).then(([ra, rb]) => {
      clearTimeout(timer);
      const tail = (chunks) => Buffer.concat(chunks).toString().trim().split('\n').slice(-25).join('\n');
      if (ra.code !== 0) reject(new Error(`${cmdA} failed (${ra.error?.message ?? ra.signal ?? `exit ${ra.code}`}):\n${tail(errA)}`));
      else if (rb.code !== 0) reject(new Error(`${cmdB} ${argsB.join(' ')} failed (${rb.error?.message ?? rb.signal ?? `exit ${rb.code}`}):\n${tail(errB)}`));
      else resolve(Buffer.concat(outB).toString());
    });
  });
}

/** Minimal Docker Engine API client over the unix socket (reads only; writes go through the CLI). */
function dockerApi(method, apiPath, timeoutMs = 10_000) {
  return new Promise((resolve, reject) => {
    const req = http.request({ socketPath: DOCKER_SOCKET, path: apiPath, method, timeout: timeoutMs }, (res) => {
      const chunks = [];
      res.on('data', (d) => chunks.push(d));
      res.on('end', () => {
        const text = Buffer.concat(chunks).toString();
        let json = null;
        try {
          json = text ? JSON.parse(text) : null;
        } catch {
          json = null;
        }
        resolve({ status: res.statusCode ?? 0, json, text });
      });
    });
    req.on('timeout', () => req.destroy(new Error(`docker API ${apiPath}: timeout`)));
    req.on('error', (e) => reject(new Error(`docker API ${method} ${apiPath}: ${e.message} (is dockerd running? run: node test/fleet/prereqs.mjs)`)));
    req.end();
  });
}

async function inspectImage(ref) {
  const r = await dockerApi('GET', `/images/${encodeURIComponent(ref)}/json`);
  if (r.status === 404) return null;
  if (r.status !== 200) throw new Error(`docker image inspect ${ref}: HTTP ${r.status} ${r.text}`);
  return r.json;
}

async function listFleetContainers(name) {
  const filters = encodeURIComponent(JSON.stringify({ label: [`runbook.fleet=${name}`] }));
  const r = await dockerApi('GET', `/containers/json?all=1&filters=${filters}`);
  if (r.status !== 200) throw new Error(`docker ps: HTTP ${r.status} ${r.text}`);
  return r.json;
}

async function inspectContainer(idOrName) {
  const r = await dockerApi('GET', `/containers/${encodeURIComponent(idOrName)}/json`);
  if (r.status === 404) return null;
  if (r.status !== 200) throw new Error(`docker inspect ${idOrName}: HTTP ${r.status} ${r.text}`);
  return r.json;
}

/** Locks are machine-wide: several checkouts of the repo share one Docker engine. */
const LOCK_DIR = path.join(os.tmpdir(), 'runbook-fleet-locks');
const lockFile = (what) => path.join(LOCK_DIR, `${what}.lock`);

/** Cross-process lock: a file holding the owner's pid; stale locks (dead pid) are taken over. */
async function withLock(lockPath, fn, { timeoutMs = 15 * 60_000 } = {}) {
  await fsp.mkdir(path.dirname(lockPath), { recursive: true });
  const deadline = Date.now() + timeoutMs;
  let said = false;
  for (;;) {
    try {
      const fd = fs.openSync(lockPath, 'wx');
      fs.writeSync(fd, String(process.pid));
      fs.closeSync(fd);
      break;
    } catch (e) {
      if (e.code !== 'EEXIST') throw e;
      let pid = 0;
      try {
        pid = Number(fs.readFileSync(lockPath, 'utf8'));
      } catch {
        continue;
      }
      if (!pidAlive(pid)) {
        fs.rmSync(lockPath, { force: true });
        continue;
      }
      if (Date.now() > deadline) throw new Error(`timed out waiting for lock ${lockPath} held by pid ${pid}`);
      if (!said) {
        defaultLog(`waiting for ${path.basename(lockPath)} (held by pid ${pid})`);
        said = true;
      }
      await sleep(250);
    }
  }
  try {
    return await fn();
  } finally {
    fs.rmSync(lockPath, { force: true });
  }
}

function pidAlive(pid) {
  if (!Number.isInteger(pid) || pid <= 0) return false;
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return e.code === 'EPERM';
  }
}

// ---------------------------------------------------------------------------
// images

function debianSuite() {
  try {
    const m = /^VERSION_CODENAME=(\S+)$/m.exec(fs.readFileSync('/etc/os-release', 'utf8'));
    if (m) return m[1].replace(/"/g, '');
  } catch {
    /* not Debian-like */
  }
  return 'bookworm';
}

function hostRecipeHash() {
  return sha256(JSON.stringify({
    HOST_IMAGE,
    HOST_PACKAGES,
    suite: debianSuite(),
    customize: fs.readFileSync(CUSTOMIZE_SCRIPT, 'utf8'),
  })).slice(0, 16);
}

function appRecipeHash(version) {
  return sha256(JSON.stringify({ version, app: appFiles(version), cmd: APP_CMD })).slice(0, 16);
}

const APP_CMD = ['/bin/sh', '-c', 'trap "exit 0" TERM INT; httpd -f -p "${PORT:-80}" -h /www & wait'];

/** Files of the app's web root. `bad` answers / but has no /health (404). */
function appFiles(version) {
  const files = { 'index.html': `${version}\n`, version: `${version}\n` };
  if (version !== 'bad') files.health = `ok ${version}\n`;
  return files;
}

const shq = (s) => `'${String(s).replace(/'/g, `'\\''`)}'`;

async function buildHostImage(log, recipe) {
  const t0 = Date.now();
  const sources = ['/etc/apt/sources.list.d/debian.sources', '/etc/apt/sources.list']
    .find((f) => fs.existsSync(f) && fs.statSync(f).size > 0) ?? 'http://deb.debian.org/debian';
  const cacheDir = path.join(FLEET_ROOT, 'cache', 'apt-archives');
  const args = [
    '--variant=apt', '--format=tar', '--quiet',
    `--include=${HOST_PACKAGES.join(',')}`,
    '--dpkgopt=path-exclude=/usr/share/man/*',
    '--dpkgopt=path-exclude=/usr/share/locale/*',
    '--dpkgopt=path-include=/usr/share/locale/locale.alias',
    '--dpkgopt=path-exclude=/usr/share/doc/*',
    '--dpkgopt=path-include=/usr/share/doc/*/copyright',
    '--dpkgopt=path-exclude=/usr/share/info/*',
  ];
  // Keep downloaded .debs across rebuilds (sync-in/out cannot take paths with spaces).
  if (!/\s/.test(cacheDir)) {
    await fsp.mkdir(cacheDir, { recursive: true });
    args.push(
      '--skip=essential/unlink',
      '--setup-hook=mkdir -p "$1"/var/cache/apt/archives',
      `--setup-hook=sync-in ${cacheDir} /var/cache/apt/archives/`,
      `--customize-hook=sync-out /var/cache/apt/archives ${cacheDir}`,
    );
  }
  args.push(`--customize-hook=chroot "$1" /bin/sh -s < ${shq(CUSTOMIZE_SCRIPT)}`);
  args.push(debianSuite(), '-', sources);
  log(`building ${HOST_IMAGE} with mmdebstrap (about 1-2 min, once per machine)`);
  await runPipe(['mmdebstrap', args], ['docker', [
    'import',
    '--change', 'CMD ["/bin/sh", "/fleet/init.sh"]',
    '--change', `LABEL runbook.recipe=${recipe}`,
    '-', HOST_IMAGE,
  ]]);
  log(`built ${HOST_IMAGE} in ${seconds(t0)}`);
}

async function buildAppImage(version, recipe) {
  const root = await fsp.mkdtemp(path.join(os.tmpdir(), 'runbook-app-'));
  try {
    for (const d of ['bin', 'www', 'etc', 'proc', 'sys', 'dev', 'root']) await fsp.mkdir(path.join(root, d));
    await fsp.mkdir(path.join(root, 'tmp'), { mode: 0o1777 });
    await fsp.chmod(path.join(root, 'tmp'), 0o1777);
    const busybox = ['/bin/busybox', '/usr/bin/busybox'].find((f) => fs.existsSync(f));
    if (!busybox) throw new Error('busybox not found: run node test/fleet/prereqs.mjs (installs busybox-static)');
    await fsp.copyFile(busybox, path.join(root, 'bin', 'busybox'));
    await fsp.chmod(path.join(root, 'bin', 'busybox'), 0o755);
    const { stdout } = await run(busybox, ['--list']);
    for (const applet of stdout.split('\n').map((s) => s.trim()).filter(Boolean)) {
      if (applet !== 'busybox' && !applet.includes('/')) await fsp.symlink('busybox', path.join(root, 'bin', applet));
    }
    for (const [f, content] of Object.entries(appFiles(version))) await fsp.writeFile(path.join(root, 'www', f), content);
    await fsp.writeFile(path.join(root, 'etc', 'passwd'), 'root:x:0:0:root:/root:/bin/sh\nnobody:x:65534:65534:nobody:/:/bin/false\n');
    await fsp.writeFile(path.join(root, 'etc', 'group'), 'root:x:0:\nnogroup:x:65534:\n');
    await runPipe(['tar', ['-C', root, '--numeric-owner', '--owner=0', '--group=0', '-cf', '-', '.']], ['docker', [
      'import',
      '--change', `CMD ${JSON.stringify(APP_CMD)}`,
      '--change', 'ENV PATH=/bin',
      '--change', 'EXPOSE 80',
      '--change', `LABEL runbook.recipe=${recipe} runbook.app.version=${version}`,
      '-', `runbook-app:${version}`,
    ]]);
  } finally {
    await fsp.rm(root, { recursive: true, force: true });
  }
}

/** Builds the host image and the app images when missing or built from another recipe. */
export async function ensureImages({ log = defaultLog } = {}) {
  await withLock(lockFile('images'), async () => {
    const hostRecipe = hostRecipeHash();
    const replaced = [];
    const host = await inspectImage(HOST_IMAGE);
    if (host?.Config?.Labels?.['runbook.recipe'] !== hostRecipe) {
      await buildHostImage(log, hostRecipe);
      if (host) replaced.push(host.Id);
    }
    for (const v of APP_VERSIONS) {
      const recipe = appRecipeHash(v);
      const img = await inspectImage(`runbook-app:${v}`);
      if (img?.Config?.Labels?.['runbook.recipe'] !== recipe) {
        await buildAppImage(v, recipe);
        if (img) replaced.push(img.Id);
        log(`built runbook-app:${v}`);
      }
    }
    // Old builds are untagged now; drop them unless a container still uses one.
    if (replaced.length > 0) await run('docker', ['rmi', ...replaced], { allowFail: true });
  });
}

/** `docker save` of the app images, cached by their ids; mounted into hosts that run Docker. */
async function appImagesTar() {
  const ids = await Promise.all(APP_IMAGES.map(async (ref) => (await inspectImage(ref))?.Id));
  if (ids.some((id) => !id)) throw new Error('app images missing: call ensureImages() first');
  const key = sha256(ids.join(',')).slice(0, 16);
  const file = path.join(FLEET_ROOT, 'cache', `app-images-${key}.tar`);
  if (!fs.existsSync(file)) {
    await fsp.mkdir(path.dirname(file), { recursive: true });
    const tmp = `${file}.${process.pid}.tmp`;
    await run('docker', ['save', '-o', tmp, ...APP_IMAGES]);
    await fsp.rename(tmp, file);
    for (const f of await fsp.readdir(path.dirname(file))) {
      if (/^app-images-.*\.tar$/.test(f) && f !== path.basename(file)) await fsp.rm(path.join(path.dirname(file), f), { force: true });
    }
  }
  return { file, key };
}

// ---------------------------------------------------------------------------
// fleet

function checkName(name) {
  if (!/^[a-z0-9][a-z0-9_.-]{0,30}$/.test(name)) throw new Error(`bad fleet name ${JSON.stringify(name)}: use [a-z0-9_.-], at most 31 chars`);
}

export function hostNames(count) {
  return Array.from({ length: count }, (_, i) => `h${i + 1}`);
}

/** Group layout: every host in `fleet`; with 2+ hosts, `web` = all but the last, `lb` = the last. */
export function groupsFor(names) {
  const groups = { fleet: names };
  if (names.length >= 2) {
    groups.web = names.slice(0, -1);
    groups.lb = names.slice(-1);
  }
  return groups;
}

function isPortFree(port) {
  return new Promise((resolve) => {
    const srv = net.createServer();
    srv.once('error', () => resolve(false));
    srv.listen({ port, host: '127.0.0.1', exclusive: true }, () => srv.close(() => resolve(true)));
  });
}

/** Resolves true when something on 127.0.0.1:port sends an SSH banner within timeoutMs. */
function sshBanner(port, timeoutMs = 1000) {
  return new Promise((resolve) => {
    const sock = net.connect({ port, host: '127.0.0.1' });
    let buf = '';
    const finish = (ok) => {
      sock.destroy();
      resolve(ok);
    };
    sock.setTimeout(timeoutMs, () => finish(false));
    sock.on('data', (d) => {
      buf += d.toString('latin1');
      if (buf.includes('\n')) finish(buf.startsWith('SSH-2.0-'));
    });
    sock.on('error', () => finish(false));
    sock.on('close', () => finish(false));
  });
}

/**
 * Is an sshd listener a direct child of the container's init (pid as seen from
 * here)? Reads /proc: far cheaper than an SSH banner, which makes sshd fork and
 * re-exec. Null when /proc cannot tell (engine elsewhere, no permission).
 */
function sshdRunsUnder(initPid) {
  try {
    const children = fs.readFileSync(`/proc/${initPid}/task/${initPid}/children`, 'utf8').trim().split(/\s+/).filter(Boolean);
    return children.some((c) => {
      try {
        return fs.readFileSync(`/proc/${c}/comm`, 'utf8').trim() === 'sshd';
      } catch {
        return false;
      }
    });
  } catch {
    return null;
  }
}

async function ensureKey(file, comment) {
  if (fs.existsSync(file) && fs.existsSync(`${file}.pub`)) return;
  await fsp.rm(file, { force: true });
  await fsp.rm(`${file}.pub`, { force: true });
  await run('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-C', comment, '-f', file]);
}

/** OpenSSH client argv (before the command) to reach `host` of `fleet` as `user`. */
export function sshArgs(fleet, host, { user = fleet.user } = {}) {
  return [
    '-F', 'none',
    '-i', fleet.keyPath,
    '-o', 'IdentitiesOnly=yes',
    '-o', `UserKnownHostsFile=${fleet.knownHostsPath}`,
    '-o', 'GlobalKnownHostsFile=/dev/null',
    '-o', 'StrictHostKeyChecking=yes',
    '-o', 'BatchMode=yes',
    '-o', 'ConnectTimeout=10',
    '-o', 'LogLevel=ERROR',
    '-o', 'KexAlgorithms=curve25519-sha256',
    '-p', String(host.port),
    `${user}@127.0.0.1`,
  ];
}

/** Runs `command` (a remote shell string) on a host with the OpenSSH client. Never rejects on exit status. */
export function ssh(fleet, host, command, { user, input, timeoutMs = 60_000 } = {}) {
  const h = typeof host === 'string' ? fleet.hosts.find((x) => x.name === host) : host;
  if (!h) throw new Error(`no host ${host} in fleet ${fleet.name}`);
  return run('ssh', [...sshArgs(fleet, h, { user }), command], { input, timeoutMs, allowFail: true });
}

function renderInventory(fleet) {
  const q = JSON.stringify;
  const lines = [
    `# Written by test/fleet/fleet.mjs for fleet "${fleet.name}"; regenerated on every start.`,
    'all:',
    '  vars:',
    `    ansible_user: ${fleet.user}`,
    `    ansible_ssh_private_key_file: ${q(fleet.keyPath)}`,
    `    ansible_ssh_common_args: ${q(`-o UserKnownHostsFile=${fleet.knownHostsPath} -o StrictHostKeyChecking=yes`)}`,
    '    ansible_python_interpreter: /usr/bin/python3',
    `    fleet_sudo_user: ${fleet.sudoUser}`,
    '  children:',
  ];
  const byName = new Map(fleet.hosts.map((h) => [h.name, h]));
  for (const [group, members] of Object.entries(groupsFor(fleet.hosts.map((h) => h.name)))) {
    lines.push(`    ${group}:`, '      hosts:');
    for (const n of members) {
      const h = byName.get(n);
      lines.push(`        ${n}: { ansible_host: 127.0.0.1, ansible_port: ${h.port}, private_address: ${q(h.address)} }`);
    }
  }
  return `${lines.join('\n')}\n`;
}

async function writeAtomic(file, content, mode = 0o644) {
  const tmp = `${file}.${process.pid}.tmp`;
  await fsp.writeFile(tmp, content, { mode });
  await fsp.rename(tmp, file);
}

function readState(dir) {
  try {
    return JSON.parse(fs.readFileSync(path.join(dir, 'state.json'), 'utf8'));
  } catch {
    return null;
  }
}

/** Everything a host container is made from; a change means the container is recreated. */
async function desiredConfig({ name, dir, withDocker }) {
  const hostImage = await inspectImage(HOST_IMAGE);
  if (!hostImage) return null;
  const common = {
    FLEET_FORMAT,
    hostImage: hostImage.Id,
    init: fs.existsSync(path.join(dir, 'init.sh')) ? fs.readFileSync(path.join(dir, 'init.sh'), 'utf8') : null,
    initSource: fs.readFileSync(INIT_SCRIPT, 'utf8'),
    withDocker,
    dir,
    name,
    clientKey: fs.existsSync(path.join(dir, 'id_ed25519.pub')) ? fs.readFileSync(path.join(dir, 'id_ed25519.pub'), 'utf8') : null,
  };
  if (common.init !== common.initSource || !common.clientKey) return null;
  if (withDocker) {
    const ids = await Promise.all(APP_IMAGES.map(async (ref) => (await inspectImage(ref))?.Id ?? null));
    if (ids.includes(null)) return null;
    common.appImages = ids;
  }
  return { common: sha256(JSON.stringify(common)).slice(0, 16) };
}

function hostConfigHash(common, dir, host) {
  let hostKey = '';
  try {
    hostKey = fs.readFileSync(path.join(dir, 'hostkeys', host, 'ssh_host_ed25519_key.pub'), 'utf8');
  } catch {
    return null;
  }
  return sha256(`${common}\n${host}\n${hostKey}`).slice(0, 16);
}

/** The fast path: is the recorded fleet exactly what was asked for, running and answering? */
async function healthyAsRecorded(state, { name, dir, count, withDocker }) {
  if (!state || state.format !== FLEET_FORMAT || state.fleet?.hosts?.length !== count || state.withDocker !== withDocker) return false;
  const desired = await desiredConfig({ name, dir, withDocker });
  if (!desired || desired.common !== state.configHash) return false;
  const listed = await listFleetContainers(name);
  if (listed.length !== count) return false;
  const checks = state.fleet.hosts.map(async (h) => {
    const rec = state.containers?.[h.name];
    const c = await inspectContainer(h.container);
    if (!rec || !c || c.Id !== rec.id || !c.State?.Running || c.State.StartedAt !== rec.startedAt) return false;
    if (c.Config?.Labels?.['runbook.fleet.config'] !== hostConfigHash(state.configHash, dir, h.name)) return false;
    if (!fs.existsSync(path.join(dir, 'run', h.name, 'ready')) || fs.existsSync(path.join(dir, 'run', h.name, 'error'))) return false;
    return sshdRunsUnder(c.State.Pid) ?? sshBanner(h.port);
  });
  return (await Promise.all(checks)).every(Boolean);
}

/**
 * Starts (or reuses) a fleet of `count` hosts named h1..hN. Returns quickly when
 * the same fleet is already up and healthy; otherwise creates what is missing
 * and waits until every host accepts a real SSH login (and, with withDocker,
 * its inner Docker engine has the app images).
 */
export async function startFleet(opts) {
  const { name = DEFAULT_FLEET_NAME, ifUsedElsewhere = 'replace', log = defaultLog } = opts ?? {};
  checkName(name);
  const fleet = await startFleetNamed({ ...opts, name, avoidOthers: ifUsedElsewhere === 'suffix' });
  if (fleet) return fleet;
  // Another checkout's fleet of this name is running: leave it alone, use our own name.
  const own = `${name}-${sha256(REPO_ROOT).slice(0, 6)}`;
  log(`fleet ${name} is in use by another checkout; this one uses fleet ${own}`);
  return /** @type {Promise<any>} */ (startFleetNamed({ ...opts, name: own, avoidOthers: false }));
}

/** The fleet directory of another checkout whose containers of this name are running, if any. */
async function usedElsewhere(name) {
  const mine = path.join(FLEET_ROOT, name);
  for (const c of await listFleetContainers(name)) {
    const owner = c.Labels?.['runbook.fleet.dir'];
    if (c.State === 'running' && owner && owner !== mine && fs.existsSync(path.join(owner, 'state.json'))) return owner;
  }
  return null;
}

async function startFleetNamed({
  name,
  count,
  withDocker = false,
  portBase = DEFAULT_PORT_BASE,
  timeoutMs = 240_000,
  log = defaultLog,
  avoidOthers = false,
}) {
  checkName(name);
  if (!Number.isInteger(count) || count < 1 || count > 64) throw new Error(`count must be an integer 1..64, got ${count}`);
  const dir = path.join(FLEET_ROOT, name);
  return withLock(lockFile(`fleet-${name}`), async () => {
    const prev = readState(dir);
    if (await healthyAsRecorded(prev, { name, dir, count, withDocker })) return prev.fleet;
    if (avoidOthers && (await usedElsewhere(name))) return null;

    const t0 = Date.now();
    await ensureImages({ log });
    const wanted = hostNames(count);
    const network = `${name}-net`;

    // Files: client key, per-host host keys, init script, app image bundle.
    await fsp.mkdir(path.join(dir, 'hostkeys'), { recursive: true });
    await fsp.mkdir(path.join(dir, 'run'), { recursive: true });
    const keyPath = path.join(dir, 'id_ed25519');
    await Promise.all([
      ensureKey(keyPath, `runbook-fleet-${name}`),
      ...wanted.map(async (h) => {
        await fsp.mkdir(path.join(dir, 'hostkeys', h), { recursive: true });
        await ensureKey(path.join(dir, 'hostkeys', h, 'ssh_host_ed25519_key'), `${h}.${name}`);
      }),
    ]);
    await fsp.copyFile(`${keyPath}.pub`, path.join(dir, 'authorized_keys'));
    const initText = fs.readFileSync(INIT_SCRIPT, 'utf8');
    if (!fs.existsSync(path.join(dir, 'init.sh')) || fs.readFileSync(path.join(dir, 'init.sh'), 'utf8') !== initText) {
      await writeAtomic(path.join(dir, 'init.sh'), initText, 0o755);
    }
    const bundle = withDocker ? await appImagesTar() : null;
    const desired = await desiredConfig({ name, dir, withDocker });
    if (!desired) throw new Error('internal: fleet configuration incomplete after setup');

    // Which existing containers can stay.
    const existing = await listFleetContainers(name);
    const keep = new Map();
    for (const c of existing) {
      const host = c.Labels?.['runbook.fleet.host'];
      if (!host || !wanted.includes(host) || keep.has(host)) continue;
      if (c.State !== 'running' || c.Labels['runbook.fleet.config'] !== hostConfigHash(desired.common, dir, host)) continue;
      if (!fs.existsSync(path.join(dir, 'run', host, 'ready')) || fs.existsSync(path.join(dir, 'run', host, 'error'))) continue;
      const port = Number(c.Labels['runbook.fleet.port']);
      if (!(await sshBanner(port))) continue;
      keep.set(host, { id: c.Id, port });
    }
    const doomed = existing.filter((c) => ![...keep.values()].some((k) => k.id === c.Id)).map((c) => c.Id);
    const toCreate = wanted.filter((h) => !keep.has(h));
    // Also clear containers that squat on our names without our labels.
    const names = toCreate.map((h) => `${name}-${h}`);
    if (doomed.length + names.length > 0) await run('docker', ['rm', '-f', '-v', ...doomed, ...names], { allowFail: true });
    if (toCreate.length > 0) log(`fleet ${name}: creating ${toCreate.length} host(s)${keep.size ? `, keeping ${keep.size}` : ''}${withDocker ? ' (with Docker)' : ''}`);

    const netInfo = await dockerApi('GET', `/networks/${encodeURIComponent(network)}`);
    if (netInfo.status === 404) await run('docker', ['network', 'create', '--label', `runbook.fleet=${name}`, network]);

    // Ports: reuse the previous one of a host when free, else the first free from portBase.
    const running = await dockerApi('GET', '/containers/json');
    const taken = new Set([...keep.values()].map((k) => k.port));
    for (const c of running.json ?? []) for (const p of c.Ports ?? []) if (p.PublicPort) taken.add(p.PublicPort);
    const prevPorts = new Map((prev?.fleet?.hosts ?? []).map((h) => [h.name, h.port]));
    let cursor = portBase;
    const nextPort = async (preferred) => {
      if (preferred && !taken.has(preferred) && (await isPortFree(preferred))) {
        taken.add(preferred);
        return preferred;
      }
      for (; cursor < 65535; cursor++) {
        if (!taken.has(cursor) && (await isPortFree(cursor))) {
          taken.add(cursor);
          return cursor++;
        }
      }
      throw new Error('no free port');
    };
    const ports = new Map([...keep].map(([h, k]) => [h, k.port]));
    for (const h of toCreate) ports.set(h, await nextPort(prevPorts.get(h)));

    const createHost = async (host) => {
      const runDir = path.join(dir, 'run', host);
      await fsp.rm(runDir, { recursive: true, force: true });
      await fsp.mkdir(runDir, { recursive: true });
      for (let attempt = 0; ; attempt++) {
        const port = ports.get(host);
        const args = [
          'run', '-d', '--name', `${name}-${host}`, '--hostname', host,
          '--network', network, '--network-alias', host,
          '--init', '--stop-timeout', '2',
          '--publish', `127.0.0.1:${port}:22`,
          '--label', `runbook.fleet=${name}`,
          '--label', `runbook.fleet.host=${host}`,
          '--label', `runbook.fleet.dir=${dir}`,
          '--label', `runbook.fleet.port=${port}`,
          '--label', `runbook.fleet.config=${hostConfigHash(desired.common, dir, host)}`,
          '--mount', `type=bind,src=${path.join(dir, 'hostkeys', host)},dst=/etc/ssh/fleet,readonly`,
          '--mount', `type=bind,src=${path.join(dir, 'authorized_keys')},dst=/fleet/authorized_keys,readonly`,
          '--mount', `type=bind,src=${path.join(dir, 'init.sh')},dst=/fleet/init.sh,readonly`,
          '--mount', `type=bind,src=${runDir},dst=/fleet/state`,
        ];
        if (withDocker) {
          args.push(
            '--cap-add', 'ALL', '--cap-drop', 'SYS_RESOURCE',
            '--security-opt', 'seccomp=unconfined',
            '--security-opt', 'apparmor=unconfined',
            '--security-opt', 'systempaths=unconfined',
            '--mount', 'type=volume,dst=/var/lib/docker',
            '--mount', `type=bind,src=${bundle.file},dst=/fleet/app-images.tar,readonly`,
            '--env', 'FLEET_DOCKER=1',
            '--env', `FLEET_IMAGES=${APP_IMAGES.join(' ')}`,
          );
        }
        args.push(HOST_IMAGE);
        const r = await run('docker', args, { allowFail: true, timeoutMs: 120_000 });
        if (r.code === 0) return;
        await run('docker', ['rm', '-f', '-v', `${name}-${host}`], { allowFail: true });
        if (attempt < 5 && /port is already allocated|address already in use/i.test(r.stderr)) {
          ports.set(host, await nextPort());
          continue;
        }
        throw new Error(`docker run for ${name}-${host} failed:\n${r.stderr.trim()}`);
      }
    };
    await Promise.all(toCreate.map(createHost));

    // Record what we made, before waiting, so `status`/`down` see it.
    const inspected = new Map();
    await Promise.all(wanted.map(async (h) => inspected.set(h, await inspectContainer(`${name}-${h}`))));
    const hosts = wanted.map((h) => {
      const c = inspected.get(h);
      if (!c) throw new Error(`container ${name}-${h} vanished`);
      return { name: h, port: ports.get(h), address: c.NetworkSettings?.Networks?.[network]?.IPAddress || `${name}-${h}`, container: `${name}-${h}` };
    });
    /** @type {import('./fleet.d.mts').Fleet} */
    const fleet = {
      name,
      hosts,
      inventoryPath: path.join(dir, 'inventory.yml'),
      knownHostsPath: path.join(dir, 'known_hosts'),
      keyPath,
      user: 'root',
      sudoUser: SUDO_USER,
      dir,
      network,
      withDocker,
    };
    const knownHosts = hosts.map((h) => {
      const pub = fs.readFileSync(path.join(dir, 'hostkeys', h.name, 'ssh_host_ed25519_key.pub'), 'utf8').trim().split(/\s+/);
      return `[127.0.0.1]:${h.port} ${pub[0]} ${pub[1]}`;
    });
    await writeAtomic(fleet.knownHostsPath, `${knownHosts.join('\n')}\n`);
    await writeAtomic(fleet.inventoryPath, renderInventory(fleet));
    const state = { format: FLEET_FORMAT, configHash: desired.common, withDocker, fleet, containers: {} };
    await writeAtomic(path.join(dir, 'state.json'), `${JSON.stringify(state, null, 2)}\n`);

    // Wait: init's ready marker (sshd, rsyslog, inner dockerd + images), then a real login.
    const deadline = Date.now() + timeoutMs;
    await Promise.all(hosts.filter((h) => toCreate.includes(h.name)).map(async (h) => {
      const runDir = path.join(dir, 'run', h.name);
      for (;;) {
        if (fs.existsSync(path.join(runDir, 'error'))) {
          throw new Error(`host ${h.name} failed to boot: ${fs.readFileSync(path.join(runDir, 'error'), 'utf8').trim()}`);
        }
        if (fs.existsSync(path.join(runDir, 'ready'))) break;
        if (Date.now() > deadline) throw new Error(`host ${h.name} not ready after ${timeoutMs / 1000} s; see: docker logs ${h.container}`);
        await sleep(50);
      }
      // sshd was listening before `ready` was written: a few failures at most.
      for (let attempt = 1; ; attempt++) {
        const r = await ssh(fleet, h, 'true', { timeoutMs: 15_000 });
        if (r.code === 0) break;
        if (attempt >= 10 || Date.now() > deadline) {
          throw new Error(`ssh -p ${h.port} root@127.0.0.1 true fails on ${h.name} (exit ${r.code}): ${r.stderr.trim()}`);
        }
        await sleep(200);
      }
    }));

    const after = await Promise.all(wanted.map((h) => inspectContainer(`${name}-${h}`)));
    after.forEach((c, i) => {
      state.containers[wanted[i]] = { id: c.Id, startedAt: c.State.StartedAt };
    });
    await writeAtomic(path.join(dir, 'state.json'), `${JSON.stringify(state, null, 2)}\n`);
    if (toCreate.length > 0) log(`fleet ${name}: ${count} host(s) up in ${seconds(t0)} (inventory: ${fleet.inventoryPath})`);
    return fleet;
  });
}

/** Removes the fleet's containers (and their inner Docker volumes), network and state directory. */
export async function stopFleet(name = DEFAULT_FLEET_NAME) {
  checkName(name);
  await withLock(lockFile(`fleet-${name}`), async () => {
    const existing = await listFleetContainers(name);
    if (existing.length > 0) await run('docker', ['rm', '-f', '-v', ...existing.map((c) => c.Id)]);
    const netInfo = await dockerApi('GET', `/networks/${encodeURIComponent(`${name}-net`)}`);
    if (netInfo.status === 200) await run('docker', ['network', 'rm', `${name}-net`], { allowFail: true });
    await fsp.rm(path.join(FLEET_ROOT, name), { recursive: true, force: true });
  });
}

/** The recorded fleet and the live state of its containers (no changes made). */
export async function fleetStatus(name = DEFAULT_FLEET_NAME) {
  checkName(name);
  const dir = path.join(FLEET_ROOT, name);
  const state = readState(dir);
  const containers = await listFleetContainers(name);
  return {
    name,
    fleet: state?.fleet ?? null,
    containers: containers.map((c) => ({
      name: (c.Names?.[0] ?? '').replace(/^\//, ''),
      host: c.Labels?.['runbook.fleet.host'] ?? '',
      port: Number(c.Labels?.['runbook.fleet.port'] ?? 0),
      state: c.State,
      status: c.Status,
      ready: fs.existsSync(path.join(dir, 'run', c.Labels?.['runbook.fleet.host'] ?? '-', 'ready')),
    })),
  };
}

/** Names of fleets that have containers on this machine. */
export async function listFleets() {
  const filters = encodeURIComponent(JSON.stringify({ label: ['runbook.fleet'] }));
  const r = await dockerApi('GET', `/containers/json?all=1&filters=${filters}`);
  return [...new Set((r.json ?? []).map((c) => c.Labels['runbook.fleet']))].sort();
}
