/**
 * How to reach a host, from Ansible's connection variables (ansible_host, ansible_port,
 * ansible_user, ansible_ssh_private_key_file, ansible_password, ansible_connection,
 * ansible_become*, ansible_ssh_common_args / ansible_ssh_extra_args, ansible_ssh_timeout).
 */
import path from 'node:path';
import { ConfigError } from '../core/errors.js';
import { splitShellWords as shellWords } from '../core/shell-words.js';
import { expandTilde } from './common.js';
import type { ConnectionSpec } from './types.js';

export const DEFAULT_CONNECT_TIMEOUT_MS = 10_000;


export interface SshArgOptions {
  proxyJump?: string;
  knownHostsFile?: string;
  strictHostKeyChecking?: ConnectionSpec['strictHostKeyChecking'];
  connectTimeoutMs?: number;
  port?: number;
  user?: string;
  privateKeyFile?: string;
}

function parseStrict(value: string): ConnectionSpec['strictHostKeyChecking'] | undefined {
  switch (value.trim().toLowerCase()) {
    case 'yes':
    case 'ask':
    case 'true':
      return 'yes';
    case 'no':
    case 'off':
    case 'false':
      return 'no';
    case 'accept-new':
      return 'accept-new';
    default:
      return undefined;
  }
}

/** `ssh -W %h:%p [opts] [user@]bastion` as a ProxyCommand is a ProxyJump in disguise. */
function proxyCommandJump(cmd: string): string | undefined {
  const w = shellWords(cmd);
  if (w.length === 0 || path.basename(w[0]!) !== 'ssh' || !w.includes('-W')) return undefined;
  let port: string | undefined;
  let user: string | undefined;
  let host: string | undefined;
  for (let i = 1; i < w.length; i++) {
    const a = w[i]!;
    if (a === '-W' || a === '-o' || a === '-i' || a === '-F') i++;
    else if (a === '-p') port = w[++i];
    else if (a === '-l') user = w[++i];
    else if (a.startsWith('-')) continue;
    else host ??= a;
  }
  if (!host) return undefined;
  return `${user && !host.includes('@') ? `${user}@` : ''}${host}${port ? `:${port}` : ''}`;
}

