/**
 * The SSH transport (the only file that imports ssh2).
 *
 * One pooled connection per host, a second one only when many commands wait for channels.
 * Each connection carries at most `channelsPerConnection` sessions at once (OpenSSH's
 * MaxSessions 10 frees slots late, so ~4 is the safe number); the rest wait in a queue, and a
 * "Channel open failure" is retried after a short pause. Unix-socket forwards do not count
 * toward that limit. Every client, socket and channel has an 'error' handler: a host that
 * goes away becomes a ConnectionError, never an uncaught exception.
 */
import { randomBytes } from 'node:crypto';
import { readFileSync, statSync } from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { Duplex } from 'node:stream';
import { createRequire } from 'node:module';
import type {
  AnyAuthMethod,
  ClientChannel,
  ConnectConfig,
  KexAlgorithm,
  ParsedKey,
  ServerHostKeyAlgorithm,
  Client as SshClient,
} from 'ssh2';
import { ConnectionError } from '../core/errors.js';
import { checkPut, currentUser, expandTilde, getResult, onAbortOnce, toExecResult, type RawResult } from './common.js';
import { DEFAULT_CONNECT_TIMEOUT_MS } from './connection-spec.js';
import { fitsInline, getCommand, inlinePutCommand, putCommand } from './file-scripts.js';
import {
  appendKnownHost,
  checkHostKey,
  fingerprint,
  hostKeyAlgorithmsFor,
  keyTypeOf,
  knownHostName,
  knownTypesFor,
  readKnownHosts,
  type KnownHostEntry,
} from './known-hosts.js';
import { fusedNonce, fusedScript, guardExpect, splitFused, splitSteps, stepsScript, type StepLines } from './fused.js';
import { RemoteShell } from './remote-shell.js';
import { commandLine, KILL_AFTER_S, quote, shellLine, type CommandLineOptions } from './quote.js';
import { HandshakePacer, sharedHandshakePacer } from './pacer.js';
import { loadSshConfig } from './ssh-config.js';
import type {
  Become,
  Command,
  ConnectionSpec,
  ExecOptions,
  ExecResult,
  FirstStep,
  FusedStep,
  GetOptions,
  PutOptions,
  ReadStep,
  StepResult,
  StepsRun,
  Transport,
} from './types.js';

/** ssh2 is loaded on the first connection or key parse, so commands that reach no SSH host skip its ~90 ms import. */
let ssh2Module: typeof import('ssh2') | undefined;
function ssh2(): typeof import('ssh2') {
  return (ssh2Module ??= createRequire(import.meta.url)('ssh2') as typeof import('ssh2'));
}

export interface SshTransportOptions {
  /** Concurrent sessions per connection (default 4). */
  channelsPerConnection?: number;
  /** Connections per host (default 2); more are opened only while commands wait for a channel. */
  maxConnections?: number;
  /** SSH keepalive interval (default 15 s; 0 disables). */
  keepaliveIntervalMs?: number;
  /** Connect attempts for transient failures (default 4). */
  connectAttempts?: number;
  /** OpenSSH client config to honour (default ~/.ssh/config; false = none). */
  sshConfigFile?: string | false;
  /** Home folder for ~/.ssh defaults (default os.homedir()). */
  home?: string;
  /** Extra wait (ms) for a timed-out command's host-side kill before the channel is closed. */
  killGraceMs?: number;
  /**
   * Paces handshakes per sshd endpoint (default: one pacer shared by the process, 8 in flight
   * per address:port, below sshd's stock MaxStartups 10).
   */
  handshakePacer?: HandshakePacer;
  /**
   * Run commands without stdin or a time limit in one long-lived `sh` per host instead of a
   * session each (default true; RUNBOOK_SSH_SHELL=0 turns it off).
   */
  persistentShell?: boolean;
}

/** One SSH hop: where to connect and how to log in. */
interface Endpoint {
  /** Name used in messages and known_hosts lookups (the address actually connected). */
  address: string;
  port: number;
  user: string;
  identityFiles: string[];
  password?: string;
}

interface Target {
  endpoint: Endpoint;
  jumps: Endpoint[];
  knownHostsFiles: string[];
  /** Where accept-new writes. */
  knownHostsWrite: string;
  strict: ConnectionSpec['strictHostKeyChecking'];
  connectTimeoutMs: number;
}

interface Conn {
  id: number;
  client: SshClient;
  jumps: SshClient[];
  active: number;
  limit: number;
  okStreak: number;
  closed: boolean;
}

interface Waiter {
  resolve: (c: Conn) => void;
  reject: (e: unknown) => void;
}

const KEX: KexAlgorithm[] = [
  'curve25519-sha256',
  'curve25519-sha256@libssh.org',
  'ecdh-sha2-nistp256',
  'ecdh-sha2-nistp384',
  'ecdh-sha2-nistp521',
  'diffie-hellman-group-exchange-sha256',
  'diffie-hellman-group14-sha256',
  'diffie-hellman-group16-sha512',
  'diffie-hellman-group18-sha512',
];

const HOST_KEY_ALGOS: ServerHostKeyAlgorithm[] = [
  'ssh-ed25519',
  'ecdsa-sha2-nistp256',
  'ecdsa-sha2-nistp384',
  'ecdsa-sha2-nistp521',
  'rsa-sha2-512',
  'rsa-sha2-256',
  'ssh-rsa',
];

const DEFAULT_KEYS = ['id_ed25519', 'id_rsa', 'id_ecdsa'];

/**
 * Longest runSteps script, quoted: sshd hands a session's command to the login shell as one
 * argument, which Linux caps at 128 KiB (the script goes to a session of its own when the
 * long-lived shell is busy).
 */
const MAX_STEPS_SCRIPT = 100_000;

/**
 * What the long-lived shell runs first: who it is, once, for the file facts script (it prints
 * `$rb_me` instead of running `id` for every read). The shell's identity cannot change while it
 * lives, and the variable is not exported, so a read run through sudo runs `id` itself.
 */
const SHELL_INIT = 'rb_me=$(id 2>/dev/null)';

/** A command's text for a session of its own (the login shell runs it) and for the long-lived sh. */
interface LineChoice {
  login: () => string;
  sh: () => string;
}

