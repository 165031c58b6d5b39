#!/usr/bin/env node
// Transport numbers on the test fleet: connect time, exec latency on one connection, the
// throughput of concurrent execs on one host, put/get, unix-socket forwarding, and controller
// memory per open connection.
//
//   node --expose-gc bench/transport-bench.mjs            # uses (or starts) fleet "test"
//   node --expose-gc bench/transport-bench.mjs --json     # one JSON object instead of text
//
// It compiles src/transport (tsc) into node_modules/.cache/transport-bench first, so it works
// while other parts of the tree do not build. Traffic goes only to the fleet on 127.0.0.1.
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { startFleet } from '../test/fleet/fleet.mjs';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const OUT = path.join(ROOT, 'node_modules', '.cache', 'transport-bench');
const json = process.argv.includes('--json');
const log = (...a) => {
  if (!json) console.log(...a);
};

execFileSync(
  path.join(ROOT, 'node_modules', '.bin', 'tsc'),
  ['--outDir', OUT, '--rootDir', ROOT, '--module', 'nodenext', '--moduleResolution', 'nodenext', '--target', 'es2022',
    '--strict', '--skipLibCheck', '--types', 'node', '--declaration', 'false', path.join(ROOT, 'src/transport/index.ts')],
  { stdio: 'inherit', cwd: ROOT },
);
fs.writeFileSync(path.join(OUT, 'package.json'), '{"type":"module"}');
const { SshTransport, connectionSpecFromVars } = await import(pathToFileURL(path.join(OUT, 'src/transport/index.js')).href);

const fleet = await startFleet({ name: process.env.RUNBOOK_FLEET_NAME || 'test', count: 4, withDocker: true, ifUsedElsewhere: 'suffix', log: () => {} });
const specFor = (host, user = fleet.user) =>
  connectionSpecFromVars(host.name, {
    ansible_host: '127.0.0.1',
    ansible_port: host.port,
    ansible_user: user,
    ansible_ssh_private_key_file: fleet.keyPath,
    ansible_ssh_common_args: `-o UserKnownHostsFile=${fleet.knownHostsPath} -o StrictHostKeyChecking=yes`,
  });
const open = (host, opts = {}, user) => new SshTransport(specFor(host, user), { sshConfigFile: false, ...opts });

const pct = (xs, p) => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor((p / 100) * s.length))];
};
const ms = (x) => Number(x.toFixed(2));
const results = {};
const h1 = fleet.hosts[0];

// Controller memory per open connection: RSS and heap delta over 20 connections, measured
// first (after one warm-up connection) so that earlier benchmarks' garbage does not blur it.
{
  const gc = globalThis.gc ?? (() => {});
  const warm = open(h1);
  await warm.exec(['true']);
  await warm.close();
  gc();
  await new Promise((r) => setTimeout(r, 200));
  gc();
  const before = process.memoryUsage();
  const ts = [];
  for (let i = 0; i < 20; i++) ts.push(open(fleet.hosts[i % fleet.hosts.length]));
  // 5 per host at a time keeps under sshd's MaxStartups without relying on retries.
  for (let i = 0; i < ts.length; i += fleet.hosts.length) await Promise.all(ts.slice(i, i + fleet.hosts.length).map((t) => t.connect()));
  await Promise.all(ts.map((t) => t.exec(['true'])));
  gc();
  await new Promise((r) => setTimeout(r, 200));
  gc();
  const after = process.memoryUsage();
  const perRss = (after.rss - before.rss) / 20 / 1024;
  const perHeap = (after.heapUsed - before.heapUsed) / 20 / 1024;
  results.memoryPerConnectionKiB = { rss: Math.round(perRss), heapUsed: Math.round(perHeap), gc: Boolean(globalThis.gc) };
  log(`memory per open connection: RSS +${Math.round(perRss)} KiB, heap +${Math.round(perHeap)} KiB (20 connections${globalThis.gc ? '' : '; run with --expose-gc for steadier numbers'})`);
  await Promise.all(ts.map((t) => t.close()));
}

// Connect time: fresh transport → ready (known_hosts read, handshake, key auth).
{
  const times = [];
  for (let i = 0; i < 15; i++) {
    const t = open(fleet.hosts[i % fleet.hosts.length]);
    const t0 = performance.now();
    await t.connect();
    times.push(performance.now() - t0);
    await t.close();
  }
  results.connectMs = { p50: ms(pct(times, 50)), min: ms(Math.min(...times)), max: ms(Math.max(...times)) };
  log(`connect: p50 ${results.connectMs.p50} ms (min ${results.connectMs.min}, max ${results.connectMs.max}; 15 fresh connections)`);
}