/** The connection options found in ssh command-line arguments (`-o K=V`, `-o K V`, `-J`, …). */
export function parseSshArgs(args: string, where = 'ansible_ssh_common_args'): SshArgOptions {
  let words: string[];
  try {
    words = shellWords(args);
  } catch (e) {
    throw new ConfigError(`${where}: ${(e as Error).message}`);
  }
  const out: SshArgOptions = {};
  const setOption = (raw: string) => {
    const m = /^\s*([A-Za-z]+)\s*(?:=\s*|\s+)(.*)$/s.exec(raw);
    if (!m) throw new ConfigError(`${where}: cannot read ssh option '-o ${raw}' (expected Key=Value)`);
    const key = m[1]!.toLowerCase();
    const value = m[2]!.trim().replace(/^"(.*)"$/s, '$1');
    switch (key) {
      case 'proxyjump':
        out.proxyJump ??= value;
        break;
      case 'proxycommand': {
        if (value.toLowerCase() === 'none') break;
        const jump = proxyCommandJump(value);
        if (!jump) {
          throw new ConfigError(`${where}: ProxyCommand '${value}' is not supported; use ProxyJump (-J) instead`);
        }
        out.proxyJump ??= jump;
        break;
      }
      case 'userknownhostsfile':
        out.knownHostsFile ??= expandTilde(value.split(/\s+/)[0]!);
        break;
      case 'stricthostkeychecking': {
        const v = parseStrict(value);
        if (!v) throw new ConfigError(`${where}: StrictHostKeyChecking must be yes, no or accept-new, found '${value}'`);
        out.strictHostKeyChecking ??= v;
        break;
      }
      case 'connecttimeout': {
        const n = Number(value);
        if (!(n > 0)) throw new ConfigError(`${where}: ConnectTimeout must be a positive number of seconds, found '${value}'`);
        out.connectTimeoutMs ??= n * 1000;
        break;
      }
      case 'port':
        out.port ??= parsePort(value, where);
        break;
      case 'user':
        out.user ??= value;
        break;
      case 'identityfile':
        out.privateKeyFile ??= expandTilde(value);
        break;
      default:
        // Options without meaning here (ControlMaster, ServerAliveInterval, ...) are ignored.
        break;
    }
  };
  for (let i = 0; i < words.length; i++) {
    const w = words[i]!;
    const takeValue = (flag: string): string => {
      if (w.length > flag.length) return w.slice(flag.length);
      const v = words[++i];
      if (v === undefined) throw new ConfigError(`${where}: ${flag} needs a value`);
      return v;
    };
    if (w.startsWith('-o')) {
      let opt = takeValue('-o');
      // `-o Key Value` (two words) as well as `-o Key=Value` / `-o 'Key Value'`.
      if (!/[=\s]/.test(opt.trim()) && i + 1 < words.length && !words[i + 1]!.startsWith('-')) {
        opt = `${opt} ${words[++i]!}`;
      }
      setOption(opt);
    } else if (w.startsWith('-J')) {
      out.proxyJump ??= takeValue('-J');
    } else if (w.startsWith('-p')) {
      out.port ??= parsePort(takeValue('-p'), where);
    } else if (w.startsWith('-l')) {
      out.user ??= takeValue('-l');
    } else if (w.startsWith('-i')) {
      out.privateKeyFile ??= expandTilde(takeValue('-i'));
    } else if (/^-[bcDeEFIJLmOQRSwW]$/.test(w)) {
      i++; // another option that takes a value: skip it
    }
  }
  return out;
}

function parsePort(v: unknown, where: string): number {
  const n = typeof v === 'number' ? v : typeof v === 'string' && /^\s*\d+\s*$/.test(v) ? Number(v) : NaN;
  if (!Number.isInteger(n) || n < 1 || n > 65535) {
    throw new ConfigError(`${where}: expected a port number (1-65535), found ${JSON.stringify(v)}`);
  }
  return n;
}

function str(vars: Record<string, unknown>, ...names: string[]): string | undefined {
  for (const n of names) {
    const v = vars[n];
    if (v === undefined || v === null || v === '') continue;
    if (typeof v === 'string') return v;
    if (typeof v === 'number' || typeof v === 'boolean') return String(v);
    throw new ConfigError(`${n}: expected a string, found ${JSON.stringify(v)}`);
  }
  return undefined;
}

function bool(v: unknown, name: string): boolean {
  if (typeof v === 'boolean') return v;
  if (typeof v === 'number') return v !== 0;
  if (typeof v === 'string') {
    const s = v.trim().toLowerCase();
    if (['yes', 'true', 'on', '1', 'y'].includes(s)) return true;
    if (['no', 'false', 'off', '0', 'n', ''].includes(s)) return false;
  }
  throw new ConfigError(`${name}: expected a boolean, found ${JSON.stringify(v)}`);
}

function seconds(v: unknown, name: string): number {
  const n = typeof v === 'number' ? v : typeof v === 'string' ? Number(v) : NaN;
  if (!(n > 0)) throw new ConfigError(`${name}: expected a positive number of seconds, found ${JSON.stringify(v)}`);
  return n * 1000;
}