/** A script of runbook's (fused.ts), in sh whatever the login shell is: it uses $? and printf. */
function scriptLines(script: string): LineChoice {
  return { login: () => `exec sh -c ${quote(script)}`, sh: () => script };
}

/** The unguessable part of a put's temp file name (the put script creates it exclusively). */
function tempSuffix(): string {
  return randomBytes(6).toString('hex');
}


/** `[user@]host[:port]`, `[user@][v6addr]:port` or `ssh://[user@]host[:port]`. */
export function parseJumpHost(s: string): { user?: string; host: string; port?: number } {
  let rest = s.trim().replace(/^ssh:\/\//, '');
  let user: string | undefined;
  const at = rest.lastIndexOf('@');
  if (at >= 0) {
    user = rest.slice(0, at);
    rest = rest.slice(at + 1);
  }
  let host = rest;
  let port: number | undefined;
  const v6 = /^\[([^\]]+)\](?::(\d+))?$/.exec(rest);
  if (v6) {
    host = v6[1]!;
    if (v6[2]) port = Number(v6[2]);
  } else {
    const m = /^([^:]+):(\d+)$/.exec(rest);
    if (m) {
      host = m[1]!;
      port = Number(m[2]);
    }
  }
  return { ...(user ? { user } : {}), host, ...(port !== undefined ? { port } : {}) };
}

const keyCache = new Map<string, { mtimeMs: number; key: ParsedKey | Error }>();

/** A private key from a file, or an Error saying why it cannot be used; undefined if absent. */
function loadKey(file: string): ParsedKey | Error | undefined {
  let st;
  try {
    st = statSync(file);
  } catch {
    return undefined;
  }
  const hit = keyCache.get(file);
  if (hit && hit.mtimeMs === st.mtimeMs) return hit.key;
  let key: ParsedKey | Error;
  try {
    const parsed = ssh2().utils.parseKey(readFileSync(file));
    key = Array.isArray(parsed) ? (parsed[0] as ParsedKey) : parsed;
  } catch (e) {
    key = e instanceof Error ? e : new Error(String(e));
  }
  keyCache.set(file, { mtimeMs: st.mtimeMs, key });
  return key;
}

function delay(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) return reject(signal.reason);
    const t = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    const onAbort = () => {
      clearTimeout(t);
      reject(signal!.reason);
    };
    if (signal) onAbortOnce(signal, onAbort);
  });
}

function errCode(e: unknown): string | undefined {
  const c = (e as { code?: unknown })?.code;
  return typeof c === 'string' ? c : undefined;
}

function errLevel(e: unknown): string | undefined {
  const l = (e as { level?: unknown })?.level;
  return typeof l === 'string' ? l : undefined;
}

function errMessage(e: unknown): string {
  return e instanceof Error ? e.message : String(e);
}

/** A failed channel open that is worth retrying: the server is short of sessions right now. */
function isChannelShortage(e: unknown): boolean {
  const reason = (e as { reason?: unknown })?.reason;
  if (reason === 2 || reason === 4) return true;
  return /channel open failure|administratively prohibited|open failed|resource shortage/i.test(errMessage(e));
}

/**
 * An exec that failed before its request reached the server, so running it on a new
 * connection cannot run it twice: ssh2 says "Not connected" when the socket was already gone,
 * and "No response from server" / "Channel is not open" while the channel was still being
 * opened. Once the exec request is sent, a lost connection reads "Unable to exec": the command
 * may have started, so that is never retried.
 */
export function execNeverSent(e: unknown): boolean {
  return /not connected|no response from server|channel is not open/i.test(errMessage(e));
}

/** Give a channel the socket methods Node's http.Agent calls on its connections. */
function socketShims(stream: Duplex): Duplex {
  const s = stream as Duplex & Record<string, unknown>;
  let idle: NodeJS.Timeout | undefined;
  let idleMs = 0;
  const arm = () => {
    if (idle) clearTimeout(idle);
    idle = idleMs > 0 ? setTimeout(() => stream.emit('timeout'), idleMs) : undefined;
  };
  if (typeof s.setKeepAlive !== 'function') s.setKeepAlive = () => stream;
  if (typeof s.setNoDelay !== 'function') s.setNoDelay = () => stream;
  if (typeof s.ref !== 'function') s.ref = () => stream;
  if (typeof s.unref !== 'function') s.unref = () => stream;
  if (typeof s.setTimeout !== 'function') {
    s.setTimeout = (ms: number, cb?: () => void) => {
      idleMs = ms;
      if (cb) stream.once('timeout', cb);
      arm();
      return stream;
    };
    stream.on('data', () => idleMs > 0 && arm());
    stream.on('close', () => idle && clearTimeout(idle));
  }
  return stream;
}

let connSeq = 0;

export class SshTransport implements Transport {
  readonly host: string;
  private readonly opts: Required<Omit<SshTransportOptions, 'sshConfigFile' | 'handshakePacer'>> & { sshConfigFile: string | false | undefined };
  private shell: RemoteShell | undefined;
  private shellOpening: Promise<RemoteShell | undefined> | undefined;
  private readonly pacer: HandshakePacer;
  private resolved: Target | undefined;
  private conns: Conn[] = [];
  private connecting: Promise<Conn> | undefined;
  private waiters: Waiter[] = [];
  private maxConns: number;
  private closed = false;
  /** Connect attempts that failed in a way worth retrying (e.g. dropped by sshd's MaxStartups). */
  private handshakeRetries = 0;

  constructor(
    readonly spec: ConnectionSpec,
    options: SshTransportOptions = {},
  ) {
    this.host = spec.host;
    this.opts = {
      channelsPerConnection: options.channelsPerConnection ?? 4,
      maxConnections: options.maxConnections ?? 2,
      keepaliveIntervalMs: options.keepaliveIntervalMs ?? 15_000,
      connectAttempts: options.connectAttempts ?? 4,
      sshConfigFile: options.sshConfigFile,
      home: options.home ?? os.homedir(),
      killGraceMs: options.killGraceMs ?? 3_000,
      persistentShell: options.persistentShell ?? process.env.RUNBOOK_SSH_SHELL !== '0',
    };
    this.maxConns = Math.max(1, this.opts.maxConnections);
    this.pacer = options.handshakePacer ?? sharedHandshakePacer;
  }

  /** The login user (after ~/.ssh/config), e.g. to decide whether become needs sudo. */
  get user(): string {
    return this.target().endpoint.user;
  }

