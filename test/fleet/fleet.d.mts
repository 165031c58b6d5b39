// Types for fleet.mjs (plain ESM so node and vitest load it without a build).

export interface FleetHost {
  /** Inventory name: h1..hN. Also the hostname and the network alias on the fleet network. */
  name: string;
  /** sshd published on 127.0.0.1:port. */
  port: number;
  /** The host's IP on the fleet network (what other hosts use to reach it). */
  address: string;
  /** Docker container name: `<fleet>-<host>`. */
  container: string;
}

export interface Fleet {
  name: string;
  hosts: FleetHost[];
  /** Ansible-style YAML inventory (groups fleet, web, lb). */
  inventoryPath: string;
  /** `[127.0.0.1]:PORT ssh-ed25519 ...` lines for every host. */
  knownHostsPath: string;
  /** Private key accepted for `root` and for `sudoUser` on every host. */
  keyPath: string;
  user: 'root';
  /** Unprivileged user with NOPASSWD sudo. */
  sudoUser: string;
  /** .fleet/<name> at the repo root: keys, inventory, state. */
  dir: string;
  /** Docker network the hosts share: `<fleet>-net`. */
  network: string;
  /** Whether every host runs its own Docker engine with the runbook-app images loaded. */
  withDocker: boolean;
}

export interface StartFleetOptions {
  /** Default 'test'. Containers are `<name>-h1`...; state in .fleet/<name>/. */
  name?: string;
  count: number;
  /** Run a Docker engine inside every host (privileged-ish container, ~35 MiB more per host). */
  withDocker?: boolean;
  /** First port to try for sshd (default 2201 or $RUNBOOK_FLEET_PORT_BASE); taken ports are skipped. */
  portBase?: number;
  /** How long to wait for the hosts (default 240 s). */
  timeoutMs?: number;
  /**
   * When another checkout of the repo has a running fleet of this name:
   * 'replace' (default) recreates it as ours; 'suffix' leaves it alone and
   * uses `<name>-<hash of this checkout>` instead (see Fleet.name).
   */
  ifUsedElsewhere?: 'replace' | 'suffix';
  log?: (msg: string) => void;
}

export interface RunResult {
  code: number;
  stdout: string;
  stderr: string;
}

export interface FleetStatus {
  name: string;
  fleet: Fleet | null;
  containers: Array<{ name: string; host: string; port: number; state: string; status: string; ready: boolean }>;
}

export const REPO_ROOT: string;
export const FLEET_ROOT: string;
export const HOST_IMAGE: string;
export const APP_VERSIONS: readonly ['v1', 'v2', 'bad'];
/** runbook-app:v1, runbook-app:v2, runbook-app:bad */
export const APP_IMAGES: string[];
export const DEFAULT_FLEET_NAME: string;
export const DEFAULT_PORT_BASE: number;
export const SUDO_USER: string;

/** Builds the host image and the app images when missing (or built from an older recipe). */
export function ensureImages(opts?: { log?: (msg: string) => void }): Promise<void>;
/** Starts or reuses a fleet; resolves once every host accepts a real SSH login. */
export function startFleet(opts: StartFleetOptions): Promise<Fleet>;
/** Removes the fleet's containers, inner Docker volumes, network and .fleet/<name>/. */
export function stopFleet(name?: string): Promise<void>;
export function fleetStatus(name?: string): Promise<FleetStatus>;
export function listFleets(): Promise<string[]>;

export function hostNames(count: number): string[];
/** `fleet` = all; with 2+ hosts `web` = all but the last, `lb` = the last. */
export function groupsFor(names: string[]): Record<string, string[]>;

/** OpenSSH client argv (options and destination, no command) for a host. */
export function sshArgs(fleet: Fleet, host: FleetHost, opts?: { user?: string }): string[];
/** Runs a remote shell command with the OpenSSH client; resolves with its exit code. */
export function ssh(
  fleet: Fleet,
  host: FleetHost | string,
  command: string,
  opts?: { user?: string; input?: string | Buffer; timeoutMs?: number },
): Promise<RunResult>;
/** Runs argv locally (no shell); rejects on non-zero exit unless allowFail. */
export function run(
  cmd: string,
  args: string[],
  opts?: { input?: string | Buffer; stdinFile?: string; timeoutMs?: number; allowFail?: boolean; env?: Record<string, string> },
): Promise<RunResult>;