/** The connection settings of `host` from its (already merged) variables. */
export function connectionSpecFromVars(host: string, vars: Record<string, unknown>): ConnectionSpec {
  const connVar = str(vars, 'ansible_connection');
  const explicitAddress = str(vars, 'ansible_host', 'ansible_ssh_host');
  let connection: ConnectionSpec['connection'];
  switch (connVar?.toLowerCase()) {
    case undefined:
      connection = host === 'localhost' && explicitAddress === undefined ? 'local' : 'ssh';
      break;
    case 'ssh':
    case 'paramiko':
    case 'paramiko_ssh':
    case 'smart':
      connection = 'ssh';
      break;
    case 'local':
      connection = 'local';
      break;
    default:
      throw new ConfigError(
        `ansible_connection of host ${host}: '${connVar}' is not supported (expected ssh or local)`,
      );
  }

  // ssh takes the first value it sees; Ansible passes ssh_args, then common, then extra args.
  const extra: SshArgOptions[] = [];
  for (const name of ['ansible_ssh_args', 'ansible_ssh_common_args', 'ansible_ssh_extra_args']) {
    const v = str(vars, name);
    if (v !== undefined) extra.push(parseSshArgs(v, name));
  }
  const fromArgs = <K extends keyof SshArgOptions>(k: K): SshArgOptions[K] | undefined => {
    for (const e of extra) if (e[k] !== undefined) return e[k];
    return undefined;
  };

  const portVar = vars.ansible_port ?? vars.ansible_ssh_port;
  const port =
    portVar !== undefined && portVar !== null && portVar !== ''
      ? parsePort(portVar, `ansible_port of host ${host}`)
      : (fromArgs('port') ?? 22);

  const spec: ConnectionSpec = {
    host,
    connection,
    address: explicitAddress ?? host,
    port,
    strictHostKeyChecking: 'yes',
    connectTimeoutMs: DEFAULT_CONNECT_TIMEOUT_MS,
  };

  const user = str(vars, 'ansible_user', 'ansible_ssh_user') ?? fromArgs('user');
  if (user !== undefined) spec.user = user;

  const key = str(vars, 'ansible_ssh_private_key_file', 'ansible_private_key_file');
  if (key !== undefined) spec.privateKeyFile = expandTilde(key);
  else if (fromArgs('privateKeyFile') !== undefined) spec.privateKeyFile = fromArgs('privateKeyFile')!;

  const password = str(vars, 'ansible_password', 'ansible_ssh_pass', 'ansible_ssh_password');
  if (password !== undefined) spec.password = password;

  const proxyJump = fromArgs('proxyJump');
  if (proxyJump !== undefined && proxyJump.toLowerCase() !== 'none') spec.proxyJump = proxyJump;

  const knownHosts = fromArgs('knownHostsFile');
  if (knownHosts !== undefined) spec.knownHostsFile = knownHosts;

  const hkcVar = vars.ansible_host_key_checking ?? vars.ansible_ssh_host_key_checking;
  const strictFromArgs = fromArgs('strictHostKeyChecking');
  if (strictFromArgs !== undefined) spec.strictHostKeyChecking = strictFromArgs;
  else if (hkcVar !== undefined && hkcVar !== null && hkcVar !== '') {
    spec.strictHostKeyChecking = bool(hkcVar, 'ansible_host_key_checking') ? 'yes' : 'no';
  }

  const timeoutVar = vars.ansible_ssh_timeout ?? vars.ansible_timeout;
  if (timeoutVar !== undefined && timeoutVar !== null && timeoutVar !== '') {
    spec.connectTimeoutMs = seconds(timeoutVar, 'ansible_ssh_timeout');
  } else if (fromArgs('connectTimeoutMs') !== undefined) {
    spec.connectTimeoutMs = fromArgs('connectTimeoutMs')!;
  }

  if (vars.ansible_become !== undefined && vars.ansible_become !== null && bool(vars.ansible_become, 'ansible_become')) {
    const method = str(vars, 'ansible_become_method');
    if (method !== undefined && method !== 'sudo') {
      throw new ConfigError(`ansible_become_method of host ${host}: '${method}' is not supported (only sudo)`);
    }
    const becomeUser = str(vars, 'ansible_become_user');
    spec.become = becomeUser !== undefined ? { user: becomeUser } : {};
  }
  return spec;
}
