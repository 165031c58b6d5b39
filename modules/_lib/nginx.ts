/**
 * Pure pieces of nginx_lb: the site text, per-backend drain/enable edits of an existing site,
 * and the commands run on the host (exact argv, unit-tested).
 */
import type { Command } from '../../src/transport/types.js';

export type LbMethod = 'round_robin' | 'least_conn' | 'ip_hash';

export interface LbBackend {
  /** host:port (or a unix: path) as nginx's `server` takes it. */
  address: string;
  weight?: number;
  backup?: boolean;
  max_fails?: number;
  fail_timeout?: string;
  /** drained = `down`: kept in the upstream, sent no requests. */
  state?: 'active' | 'drained';
}

export interface SiteSpec {
  name: string;
  upstream: string;
  listen: string;
  server_name: string;
  method: LbMethod;
  max_fails?: number;
  fail_timeout?: string;
  proxy_next_upstream: string[];
  proxy_next_upstream_tries?: number;
  proxy_connect_timeout?: string;
  backends: LbBackend[];
}

/** `nginx -t`: test the whole configuration (the site file in place). */
export function nginxTestCommand(): string[] {
  return ['nginx', '-t'];
}

/** Graceful reload: the master re-reads the config, old workers finish their requests. */
export function nginxReloadCommand(): string[] {
  return ['nginx', '-s', 'reload'];
}

/**
 * Graceful reload that returns once it took effect: `nginx -s reload`, then wait (up to
 * $2 tenths of a second) until the master has a worker that was not there before and every
 * old worker is gone or "shutting down" (no longer accepting connections). When the master
 * rejects the new config (e.g. a port in use) no new worker appears: exit 1 with the tail of
 * the error log. $1 pid file, $2 tenths of a second, $3 error log.
 */
export const NGINX_RELOAD_SCRIPT = `master=$(cat -- "$1") || exit 1
workers() {
  for s in /proc/[0-9]*/stat; do
    read -r pid comm state ppid rest < "$s" 2>/dev/null || continue
    [ "$ppid" = "$master" ] && echo "$pid"
  done
}
old=" $(workers | tr '\\n' ' ') "
out=$(nginx -s reload 2>&1) || { rc=$?; printf '%s\\n' "$out" >&2; exit $rc; }
i=0
while [ "$i" -lt "$2" ]; do
  fresh=no
  for p in $(workers); do case $old in *" $p "*) ;; *) fresh=yes ;; esac; done
  if [ $fresh = yes ]; then
    busy=no
    for p in $old; do
      if [ -r "/proc/$p/cmdline" ] && ! tr '\\0' ' ' < "/proc/$p/cmdline" | grep -q 'shutting down'; then
        [ "$(cut -d' ' -f4 "/proc/$p/stat" 2>/dev/null)" = "$master" ] && busy=yes
      fi
    done
    [ $busy = no ] && exit 0
  fi
  i=$((i + 1))
  sleep 0.1
done
echo "nginx did not load the new configuration; last lines of $3:" >&2
tail -n 5 -- "$3" >&2 2>/dev/null
exit 1
`;

export function nginxReloadWaitCommand(pidFile = '/run/nginx.pid', tenths = 100, errorLog = '/var/log/nginx/error.log'): Command {
  return { script: NGINX_RELOAD_SCRIPT, args: [pidFile, String(tenths), errorLog] };
}

/** Start the master (it daemonizes itself). */
export function nginxStartCommand(): string[] {
  return ['nginx'];
}

/**
 * Prints `running` when the master in nginx's pid file is alive, else `stopped`.
 * $1 = pid file.
 */
export const NGINX_STATUS_SCRIPT = `pid=$(cat -- "$1" 2>/dev/null) || pid=
if [ -n "$pid" ] && kill -0 "$pid" 2>/dev/null; then echo running; else echo stopped; fi
`;

export function nginxStatusCommand(pidFile = '/run/nginx.pid'): Command {
  return { script: NGINX_STATUS_SCRIPT, args: [pidFile] };
}

/** Remove a file (the site when there was none before a failed test). */
export function removeFileCommand(path: string): string[] {
  return ['rm', '-f', '--', path];
}

