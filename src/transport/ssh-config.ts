/**
 * A small reader of OpenSSH client configuration (~/.ssh/config): `Host` blocks with `*`, `?`
 * and `!` patterns, `Include`, first-value-wins, and the options a push engine needs
 * (HostName, Port, User, IdentityFile, ProxyJump, UserKnownHostsFile, StrictHostKeyChecking,
 * ConnectTimeout, IdentitiesOnly). `Match` blocks are skipped (their conditions are not
 * evaluated), except `Match all`.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { expandTilde } from './common.js';
import { patternListMatch, wildcardMatch } from './known-hosts.js';

export interface SshHostConfig {
  hostName?: string;
  port?: number;
  user?: string;
  identityFiles: string[];
  identitiesOnly?: boolean;
  proxyJump?: string;
  userKnownHostsFiles?: string[];
  strictHostKeyChecking?: 'yes' | 'no' | 'accept-new';
  connectTimeoutMs?: number;
}

interface ConfigLine {
  /** Host patterns of the enclosing block; null = before any block (applies to all). */
  block: string[] | null | 'match-never';
  key: string;
  args: string[];
}

/** Split a config line into words: `Key Value`, `Key=Value` or `Key = Value`; double quotes group. */
export function splitConfigWords(line: string): string[] {
  const m = /^\s*([^\s=]+)\s*(?:=\s*|\s+|$)(.*)$/.exec(line);
  if (!m) return [];
  const words = [m[1]!];
  const rest = m[2] ?? '';
  let cur = '';
  let inWord = false;
  let quoted = false;
  for (const c of rest) {
    if (quoted) {
      if (c === '"') quoted = false;
      else cur += c;
    } else if (c === '"') {
      quoted = true;
      inWord = true;
    } else if (c === ' ' || c === '\t') {
      if (inWord) words.push(cur);
      cur = '';
      inWord = false;
    } else {
      cur += c;
      inWord = true;
    }
  }
  if (inWord) words.push(cur);
  return words;
}

function globFiles(pattern: string): string[] {
  const dir = path.dirname(pattern);
  const base = path.basename(pattern);
  if (!/[*?]/.test(base)) return fs.existsSync(pattern) ? [pattern] : [];
  try {
    return fs
      .readdirSync(dir)
      .filter((f) => wildcardMatch(base, f))
      .sort()
      .map((f) => path.join(dir, f));
  } catch {
    return [];
  }
}

/** Parse configuration text into lines tagged with their block (Includes read recursively). */
export function parseSshConfig(text: string, opts: { home?: string; depth?: number } = {}): ConfigLine[] {
  const home = opts.home ?? os.homedir();
  const depth = opts.depth ?? 0;
  const out: ConfigLine[] = [];
  let block: ConfigLine['block'] = null;
  for (const rawLine of text.split(/\r?\n/)) {
    const line = rawLine.trim();
    if (line === '' || line.startsWith('#')) continue;
    const words = splitConfigWords(line);
    if (words.length === 0) continue;
    const key = words[0]!.toLowerCase();
    const args = words.slice(1);
    if (key === 'host') {
      block = args;
      continue;
    }
    if (key === 'match') {
      block = args.length === 1 && args[0]!.toLowerCase() === 'all' ? ['*'] : 'match-never';
      continue;
    }
    if (key === 'include') {
      if (depth >= 8) continue;
      for (const arg of args) {
        const p = expandTilde(arg, home);
        const full = path.isAbsolute(p) ? p : path.join(home, '.ssh', p);
        for (const f of globFiles(full)) {
          let sub: string;
          try {
            sub = fs.readFileSync(f, 'utf8');
          } catch {
            continue;
          }
          // Included lines belong to the block the Include appears in.
          for (const l of parseSshConfig(sub, { home, depth: depth + 1 })) {
            out.push({ ...l, block: l.block === null ? block : block === null ? l.block : intersect(block, l.block) });
          }
        }
      }
      continue;
    }
    out.push({ block, key, args });
  }
  return out;
}

/** An Include inside a Host block whose file has its own Host blocks: both must match. */
function intersect(outer: ConfigLine['block'], inner: ConfigLine['block']): ConfigLine['block'] {
  if (outer === 'match-never' || inner === 'match-never') return 'match-never';
  if (outer === null) return inner;
  if (inner === null) return outer;
  // Approximation: keep the inner patterns (the outer block already matched when included
  // under it for the common case of `Host *` wrappers).
  return inner;
}