  /** Connection settings after ~/.ssh/config, resolved once. */
  private target(): Target {
    if (this.resolved) return this.resolved;
    const { spec } = this;
    const home = this.opts.home;
    const cfgFile = this.opts.sshConfigFile;
    const readCfg = (host: string, port?: number, user?: string) =>
      cfgFile === false
        ? { identityFiles: [] as string[] }
        : loadSshConfig(host, {
            home,
            ...(cfgFile ? { file: cfgFile } : {}),
            ...(port !== undefined ? { port } : {}),
            ...(user !== undefined ? { user } : {}),
          });
    const defaultKeys = DEFAULT_KEYS.map((k) => path.join(home, '.ssh', k));
    const cfg = readCfg(spec.address, spec.port !== 22 ? spec.port : undefined, spec.user);
    const explicitKey = spec.privateKeyFile ? [expandTilde(spec.privateKeyFile, home)] : [];
    const endpoint: Endpoint = {
      address: cfg.hostName ?? spec.address,
      port: spec.port !== 22 ? spec.port : (cfg.port ?? 22),
      user: spec.user ?? cfg.user ?? currentUser(),
      identityFiles:
        explicitKey.length > 0
          ? explicitKey
          : cfg.identityFiles.length > 0
            ? cfg.identityFiles
            : defaultKeys,
      ...(spec.password !== undefined ? { password: spec.password } : {}),
    };
    const jumpSpec = spec.proxyJump ?? cfg.proxyJump;
    const jumps: Endpoint[] = [];
    if (jumpSpec && jumpSpec.toLowerCase() !== 'none') {
      for (const hop of jumpSpec.split(',')) {
        const j = parseJumpHost(hop);
        const jc = readCfg(j.host, j.port, j.user);
        jumps.push({
          address: jc.hostName ?? j.host,
          port: j.port ?? jc.port ?? 22,
          user: j.user ?? jc.user ?? currentUser(),
          identityFiles: [...new Set([...(jc.identityFiles.length > 0 ? jc.identityFiles : defaultKeys), ...explicitKey])],
        });
      }
    }
    const userFiles = spec.knownHostsFile
      ? [expandTilde(spec.knownHostsFile, home)]
      : (cfg.userKnownHostsFiles ?? [path.join(home, '.ssh', 'known_hosts'), path.join(home, '.ssh', 'known_hosts2')]);
    this.resolved = {
      endpoint,
      jumps,
      knownHostsFiles: [...userFiles, '/etc/ssh/ssh_known_hosts'],
      knownHostsWrite: userFiles[0]!,
      strict: spec.strictHostKeyChecking,
      connectTimeoutMs: spec.connectTimeoutMs > 0 ? spec.connectTimeoutMs : DEFAULT_CONNECT_TIMEOUT_MS,
    };
    return this.resolved;
  }

  /**
   * Open connections, channels running a command (the long-lived shell counts only while it
   * runs one), commands waiting for a channel (for tests and tuning).
   */
  stats(): { connections: number; activeChannels: number; queued: number; handshakeRetries: number; shell: boolean } {
    const live = this.liveConns();
    const idleShell = this.shell?.idle ? 1 : 0;
    return {
      connections: live.length,
      activeChannels: live.reduce((n, c) => n + c.active, 0) - idleShell,
      shell: this.shell?.open ?? false,
      queued: this.waiters.length,
      handshakeRetries: this.handshakeRetries,
    };
  }

  // ---------------------------------------------------------------- connections

  async connect(): Promise<void> {
    if (this.closed) throw new ConnectionError(this.host, 'transport is closed');
    if (this.conns.some((c) => !c.closed)) return;
    await this.startConnect();
  }

  private startConnect(): Promise<Conn> {
    if (this.connecting) return this.connecting;
    const p = this.openConn().then(
      (conn) => {
        this.connecting = undefined;
        if (this.closed) {
          this.destroyConn(conn);
          throw new ConnectionError(this.host, 'transport is closed');
        }
        this.conns.push(conn);
        this.pump();
        return conn;
      },
      (err: unknown) => {
        this.connecting = undefined;
        if (this.liveConns().length === 0) {
          // Nothing to run on: everyone waiting fails with the reason.
          const waiters = this.waiters.splice(0);
          for (const w of waiters) w.reject(err);
        } else {
          // An extra connection failed; carry on with those we have.
          this.maxConns = Math.max(1, this.liveConns().length);
        }
        throw err;
      },
    );
    this.connecting = p;
    // Callers that only trigger growth don't await; keep the rejection handled.
    p.catch(() => {});
    return p;
  }

  private liveConns(): Conn[] {
    return this.conns.filter((c) => !c.closed);
  }

  private async openConn(): Promise<Conn> {
    const t = this.target();
    const jumps: SshClient[] = [];
    try {
      let via: SshClient | undefined;
      const hops = [...t.jumps, t.endpoint];
      let client: SshClient | undefined;
      for (const hop of hops) {
        const prev = via;
        const c = await this.connectWithRetry(
          hop,
          prev ? () => forwardOut(prev, hop, this.host) : () => Promise.resolve(undefined),
        );
        if (hop !== t.endpoint) {
          jumps.push(c);
          via = c;
        } else {
          client = c;
        }
      }
      const conn: Conn = {
        id: ++connSeq,
        client: client!,
        jumps,
        active: 0,
        limit: Math.max(1, this.opts.channelsPerConnection),
        okStreak: 0,
        closed: false,
      };
      const onGone = () => {
        if (conn.closed) return;
        conn.closed = true;
        this.conns = this.conns.filter((c) => c !== conn);
        for (const j of conn.jumps) j.end();
        // Commands still waiting get a fresh connection.
        if (this.waiters.length > 0 && !this.closed) this.startConnect().catch(() => {});
      };
      conn.client.on('close', onGone);
      conn.client.on('end', onGone);
      for (const j of jumps) j.on('close', () => conn.client.end());
      return conn;
    } catch (e) {
      for (const j of jumps) j.end();
      throw e;
    }
  }

  private destroyConn(conn: Conn): void {
    conn.closed = true;
    try {
      conn.client.end();
    } catch {
      /* already gone */
    }
    for (const j of conn.jumps) {
      try {
        j.end();
      } catch {
        /* already gone */
      }
    }
  }