/** Only what cannot break out of a directive: no `;`, braces, quotes or whitespace. */
const TOKEN = /^[^\s;{}'"#\\]+$/;

function token(what: string, v: string): string {
  if (!TOKEN.test(v)) throw new TypeError(`${what} '${v}' must be one nginx word (no spaces, ; { } quotes or #)`);
  return v;
}

export function serverLine(b: LbBackend, defaults: { max_fails?: number; fail_timeout?: string }): string {
  const parts = ['server', token('backend address', b.address)];
  if (b.weight !== undefined && b.weight !== 1) parts.push(`weight=${b.weight}`);
  const mf = b.max_fails ?? defaults.max_fails;
  if (mf !== undefined) parts.push(`max_fails=${mf}`);
  const ft = b.fail_timeout ?? defaults.fail_timeout;
  if (ft !== undefined) parts.push(`fail_timeout=${token('fail_timeout', ft)}`);
  if (b.backup) parts.push('backup');
  if (b.state === 'drained') parts.push('down');
  return `    ${parts.join(' ')};`;
}

/** The whole site file: one upstream and one server proxying to it. */
export function renderSite(s: SiteSpec): string {
  if (s.backends.length === 0) throw new TypeError(`site ${s.name}: the upstream has no backends`);
  const lines: string[] = [
    `# Managed by runbook (nginx_lb ${s.name}). Local edits are replaced.`,
    `upstream ${token('upstream', s.upstream)} {`,
  ];
  if (s.method === 'least_conn') lines.push('    least_conn;');
  if (s.method === 'ip_hash') lines.push('    ip_hash;');
  for (const b of s.backends) lines.push(serverLine(b, s));
  lines.push('}', '', 'server {');
  lines.push(`    listen ${token('listen', s.listen)};`);
  lines.push(`    server_name ${s.server_name.split(/\s+/).filter(Boolean).map((n) => token('server_name', n)).join(' ')};`);
  lines.push('    location / {');
  lines.push(`        proxy_pass http://${s.upstream};`);
  lines.push('        proxy_http_version 1.1;');
  lines.push('        proxy_set_header Connection "";');
  lines.push('        proxy_set_header Host $host;');
  lines.push('        proxy_set_header X-Real-IP $remote_addr;');
  lines.push('        proxy_set_header X-Forwarded-For $proxy_add_x_forwarded_for;');
  if (s.proxy_next_upstream.length > 0) {
    lines.push(`        proxy_next_upstream ${s.proxy_next_upstream.map((v) => token('proxy_next_upstream', v)).join(' ')};`);
  }
  if (s.proxy_next_upstream_tries !== undefined) lines.push(`        proxy_next_upstream_tries ${s.proxy_next_upstream_tries};`);
  if (s.proxy_connect_timeout !== undefined) {
    lines.push(`        proxy_connect_timeout ${token('proxy_connect_timeout', s.proxy_connect_timeout)};`);
  }
  lines.push('    }', '}', '');
  return lines.join('\n');
}

const SERVER_RE = /^(\s*server\s+)(\S+)([^;]*);(.*)$/;

/**
 * Set one backend's state in an existing site's upstream blocks: `drained` adds `down` to its
 * `server` line, `active` removes it. Returns the new text, or null when no `server` line
 * inside an `upstream` names that address. Other lines are kept byte for byte.
 */
export function setBackendState(text: string, address: string, state: 'active' | 'drained'): string | null {
  let depth = 0;
  let inUpstream = false;
  let found = false;
  const out = text.split('\n').map((line) => {
    const code = line.replace(/#.*/, '');
    if (depth === 0 && /^\s*upstream\s+\S+\s*\{/.test(code)) inUpstream = true;
    const before = depth;
    depth += (code.match(/\{/g)?.length ?? 0) - (code.match(/\}/g)?.length ?? 0);
    if (!inUpstream || before !== 1) {
      if (depth === 0) inUpstream = false;
      return line;
    }
    const m = SERVER_RE.exec(line);
    if (!m || m[2] !== address) return line;
    found = true;
    const params = m[3]!.split(/\s+/).filter((p) => p && p !== 'down');
    if (state === 'drained') params.push('down');
    return `${m[1]}${m[2]}${params.map((p) => ` ${p}`).join('')};${m[4]}`;
  });
  return found ? out.join('\n') : null;
}

/** Addresses of an upstream's `server` lines with their state, for results and messages. */
export function backendStates(text: string): Record<string, 'active' | 'drained'> {
  const out: Record<string, 'active' | 'drained'> = {};
  let depth = 0;
  let inUpstream = false;
  for (const line of text.split('\n')) {
    const code = line.replace(/#.*/, '');
    if (depth === 0 && /^\s*upstream\s+\S+\s*\{/.test(code)) inUpstream = true;
    const before = depth;
    depth += (code.match(/\{/g)?.length ?? 0) - (code.match(/\}/g)?.length ?? 0);
    if (inUpstream && before === 1) {
      const m = SERVER_RE.exec(line);
      if (m) out[m[2]!] = m[3]!.split(/\s+/).includes('down') ? 'drained' : 'active';
    }
    if (depth === 0) inUpstream = false;
  }
  return out;
}