// Exec latency: 200 sequential `true` on one connection.
for (const user of [fleet.user, fleet.sudoUser]) {
  const t = open(h1, {}, user);
  await t.connect();
  for (let i = 0; i < 10; i++) await t.exec(['true']);
  const lat = [];
  const t0 = performance.now();
  for (let i = 0; i < 200; i++) {
    const s = performance.now();
    const r = await t.exec(['true']);
    if (r.exitCode !== 0) throw new Error(`exec failed: ${JSON.stringify(r)}`);
    lat.push(performance.now() - s);
  }
  const total = performance.now() - t0;
  results[`seq200_${user}`] = { totalMs: ms(total), p50: ms(pct(lat, 50)), p90: ms(pct(lat, 90)), p99: ms(pct(lat, 99)) };
  log(`200 sequential \`true\` as ${user}: ${ms(total)} ms total, p50 ${ms(pct(lat, 50))} ms, p90 ${ms(pct(lat, 90))} ms, p99 ${ms(pct(lat, 99))} ms`);
  await t.close();
}

// Baseline: the same 200 sequential execs with bare ssh2 (no quoting, pooling or checks).
{
  const { default: ssh2 } = await import('ssh2');
  const c = new ssh2.Client();
  await new Promise((resolve, reject) => {
    c.on('ready', resolve).on('error', reject);
    c.connect({ host: '127.0.0.1', port: h1.port, username: fleet.user, privateKey: fs.readFileSync(fleet.keyPath) });
  });
  c.setNoDelay(true);
  const once = () =>
    new Promise((resolve, reject) =>
      c.exec('true', (e, st) => {
        if (e) return reject(e);
        st.on('close', resolve);
        st.resume();
        st.stderr.resume();
        st.end();
      }),
    );
  for (let i = 0; i < 10; i++) await once();
  const lat = [];
  const t0 = performance.now();
  for (let i = 0; i < 200; i++) {
    const s = performance.now();
    await once();
    lat.push(performance.now() - s);
  }
  results.seq200_rawSsh2 = { totalMs: ms(performance.now() - t0), p50: ms(pct(lat, 50)), p90: ms(pct(lat, 90)) };
  log(`baseline, bare ssh2: ${results.seq200_rawSsh2.totalMs} ms total, p50 ${results.seq200_rawSsh2.p50} ms, p90 ${results.seq200_rawSsh2.p90} ms`);
  c.end();
}

// Throughput: N concurrent execs on one host, with 1 or 2 connections allowed.
for (const maxConnections of [1, 2]) {
  for (const n of [50, 200]) {
    const t = open(h1, { maxConnections });
    await t.connect();
    const t0 = performance.now();
    const rs = await Promise.all(Array.from({ length: n }, (_, i) => t.exec(['echo', String(i)])));
    const wall = performance.now() - t0;
    rs.forEach((r, i) => {
      if (r.exitCode !== 0 || r.stdout !== `${i}\n`) throw new Error(`exec ${i} failed: ${JSON.stringify(r)}`);
    });
    const key = `concurrent${n}_conn${maxConnections}`;
    results[key] = { wallMs: ms(wall), perSec: Math.round((n / wall) * 1000), connections: t.stats().connections };
    log(`${n} concurrent execs, max ${maxConnections} connection(s): ${ms(wall)} ms (${results[key].perSec}/s, used ${results[key].connections})`);
    await t.close();
  }
}

// put/get round trips (1 KiB) and a docker.sock ping through a forwarded unix socket.
{
  const t = open(h1);
  await t.connect();
  const body = Buffer.alloc(1024, 'x');
  const puts = [];
  const gets = [];
  for (let i = 0; i < 30; i++) {
    let s = performance.now();
    await t.put('/tmp/transport-bench.txt', body);
    puts.push(performance.now() - s);
    s = performance.now();
    await t.get('/tmp/transport-bench.txt');
    gets.push(performance.now() - s);
  }
  results.put1k = { p50: ms(pct(puts, 50)) };
  results.get1k = { p50: ms(pct(gets, 50)) };
  log(`put 1 KiB: p50 ${results.put1k.p50} ms; get 1 KiB: p50 ${results.get1k.p50} ms`);
  if (fleet.withDocker) {
    const pings = [];
    for (let i = 0; i < 20; i++) {
      const s = performance.now();
      const sock = await t.forwardUnixSocket('/var/run/docker.sock');
      const chunks = [];
      sock.on('data', (d) => chunks.push(d));
      await new Promise((r) => {
        sock.on('end', r);
        sock.write('GET /_ping HTTP/1.1\r\nHost: docker\r\nConnection: close\r\n\r\n');
      });
      if (!Buffer.concat(chunks).toString().endsWith('OK')) throw new Error('docker ping failed');
      pings.push(performance.now() - s);
    }
    results.dockerPing = { p50: ms(pct(pings, 50)) };
    log(`docker /_ping over a forwarded unix socket (new channel each): p50 ${results.dockerPing.p50} ms`);
  }
  await t.close();
}

if (json) console.log(JSON.stringify(results, null, 2));