function applies(block: ConfigLine['block'], host: string): boolean {
  if (block === null) return true;
  if (block === 'match-never') return false;
  return patternListMatch(block, host);
}

function tokens(value: string, ctx: { host: string; port: number; user: string; home: string }): string {
  return value.replace(/%([%hpruLdn])/g, (_m, t: string) => {
    switch (t) {
      case '%':
        return '%';
      case 'h':
        return ctx.host;
      case 'n':
        return ctx.host;
      case 'p':
        return String(ctx.port);
      case 'r':
        return ctx.user;
      case 'u':
        return os.userInfo().username;
      case 'L':
        return os.hostname().split('.')[0] ?? '';
      case 'd':
        return ctx.home;
      default:
        return _m;
    }
  });
}

function parseStrict(v: string): SshHostConfig['strictHostKeyChecking'] {
  switch (v.toLowerCase()) {
    case 'yes':
    case 'ask':
      return 'yes';
    case 'no':
    case 'off':
      return 'no';
    case 'accept-new':
      return 'accept-new';
    default:
      return undefined;
  }
}

/** The options that apply to `host` (the name as typed, before HostName). */
export function resolveSshConfig(
  lines: readonly ConfigLine[],
  host: string,
  opts: { home?: string; port?: number; user?: string } = {},
): SshHostConfig {
  const home = opts.home ?? os.homedir();
  const seen = new Set<string>();
  const cfg: SshHostConfig = { identityFiles: [] };
  const rawIdentity: string[] = [];
  for (const l of lines) {
    if (!applies(l.block, host)) continue;
    const v = l.args[0];
    if (v === undefined) continue;
    if (l.key === 'identityfile') {
      rawIdentity.push(v);
      continue;
    }
    if (seen.has(l.key)) continue;
    seen.add(l.key);
    switch (l.key) {
      case 'hostname':
        cfg.hostName = v;
        break;
      case 'port': {
        const n = Number(v);
        if (Number.isInteger(n) && n > 0 && n < 65536) cfg.port = n;
        break;
      }
      case 'user':
        cfg.user = v;
        break;
      case 'proxyjump':
        cfg.proxyJump = v;
        break;
      case 'userknownhostsfile':
        cfg.userKnownHostsFiles = l.args;
        break;
      case 'stricthostkeychecking': {
        const s = parseStrict(v);
        if (s) cfg.strictHostKeyChecking = s;
        break;
      }
      case 'connecttimeout': {
        const n = Number(v);
        if (Number.isFinite(n) && n > 0) cfg.connectTimeoutMs = n * 1000;
        break;
      }
      case 'identitiesonly':
        cfg.identitiesOnly = v.toLowerCase() === 'yes';
        break;
      default:
        break;
    }
  }
  const ctx = {
    host: cfg.hostName ? tokens(cfg.hostName, { host, port: 22, user: '', home }) : host,
    port: opts.port ?? cfg.port ?? 22,
    user: opts.user ?? cfg.user ?? os.userInfo().username,
    home,
  };
  if (cfg.hostName) cfg.hostName = ctx.host;
  cfg.identityFiles = rawIdentity.map((f) => expandTilde(tokens(f, ctx), home));
  if (cfg.userKnownHostsFiles) {
    cfg.userKnownHostsFiles = cfg.userKnownHostsFiles.map((f) => expandTilde(tokens(f, ctx), home));
  }
  return cfg;
}

const cache = new Map<string, { mtimeMs: number; lines: ConfigLine[] }>();

/** Options for `host` from a config file (default ~/.ssh/config); none when it is missing. */
export function loadSshConfig(
  host: string,
  opts: { file?: string; home?: string; port?: number; user?: string } = {},
): SshHostConfig {
  const home = opts.home ?? os.homedir();
  const file = opts.file ?? path.join(home, '.ssh', 'config');
  let lines: ConfigLine[];
  try {
    const st = fs.statSync(file);
    const hit = cache.get(file);
    if (hit && hit.mtimeMs === st.mtimeMs) {
      lines = hit.lines;
    } else {
      lines = parseSshConfig(fs.readFileSync(file, 'utf8'), { home });
      cache.set(file, { mtimeMs: st.mtimeMs, lines });
    }
  } catch {
    return { identityFiles: [] };
  }
  return resolveSshConfig(lines, host, { home, ...(opts.port !== undefined ? { port: opts.port } : {}), ...(opts.user !== undefined ? { user: opts.user } : {}) });
}
