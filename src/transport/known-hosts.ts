/**
 * OpenSSH known_hosts: parsing, matching (plain, `[host]:port`, wildcard, negated and hashed
 * `|1|salt|hash` names), fingerprints as OpenSSH prints them, and appending new keys.
 */
import { createHash, createHmac } from 'node:crypto';
import { promises as fsp } from 'node:fs';
import path from 'node:path';

export interface KnownHostEntry {
  file: string;
  line: number;
  marker?: 'revoked' | 'cert-authority';
  /** Comma-separated patterns (plain entries). */
  patterns?: string[];
  /** Hashed entry: HMAC-SHA1(salt, name) = hash. */
  hashed?: { salt: Buffer; hash: Buffer };
  keyType: string;
  key: Buffer;
}

/** Parse the text of a known_hosts file. Malformed lines are skipped, as OpenSSH does. */
export function parseKnownHosts(text: string, file = 'known_hosts'): KnownHostEntry[] {
  const out: KnownHostEntry[] = [];
  const lines = text.split(/\r?\n/);
  for (let i = 0; i < lines.length; i++) {
    const raw = lines[i]!.trim();
    if (raw === '' || raw.startsWith('#')) continue;
    const fields = raw.split(/[ \t]+/);
    let marker: KnownHostEntry['marker'];
    if (fields[0]!.startsWith('@')) {
      const m = fields.shift()!.toLowerCase();
      if (m === '@revoked') marker = 'revoked';
      else if (m === '@cert-authority') marker = 'cert-authority';
      else continue;
    }
    if (fields.length < 3) continue;
    const [hosts, keyType, b64] = fields as [string, string, string];
    if (!/^[A-Za-z0-9+/]+={0,2}$/.test(b64)) continue;
    const key = Buffer.from(b64, 'base64');
    if (key.length < 8) continue;
    const entry: KnownHostEntry = { file, line: i + 1, keyType, key };
    if (marker) entry.marker = marker;
    if (hosts.startsWith('|1|')) {
      const parts = hosts.split('|');
      if (parts.length !== 4) continue;
      entry.hashed = { salt: Buffer.from(parts[2]!, 'base64'), hash: Buffer.from(parts[3]!, 'base64') };
    } else {
      entry.patterns = hosts.split(',').filter((p) => p !== '');
    }
    out.push(entry);
  }
  return out;
}

/** How a host is named in known_hosts: `host` on port 22, `[host]:port` otherwise. */
export function knownHostName(host: string, port: number): string {
  return port === 22 ? host.toLowerCase() : `[${host.toLowerCase()}]:${port}`;
}

/** OpenSSH wildcard match: `*` any run, `?` one character; case-insensitive. */
export function wildcardMatch(pattern: string, name: string): boolean {
  const p = pattern.toLowerCase();
  const s = name.toLowerCase();
  // Iterative glob with backtracking on the last `*`.
  let pi = 0;
  let si = 0;
  let star = -1;
  let mark = 0;
  while (si < s.length) {
    if (pi < p.length && (p[pi] === '?' || p[pi] === s[si])) {
      pi++;
      si++;
    } else if (pi < p.length && p[pi] === '*') {
      star = pi++;
      mark = si;
    } else if (star !== -1) {
      pi = star + 1;
      si = ++mark;
    } else {
      return false;
    }
  }
  while (pi < p.length && p[pi] === '*') pi++;
  return pi === p.length;
}

/** A comma list of patterns, any of which may be negated with `!` (a negated match wins). */
export function patternListMatch(patterns: readonly string[], name: string): boolean {
  let matched = false;
  for (const pat of patterns) {
    if (pat.startsWith('!')) {
      if (wildcardMatch(pat.slice(1), name)) return false;
    } else if (wildcardMatch(pat, name)) {
      matched = true;
    }
  }
  return matched;
}

export function entryMatchesHost(entry: KnownHostEntry, name: string): boolean {
  if (entry.hashed) {
    const h = createHmac('sha1', entry.hashed.salt).update(name).digest();
    return h.length === entry.hashed.hash.length && h.equals(entry.hashed.hash);
  }
  return patternListMatch(entry.patterns ?? [], name);
}