  private async connectWithRetry(ep: Endpoint, makeSock: () => Promise<Duplex | undefined>): Promise<SshClient> {
    const attempts = Math.max(1, this.opts.connectAttempts);
    let last: ConnectionError | undefined;
    for (let i = 0; i < attempts; i++) {
      if (i > 0) await delay(150 * 3 ** (i - 1) + Math.random() * 100);
      if (this.closed) throw new ConnectionError(this.host, 'transport is closed');
      try {
        // A slot per sshd endpoint from the TCP connect to the end of the login; none while backing off.
        return await this.pacer.run(`${ep.address}:${ep.port}`, async () => this.connectOnce(ep, await makeSock()));
      } catch (e) {
        // A server that took the connection and never answered: the others queued for it need not wait in turn.
        if (errLevel(e) === 'client-timeout' || errCode(e) === 'ETIMEDOUT') this.pacer.unpace(`${ep.address}:${ep.port}`);
        const { error, retry } = this.classify(e, ep);
        last = error;
        if (!retry) throw error;
        this.handshakeRetries++;
      }
    }
    if (attempts === 1) throw last!;
    throw new ConnectionError(this.host, `${last!.message.replace(`${this.host}: `, '')} (after ${attempts} attempts)`, {
      cause: last,
    });
  }

  /** A ConnectionError for a failed connect, and whether trying again may help. */
  private classify(e: unknown, ep: Endpoint): { error: ConnectionError; retry: boolean } {
    if (e instanceof ConnectionError) return { error: e, retry: false };
    const where = `${ep.address}:${ep.port}`;
    const code = errCode(e);
    const level = errLevel(e);
    const msg = errMessage(e);
    const mk = (m: string, retry: boolean) => ({ error: new ConnectionError(this.host, m, { cause: e }), retry });
    switch (code) {
      case 'ECONNREFUSED':
        return mk(`connection refused by ${where} (no SSH server listening on that port?)`, false);
      case 'ENOTFOUND':
        return mk(`cannot resolve host name '${ep.address}'`, false);
      case 'EAI_AGAIN':
        return mk(`temporary failure resolving host name '${ep.address}'`, true);
      case 'EHOSTUNREACH':
      case 'ENETUNREACH':
        return mk(`no route to ${where}`, false);
      case 'ETIMEDOUT':
        return mk(`timed out connecting to ${where}`, false);
      case 'ECONNRESET':
      case 'EPIPE':
        return mk(`connection reset by ${where} during the SSH handshake (server busy, e.g. MaxStartups?)`, true);
      default:
        break;
    }
    if (level === 'client-timeout') {
      return mk(`timed out after ${this.target().connectTimeoutMs} ms waiting for the SSH handshake with ${where}`, false);
    }
    if (level === 'client-authentication') {
      return mk(`authentication failed for user '${ep.user}' at ${where} (${msg})`, false);
    }
    if (/connection lost before handshake|connection closed during handshake|kex_exchange_identification|socket ended/i.test(msg)) {
      return mk(`connection closed by ${where} during the SSH handshake (server busy, e.g. MaxStartups?)`, true);
    }
    if (level === 'protocol' || level === 'handshake') {
      return mk(`SSH handshake with ${where} failed: ${msg}`, true);
    }
    return mk(`cannot connect to ${where}: ${msg}`, false);
  }

  /** The ordered login methods of an endpoint, and a description for error messages. */
  private authMethods(ep: Endpoint): { methods: AnyAuthMethod[]; tried: string[] } {
    const methods: AnyAuthMethod[] = [];
    const tried: string[] = [];
    for (const file of ep.identityFiles) {
      const key = loadKey(file);
      if (key === undefined) continue;
      if (key instanceof Error) {
        tried.push(`${file} unusable: ${key.message}`);
        continue;
      }
      methods.push({ type: 'publickey', username: ep.user, key });
      tried.push(`key ${file}`);
    }
    const agent = process.env.SSH_AUTH_SOCK;
    if (agent) {
      methods.push({ type: 'agent', username: ep.user, agent });
      tried.push('ssh-agent');
    }
    if (ep.password !== undefined) {
      const password = ep.password;
      methods.push({ type: 'password', username: ep.user, password });
      methods.push({
        type: 'keyboard-interactive',
        username: ep.user,
        prompt: (_name, _instr, _lang, prompts, finish) => finish(prompts.map(() => password)),
      });
      tried.push('password');
    }
    if (methods.length === 0) methods.push({ type: 'none', username: ep.user });
    return { methods, tried };
  }

  private async connectOnce(ep: Endpoint, viaSock: Duplex | undefined): Promise<SshClient> {
    const t = this.target();
    const hostName = knownHostName(ep.address, ep.port);
    const known = t.strict === 'no' ? [] : await this.readAllKnownHosts(t.knownHostsFiles);
    const knownTypes = knownTypesFor(known, hostName);
    const preferred = hostKeyAlgorithmsFor(knownTypes).filter((a): a is ServerHostKeyAlgorithm =>
      (HOST_KEY_ALGOS as string[]).includes(a),
    );
    const hostKeyAlgos = [...preferred, ...HOST_KEY_ALGOS.filter((a) => !preferred.includes(a))];
    const { methods, tried } = this.authMethods(ep);

    return new Promise<SshClient>((resolve, reject) => {
      const client = new (ssh2().Client)();
      let settled = false;
      let hostKeyFailure: ConnectionError | undefined;
      const fail = (e: unknown) => {
        // A broken agent is reported and then skipped by ssh2: not fatal.
        if (settled || errLevel(e) === 'agent') return;
        settled = true;
        if (hostKeyFailure) {
          reject(hostKeyFailure);
        } else if (errLevel(e) === 'client-authentication') {
          const m = new ConnectionError(
            this.host,
            `authentication failed for user '${ep.user}' at ${ep.address}:${ep.port} (tried: ${tried.join('; ') || 'nothing: no key file, agent or password'})`,
            { cause: e },
          );
          reject(m);
        } else {
          reject(e);
        }
        client.destroy();
      };
      // Errors after 'ready' end the connection; its 'close' handler retires it.
      client.on('error', fail);
      client.on('close', () => fail(new Error('connection closed during handshake')));
      client.on('ready', () => {
        if (settled) return;
        settled = true;
        resolve(client);
      });

      let sock: Duplex | undefined = viaSock;
      if (!sock) {
        const s = net.connect({ host: ep.address, port: ep.port, noDelay: true });
        sock = s;
      }
      sock.on('error', () => {
        /* reported through the client */
      });

      const config: ConnectConfig = {
        sock,
        username: ep.user,
        readyTimeout: t.connectTimeoutMs,
        keepaliveInterval: this.opts.keepaliveIntervalMs,
        keepaliveCountMax: 3,
        algorithms: { kex: KEX, serverHostKey: hostKeyAlgos },
        authHandler: methods,
        hostVerifier: (key: Buffer, verify: (ok: boolean) => void) => {
          this.verifyHostKey(hostName, key, known).then(
            () => verify(true),
            (e: unknown) => {
              hostKeyFailure =
                e instanceof ConnectionError
                  ? e
                  : new ConnectionError(this.host, `cannot verify the host key of ${hostName}: ${errMessage(e)}`);
              verify(false);
            },
          );
        },
      };
      try {
        client.connect(config);
      } catch (e) {
        fail(e);
      }
    });
  }

