#!/usr/bin/env node
// The raw floor as its own Node process: one persistent ssh2 connection per host, the given shell
// commands one after the other on each (one exec channel per command), hosts in parallel.
// Process start, connect and disconnect are part of what is measured; handshakes to one sshd
// are paced as runbook paces them (8 at once), and one dropped before the handshake is retried.
//
//   node bench/floor-ssh2.mjs SPEC.json
//
// SPEC: { key: path, hosts: [{ name, host, port, user, steps: [{ cmd, input?, inputFromPrev? }] }] }
// inputFromPrev: the step's stdin is the previous step's stdout. Exit 1 when any command fails.
import fs from 'node:fs';
import ssh2 from 'ssh2';

const spec = JSON.parse(fs.readFileSync(process.argv[2], 'utf8'));
const privateKey = fs.readFileSync(spec.key);

// At most this many handshakes at once per sshd (host:port), as runbook paces them: stock
// sshd's MaxStartups (10:30:100) drops connections beyond 10 unauthenticated ones.
const HANDSHAKES_PER_ENDPOINT = 8;
const waiting = new Map();
async function paced(key, fn) {
  let q = waiting.get(key);
  if (!q) waiting.set(key, (q = { active: 0, queue: [] }));
  if (q.active >= HANDSHAKES_PER_ENDPOINT) await new Promise((r) => q.queue.push(r));
  q.active++;
  try {
    return await fn();
  } finally {
    q.active--;
    q.queue.shift()?.();
  }
}

// A connection sshd dropped before the handshake (MaxStartups under load) is tried again, as
// runbook's transport does.
async function connect(h) {
  for (let attempt = 1; ; attempt++) {
    try {
      return await paced(`${h.host}:${h.port}`, () => connectNow(h));
    } catch (e) {
      if (attempt >= 5 || !/before handshake/.test(String(e?.message))) throw e;
      await new Promise((r) => setTimeout(r, 100 * attempt));
    }
  }
}

function connectNow(h) {
  return new Promise((resolve, reject) => {
    const c = new ssh2.Client();
    c.once('ready', () => resolve(c));
    c.once('error', reject);
    c.connect({ host: h.host, port: h.port, username: h.user, privateKey, readyTimeout: 20_000 });
  });
}

function exec(c, cmd, input) {
  return new Promise((resolve, reject) => {
    c.exec(cmd, (err, ch) => {
      if (err) return reject(err);
      const out = [];
      const errs = [];
      ch.on('data', (d) => out.push(d));
      ch.stderr.on('data', (d) => errs.push(d));
      ch.once('close', (code) => {
        if (code === 0) resolve(Buffer.concat(out).toString());
        else reject(new Error(`${cmd}: exit ${code}: ${Buffer.concat(errs).toString().trim()}`));
      });
      ch.end(input ?? '');
    });
  });
}

async function host(h) {
  const c = await connect(h);
  try {
    let prev = '';
    for (const s of h.steps) prev = await exec(c, s.cmd, s.inputFromPrev ? prev : s.input);
  } finally {
    c.end();
  }
}

const results = await Promise.allSettled(spec.hosts.map(host));
let bad = 0;
results.forEach((r, i) => {
  if (r.status === 'rejected') {
    bad++;
    console.error(`${spec.hosts[i].name}: ${r.reason?.message ?? r.reason}`);
  }
});
console.log(JSON.stringify({ hosts: spec.hosts.length, failed: bad }));
process.exit(bad ? 1 : 0);