/** The key type named inside an SSH public key blob (e.g. `ssh-ed25519`). */
export function keyTypeOf(key: Buffer): string {
  if (key.length < 4) return 'unknown';
  const len = key.readUInt32BE(0);
  if (len > key.length - 4) return 'unknown';
  return key.subarray(4, 4 + len).toString('latin1');
}

/** `SHA256:base64-without-padding`, the way OpenSSH prints fingerprints. */
export function fingerprint(key: Buffer): string {
  return `SHA256:${createHash('sha256').update(key).digest('base64').replace(/=+$/, '')}`;
}

export type HostKeyVerdict =
  | { status: 'known'; entry: KnownHostEntry }
  | { status: 'unknown'; otherTypes: string[] }
  | { status: 'changed'; entries: KnownHostEntry[] }
  | { status: 'revoked'; entry: KnownHostEntry };

/** What the known entries say about `key` offered by the host called `name`. */
export function checkHostKey(entries: readonly KnownHostEntry[], name: string, key: Buffer): HostKeyVerdict {
  const type = keyTypeOf(key);
  let known: KnownHostEntry | undefined;
  const changed: KnownHostEntry[] = [];
  const otherTypes = new Set<string>();
  for (const e of entries) {
    if (e.marker === 'cert-authority') continue;
    if (!entryMatchesHost(e, name)) continue;
    if (e.marker === 'revoked') {
      if (e.key.equals(key)) return { status: 'revoked', entry: e };
      continue;
    }
    if (e.key.equals(key)) known ??= e;
    else if (keyTypeOf(e.key) === type) changed.push(e);
    else otherTypes.add(keyTypeOf(e.key));
  }
  // A key revoked for any host is refused even when listed as known elsewhere (checked above
  // for matching hosts; `@revoked *` is the usual form).
  if (known) return { status: 'known', entry: known };
  if (changed.length > 0) return { status: 'changed', entries: changed };
  return { status: 'unknown', otherTypes: [...otherTypes] };
}

/** Host key algorithms that produce keys of the given known types, for ordering the offer. */
export function hostKeyAlgorithmsFor(types: Iterable<string>): string[] {
  const out: string[] = [];
  for (const t of types) {
    if (t === 'ssh-rsa') out.push('rsa-sha2-512', 'rsa-sha2-256', 'ssh-rsa');
    else out.push(t);
  }
  return [...new Set(out)];
}

/** Key types known for `name` (unmarked entries only). */
export function knownTypesFor(entries: readonly KnownHostEntry[], name: string): string[] {
  const types = new Set<string>();
  for (const e of entries) if (!e.marker && entryMatchesHost(e, name)) types.add(keyTypeOf(e.key));
  return [...types];
}

export function knownHostLine(name: string, key: Buffer): string {
  return `${name} ${keyTypeOf(key)} ${key.toString('base64')}`;
}

/** Read and parse a known_hosts file; a missing file is an empty list. */
export async function readKnownHosts(file: string): Promise<KnownHostEntry[]> {
  try {
    return parseKnownHosts(await fsp.readFile(file, 'utf8'), file);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw e;
  }
}

/**
 * Append `name key` to the file unless an equal entry is already there. The line is written
 * in one `O_APPEND` write, so concurrent appenders never interleave within a line.
 */
export async function appendKnownHost(file: string, name: string, key: Buffer): Promise<boolean> {
  let text = '';
  try {
    text = await fsp.readFile(file, 'utf8');
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'ENOENT') throw e;
    await fsp.mkdir(path.dirname(file), { recursive: true, mode: 0o700 });
  }
  const verdict = checkHostKey(parseKnownHosts(text, file), name, key);
  if (verdict.status === 'known') return false;
  const lead = text.length > 0 && !text.endsWith('\n') ? '\n' : '';
  const fh = await fsp.open(file, 'a', 0o600);
  try {
    await fh.write(`${lead}${knownHostLine(name, key)}\n`);
  } finally {
    await fh.close();
  }
  return true;
}