  private async readAllKnownHosts(files: string[]): Promise<KnownHostEntry[]> {
    const lists = await Promise.all(files.map((f) => readKnownHosts(f).catch(() => [] as KnownHostEntry[])));
    return lists.flat();
  }

  /** Resolves when the key may be trusted (appending it under accept-new), else throws. */
  private async verifyHostKey(name: string, key: Buffer, known: KnownHostEntry[]): Promise<void> {
    const t = this.target();
    if (t.strict === 'no') return;
    const fp = fingerprint(key);
    const type = keyTypeOf(key);
    const verdict = checkHostKey(known, name, key);
    switch (verdict.status) {
      case 'known':
        return;
      case 'revoked':
        throw new ConnectionError(
          this.host,
          `host key ${type} ${fp} of ${name} is marked @revoked in ${verdict.entry.file}:${verdict.entry.line}; refusing to connect`,
        );
      case 'changed': {
        const old = verdict.entries[0]!;
        throw new ConnectionError(
          this.host,
          `HOST KEY CHANGED for ${name}: it offered ${type} ${fp}, but ${old.file}:${old.line} has ${fingerprint(old.key)}. ` +
            `Refusing to connect (possible man-in-the-middle); if the change is expected, remove line ${old.line} from ${old.file}`,
        );
      }
      case 'unknown':
        if (t.strict === 'accept-new') {
          await appendKnownHost(t.knownHostsWrite, name, key);
          return;
        }
        throw new ConnectionError(
          this.host,
          `host key of ${name} is not known: it offered ${type} ${fp}, which is not in ${t.knownHostsWrite}` +
            (verdict.otherTypes.length > 0 ? ` (only other key types are known: ${verdict.otherTypes.join(', ')})` : '') +
            `; StrictHostKeyChecking=yes refuses it (add the key to the file, or use StrictHostKeyChecking=accept-new)`,
        );
    }
  }

  // ---------------------------------------------------------------- channel slots

  private pickConn(): Conn | undefined {
    let best: Conn | undefined;
    for (const c of this.conns) {
      if (c.closed || c.active >= c.limit) continue;
      if (!best || c.active < best.active) best = c;
    }
    return best;
  }

  private acquire(signal?: AbortSignal): Promise<Conn> {
    if (this.closed) return Promise.reject(new ConnectionError(this.host, 'transport is closed'));
    if (signal?.aborted) return Promise.reject(signal.reason);
    const c = this.waiters.length === 0 ? this.pickConn() : undefined;
    if (c) {
      c.active++;
      return Promise.resolve(c);
    }
    return new Promise<Conn>((resolve, reject) => {
      const w: Waiter = {
        resolve: (conn) => {
          signal?.removeEventListener('abort', onAbort);
          resolve(conn);
        },
        reject: (e) => {
          signal?.removeEventListener('abort', onAbort);
          reject(e);
        },
      };
      const onAbort = () => {
        const i = this.waiters.indexOf(w);
        if (i >= 0) this.waiters.splice(i, 1);
        reject(signal!.reason);
      };
      if (signal) onAbortOnce(signal, onAbort);
      this.waiters.push(w);
      this.grow();
    });
  }

  /** Open a connection when there is none, or another when commands pile up. */
  private grow(): void {
    if (this.connecting || this.closed) return;
    const live = this.liveConns();
    const capacity = live.reduce((n, c) => n + c.limit, 0);
    if (live.length === 0 || (live.length < this.maxConns && this.waiters.length >= Math.max(1, capacity / live.length))) {
      this.startConnect().catch(() => {});
    }
  }

  private pump(): void {
    while (this.waiters.length > 0) {
      const c = this.pickConn();
      if (!c) break;
      c.active++;
      this.waiters.shift()!.resolve(c);
    }
    if (this.waiters.length > 0) this.grow();
  }

  private release(conn: Conn): void {
    conn.active--;
    this.pump();
  }

  /**
   * Open an exec channel, waiting for a slot and retrying when the server is short of sessions.
   * `attach` runs synchronously in ssh2's callback: a fast command's exit status can arrive in
   * the same packet batch as the channel confirmation, before any promise continuation runs.
   */
  private async openExec(
    line: string,
    signal: AbortSignal | undefined,
    attach: (stream: ClientChannel, conn: Conn) => void,
  ): Promise<void> {
    for (let attempt = 0; ; attempt++) {
      const conn = await this.acquire(signal);
      try {
        await new Promise<void>((resolve, reject) => {
          try {
            conn.client.exec(line, (err, s) => {
              if (err) return reject(err);
              attach(s, conn);
              resolve();
            });
          } catch (e) {
            reject(e);
          }
        });
        if (conn.limit < this.opts.channelsPerConnection && ++conn.okStreak >= 50) {
          conn.limit++;
          conn.okStreak = 0;
        }
        return;
      } catch (e) {
        const othersActive = conn.active - 1;
        if (isChannelShortage(e) && !conn.closed && attempt < 20) {
          conn.limit = Math.max(1, Math.min(conn.limit, othersActive));
          conn.okStreak = 0;
          this.release(conn);
          await delay(Math.min(20 * 2 ** Math.min(attempt, 5), 500) + Math.random() * 20, signal);
          continue;
        }
        this.release(conn);
        if (execNeverSent(e) && attempt < 3 && !this.closed) {
          // The connection died before the command was sent: safe to try on a new one.
          this.destroyConn(conn);
          this.conns = this.conns.filter((c) => c !== conn);
          continue;
        }
        if (e instanceof ConnectionError) throw e;
        if (conn.closed) {
          throw new ConnectionError(this.host, `connection lost after the command was sent (it may have started; not retried): ${errMessage(e)}`, { cause: e });
        }
        throw new ConnectionError(this.host, `cannot start a command: ${errMessage(e)}`, { cause: e });
      }
    }
  }

  // ---------------------------------------------------------------- commands

  /**
   * Run a command line; stdout/stderr as bytes. With `timeoutMs` the line must already carry
   * its `timeout` wrapper (the host ends the command); the local timer only decides how the
   * result reads, and closes the channel as a last resort if the host never answers.
   */
  private run(
    line: string,
    opts: { stdin?: string | Buffer; timeoutMs?: number; signal?: AbortSignal },
  ): Promise<RawResult> {
    const t0 = performance.now();
    return new Promise<RawResult>((resolve, reject) => {
      const out: Buffer[] = [];
      const err: Buffer[] = [];
      let exitCode: number | null = null;
      let exitSignal: string | null = null;
      let gotExit = false;
      let pastDeadline = false;
      // The host's `timeout` starts after this side's clock, so its exit 124 can come in before
      // this side's timer has run (a busy event loop): past the deadline by the clock counts too.
      let deadlineAt: number | undefined;
      const isPastDeadline = () => pastDeadline || (deadlineAt !== undefined && performance.now() >= deadlineAt);
      let timer: NodeJS.Timeout | undefined;
      let backstop: NodeJS.Timeout | undefined;
      let released = false;
      let settled = false;
      let stream: ClientChannel | undefined;

      const settle = (fn: () => void) => {
        if (settled) return;
        settled = true;
        if (timer) clearTimeout(timer);
        if (backstop) clearTimeout(backstop);
        opts.signal?.removeEventListener('abort', onAbort);
        fn();
      };
      /** Ask the host to end the command, and close our side of the channel. */
      const stop = () => {
        if (!stream) return;
        // ssh2's signal() is a no-op after our EOF, so the request goes through the protocol.
        // OpenSSH honours it for non-root logins only; the channel close always goes out.
        const ch = stream as unknown as {
          outgoing?: { id: number; state: string };
          _client?: { _protocol?: { signal(id: number, sig: string): void } };
        };
        try {
          if (ch.outgoing && (ch.outgoing.state === 'open' || ch.outgoing.state === 'eof')) {
            ch._client?._protocol?.signal(ch.outgoing.id, 'TERM');
          }
        } catch {
          /* channel already gone */
        }
        try {
          stream.close();
        } catch {
          /* already closed */
        }
      };
      const timedOutResult = (): RawResult => {
        let stderr = Buffer.concat(err);
        const lead = stderr.length > 0 && stderr[stderr.length - 1] !== 0x0a ? '\n' : '';
        stderr = Buffer.concat([stderr, Buffer.from(`${lead}timed out after ${opts.timeoutMs} ms\n`)]);
        return {
          exitCode: null,
          signal: exitCode === 137 ? 'SIGKILL' : (exitSignal ?? 'SIGTERM'),
          stdout: Buffer.concat(out),
          stderr,
          durationMs: performance.now() - t0,
        };
      };
      const onAbort = () => {
        stop();
        // Settle now; the slot is released when the host closes the channel.
        settle(() => reject(opts.signal!.reason));
      };

      const attach = (s: ClientChannel, conn: Conn) => {
        stream = s;
        s.on('data', (d: Buffer) => out.push(d));
        s.stderr.on('data', (d: Buffer) => err.push(d));
        s.on('error', () => {});
        s.stderr.on('error', () => {});
        s.on('exit', (code: number | null, sig?: string) => {
          gotExit = true;
          exitCode = typeof code === 'number' ? code : null;
          exitSignal = sig ?? null;
        });
        s.on('close', () => {
          if (!released) {
            released = true;
            this.release(conn);
          }
          settle(() => {
            if (!gotExit && !isPastDeadline() && conn.closed) {
              reject(new ConnectionError(this.host, 'connection lost while a command was running'));
            } else if (isPastDeadline() && (!gotExit || exitCode === 124 || exitCode === 137 || exitSignal !== null)) {
              resolve(timedOutResult());
            } else {
              resolve({
                exitCode,
                signal: exitSignal,
                stdout: Buffer.concat(out),
                stderr: Buffer.concat(err),
                durationMs: performance.now() - t0,
              });
            }
          });
        });
        if (opts.signal) {
          if (opts.signal.aborted) onAbort();
          else onAbortOnce(opts.signal, onAbort);
        }
        if (opts.timeoutMs !== undefined && opts.timeoutMs > 0) {
          deadlineAt = performance.now() + opts.timeoutMs;
          timer = setTimeout(() => {
            pastDeadline = true;
            // The host's `timeout` ends the command; if nothing comes back, stop waiting.
            backstop = setTimeout(() => {
              stop();
              settle(() => resolve(timedOutResult()));
            }, KILL_AFTER_S * 1000 + this.opts.killGraceMs);
          }, opts.timeoutMs);
        }
        // Always end stdin, so a command that reads it sees EOF instead of hanging.
        const input = opts.stdin;
        if (input !== undefined && input.length > 0) s.end(typeof input === 'string' ? Buffer.from(input, 'utf8') : input);
        else s.end();
      };

      this.openExec(line, opts.signal, attach).catch((e: unknown) => settle(() => reject(e)));
    });
  }

  /**
   * Run a command line in the host's long-lived shell when it can carry it (no stdin, no time
   * limit) and is free; in a session of its own otherwise.
   */
  private async runLine(line: LineChoice, opts: { stdin?: string | Buffer; timeoutMs?: number; signal?: AbortSignal; ownSession?: boolean }): Promise<RawResult> {
    const { ownSession, ...runOpts } = opts;
    if (this.opts.persistentShell && !ownSession && (opts.stdin === undefined || opts.stdin.length === 0) && opts.timeoutMs === undefined) {
      const shell = this.shell?.idle ? this.shell : this.shell?.open ? undefined : await this.openShell();
      if (shell?.idle) return shell.run(line.sh(), opts.signal);
    }
    return this.run(line.login(), runOpts);
  }

  /** The host's shell, opened once (again after it ended); undefined when it cannot be had. */
  private openShell(): Promise<RemoteShell | undefined> {
    if (this.shellOpening) return this.shellOpening;
    this.shellOpening = new Promise<RemoteShell | undefined>((resolve) => {
      this.openExec('exec sh', undefined, (stream, conn) => {
        // The shell holds its channel slot for as long as it lives.
        stream.on('close', () => this.release(conn));
        this.shell = new RemoteShell(
          stream,
          () => new ConnectionError(this.host, `connection lost while a command was running${conn.closed ? '' : ' (its shell session ended)'}`),
          SHELL_INIT,
        );
        resolve(this.shell);
      }).catch(() => resolve(undefined));
    }).finally(() => {
      this.shellOpening = undefined;
    });
    return this.shellOpening;
  }

  async exec(cmd: Command, opts: ExecOptions = {}): Promise<ExecResult> {
    const r = await this.runLine(this.linesOf(cmd, opts), {
      ...(opts.ownSession ? { ownSession: true } : {}),
      ...(opts.stdin !== undefined ? { stdin: opts.stdin } : {}),
      ...(opts.timeoutMs !== undefined ? { timeoutMs: opts.timeoutMs } : {}),
      ...(opts.signal ? { signal: opts.signal } : {}),
    });
    return toExecResult(r);
  }

  async execThen(first: FirstStep, reads: readonly ReadStep[]): Promise<{ first: ExecResult | undefined; reads: Array<ExecResult | undefined> }> {
    // The lines run inside the fused script, which is always sh.
    const readLines = reads.map((r) => this.shLineOf(r.cmd, r.opts ?? {}));
    let firstLine: string;
    let stdin: string | Buffer | undefined;
    let signal: AbortSignal | undefined;
    let timeoutMs: number | undefined;
    if (first.op === 'exec') {
      const o = first.opts ?? {};
      firstLine = this.shLineOf(first.cmd, o);
      stdin = o.stdin;
      signal = o.signal;
      timeoutMs = o.timeoutMs;
    } else {
      const put = this.putLine(first.path, first.content, first.opts ?? {});
      firstLine = put.shLine;
      stdin = put.data;
    }
    const nonce = fusedNonce();
    const line = scriptLines(fusedScript([firstLine, ...readLines], nonce));
    const ownSession = first.op === 'exec' && first.opts?.ownSession === true;
    const raw = await this.runLine(line, { ownSession, ...(stdin !== undefined ? { stdin } : {}), ...(timeoutMs !== undefined ? { timeoutMs } : {}), ...(signal ? { signal } : {}) });
    const [head, ...rest] = splitFused(raw, reads.length + 1, nonce);
    const firstRaw = head!;
    if (first.op === 'put') checkPut(this.host, first.path, firstRaw, first.opts?.validate);
    return { first: first.op === 'exec' ? toExecResult(firstRaw) : undefined, reads: rest.map((r) => (r ? toExecResult(r) : undefined)) };
  }

  canRunInSteps(step: FirstStep): boolean {
    if (step.op === 'put') return this.putLine(step.path, step.content, step.opts ?? {}).data === undefined;
    const o = step.opts ?? {};
    return o.stdin === undefined && o.timeoutMs === undefined && !o.ownSession;
  }

  async runSteps(steps: readonly FusedStep[], reads: readonly ReadStep[]): Promise<StepsRun> {
    const lines: StepLines[] = steps.map((st) => {
      const op = st.op;
      if (op && !this.canRunInSteps(op)) throw new TypeError('a step with stdin, a time limit or its own session cannot be fused');
      const line = op === undefined ? undefined : op.op === 'exec' ? this.shLineOf(op.cmd, op.opts ?? {}) : this.putLine(op.path, op.content, op.opts ?? {}).shLine;
      const guard = st.guard && { line: this.shLineOf(st.guard.read.cmd, st.guard.read.opts ?? {}), expect: guardExpect(st.guard.stdout, st.guard.exitCode) };
      return { ...(guard ? { guard } : {}), ...(line !== undefined ? { line } : {}) };
    });
    const nonce = fusedNonce();
    const { script, count } = stepsScript(lines, reads.map((r) => this.shLineOf(r.cmd, r.opts ?? {})), nonce, MAX_STEPS_SCRIPT);
    const signal = steps.map((st) => (st.op?.op === 'exec' ? st.op.opts?.signal : undefined)).find((x) => x !== undefined);
    const raw = await this.runLine(scriptLines(script), signal ? { signal } : {});
    const carried = count === steps.length ? reads.length : 0;
    const split = splitSteps(raw, count + carried, nonce);
    const out = steps.map((st, i): StepResult | undefined => {
      const r = i < count ? split.steps[i] : undefined;
      const op = st.op;
      if (r === undefined) return undefined;
      if (op === undefined) return { op: 'guard' };
      if (op.op === 'exec') return { op: 'exec', result: toExecResult(r) };
      try {
        checkPut(this.host, op.path, r, op.opts?.validate);
        return { op: 'put' };
      } catch (e) {
        return { op: 'put', error: e as Error };
      }
    });
    const run: StepsRun = { steps: out, reads: split.steps.slice(count, count + carried).map((r) => (r ? toExecResult(r) : undefined)) };
    if (split.stale) {
      // The step whose guard failed is the first that did not run; its guard and each later one's were read again.
      const from = out.findIndex((r) => r === undefined);
      const stale: Array<ExecResult | undefined> = steps.map(() => undefined);
      let k = 0;
      steps.forEach((st, i) => {
        if (i >= from && st.guard && k < split.stale!.length) stale[i] = toExecResult(split.stale![k++]!);
      });
      run.stale = stale;
    }
    return run;
  }

  /**
   * The put script's line for `path` and the bytes it reads on stdin; with the long-lived shell,
   * small text content is written into the line instead (no stdin: it runs in the shell).
   */
  private putLine(filePath: string, content: string | Buffer, opts: PutOptions): { line: string; shLine: string; data?: Buffer } {
    const data = typeof content === 'string' ? Buffer.from(content, 'utf8') : content;
    const how = this.lineOptions({ ...(opts.become ? { become: opts.become } : {}) });
    const temp = tempSuffix();
    const inline = this.opts.persistentShell ? inlinePutCommand(filePath, opts, data, temp) : undefined;
    const inlineLine = inline && commandLine(inline, how);
    if (inlineLine !== undefined && fitsInline(inlineLine)) return { line: inlineLine, shLine: shellLine(inline!, how) };
    const cmd = putCommand(filePath, opts, data.length, temp);
    return { line: commandLine(cmd, how), shLine: shellLine(cmd, how), data };
  }

  /** Both texts of a command (runLine picks one). */
  private linesOf(cmd: Command, opts: Omit<ExecOptions, 'stdin' | 'signal'>): LineChoice {
    return { login: () => this.lineOf(cmd, opts), sh: () => this.shLineOf(cmd, opts) };
  }

  private lineOf(cmd: Command, opts: Omit<ExecOptions, 'stdin' | 'signal'>): string {
    return commandLine(cmd, this.lineOptions(opts));
  }

  /** The command as text for a sh that runbook started (shellLine). */
  private shLineOf(cmd: Command, opts: Omit<ExecOptions, 'stdin' | 'signal'>): string {
    return shellLine(cmd, this.lineOptions(opts));
  }

  private lineOptions(opts: Omit<ExecOptions, 'stdin' | 'signal'>): CommandLineOptions {
    return {
      ...(opts.cwd !== undefined ? { cwd: opts.cwd } : {}),
      ...(opts.env ? { env: opts.env } : {}),
      ...(opts.become ? { become: opts.become } : {}),
      ...(opts.timeoutMs !== undefined ? { timeoutMs: opts.timeoutMs } : {}),
      loginUser: this.user,
    };
  }

  async put(filePath: string, content: string | Buffer, opts: PutOptions = {}): Promise<void> {
    const { line, shLine, data } = this.putLine(filePath, content, opts);
    const r = await this.runLine({ login: () => line, sh: () => shLine }, data ? { stdin: data } : {});
    checkPut(this.host, filePath, r, opts.validate);
  }

  async get(filePath: string, opts: GetOptions = {}): Promise<Buffer | null> {
    const lines = this.linesOf(getCommand(filePath), opts.become ? { become: opts.become } : {});
    return getResult(this.host, filePath, await this.runLine(lines, {}));
  }

  async forwardUnixSocket(socketPath: string): Promise<Duplex> {
    if (this.closed) throw new ConnectionError(this.host, 'transport is closed');
    let conn = this.liveConns()[0];
    if (!conn) conn = await this.startConnect();
    const client = conn.client;
    const stream = await new Promise<ClientChannel>((resolve, reject) => {
      try {
        client.openssh_forwardOutStreamLocal(socketPath, (err, s) => (err ? reject(err) : resolve(s)));
      } catch (e) {
        reject(e);
      }
    }).catch((e: unknown) => {
      throw new ConnectionError(this.host, `cannot connect to unix socket ${socketPath} on the host: ${errMessage(e)}`, {
        cause: e,
      });
    });
    stream.on('error', () => {});
    return socketShims(stream);
  }

  async openStream(cmd: Command, opts: { become?: Become } = {}): Promise<Duplex> {
    if (this.closed) throw new ConnectionError(this.host, 'transport is closed');
    const line = commandLine(cmd, { ...(opts.become ? { become: opts.become } : {}), loginUser: this.user });
    let channel: ClientChannel | undefined;
    // The channel's output ends before its exit status arrives; the stream handed out ends only
    // when the channel closes, so a failed command can still end it with its stderr.
    const stream = new Duplex({
      read() {},
      write(chunk: Buffer, _enc, cb) {
        if (!channel || channel.destroyed) return cb();
        if (channel.write(chunk)) cb();
        else channel.once('drain', () => cb());
      },
      final(cb) {
        channel?.end();
        cb();
      },
      destroy(e, cb) {
        try {
          channel?.close();
        } catch {
          /* already closed */
        }
        cb(e);
      },
    });
    stream.on('error', () => {});
    await this.openExec(line, undefined, (s, conn) => {
      channel = s;
      let released = false;
      let exitCode: number | null = null;
      const err: Buffer[] = [];
      s.on('data', (d: Buffer) => stream.push(d));
      s.stderr.on('data', (d: Buffer) => err.push(d));
      s.stderr.on('error', () => {});
      s.on('error', () => {});
      s.on('exit', (code: number | null) => {
        exitCode = code;
      });
      s.on('close', () => {
        if (!released) {
          released = true;
          this.release(conn);
        }
        if (exitCode !== null && exitCode !== 0) {
          const why = Buffer.concat(err).toString('utf8').trim() || `exit status ${exitCode}`;
          stream.destroy(new Error(`${this.host}: ${line}: ${why}`));
        } else stream.push(null);
      });
    });
    return socketShims(stream);
  }

  async close(): Promise<void> {
    this.closed = true;
    this.shell?.close();
    const waiters = this.waiters.splice(0);
    for (const w of waiters) w.reject(new ConnectionError(this.host, 'transport is closed'));
    const pending = this.connecting;
    const conns = this.conns.splice(0);
    await Promise.all(
      conns.map(
        (c) =>
          new Promise<void>((resolve) => {
            if (c.closed) return resolve();
            const t = setTimeout(() => {
              c.client.destroy();
              resolve();
            }, 1000);
            c.client.once('close', () => {
              clearTimeout(t);
              resolve();
            });
            this.destroyConn(c);
          }),
      ),
    );
    if (pending) await pending.then((c) => this.destroyConn(c)).catch(() => {});
  }
}

/** A channel from `via` to the next hop, for use as that hop's socket. */
function forwardOut(via: SshClient, hop: Endpoint, host: string): Promise<Duplex> {
  return new Promise((resolve, reject) => {
    try {
      via.forwardOut('127.0.0.1', 0, hop.address, hop.port, (err, stream) => {
        if (err) {
          reject(
            new ConnectionError(host, `jump host cannot reach ${hop.address}:${hop.port}: ${errMessage(err)}`, {
              cause: err,
            }),
          );
        } else {
          stream.on('error', () => {});
          resolve(stream);
        }
      });
    } catch (e) {
      reject(new ConnectionError(host, `jump host connection lost: ${errMessage(e)}`, { cause: e }));
    }
  });
}
