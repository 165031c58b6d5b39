/**
 * Log shipping agents behind one interface, so that log_agent can drive rsyslog today and
 * fluent-bit or vector later: each agent turns the same spec into its config file, names the
 * command that validates a candidate file, and how to restart itself. The agents themselves
 * (rsyslog.ts) are listed by the log_agent module.
 */
import type { Command } from '../../src/transport/types.js';

export interface LogSource {
  /** Files or globs, e.g. /var/log/app/*.log. */
  path?: string;
  /** Container logs (docker json-file) of every container on the host. */
  containers?: boolean;
  tag: string;
}

export interface LogForward {
  host: string;
  port: number;
  protocol: 'tcp' | 'udp';
}

/** Receive logs (a collector): listen on port/protocol, write every line to path. */
export interface LogListen {
  port: number;
  protocol: 'tcp' | 'udp';
  path: string;
}

export interface LogAgentSpec {
  name: string;
  sources: LogSource[];
  forward_to?: LogForward;
  listen?: LogListen;
  /** Where docker keeps json-file logs. */
  docker_root: string;
}

export interface LogAgent {
  name: string;
  /** The config file this spec lives in. */
  configPath(spec: LogAgentSpec): string;
  render(spec: LogAgentSpec): string;
  /** Validates a candidate file: argv with an argument that is exactly %s (the put validate hook). */
  validateArgv(): string[];
  restart(): Command;
  /**
   * Optional: a read-only command printing `WHAT FILE` lines for other config files on the host
   * that clash with this config (e.g. a module loaded twice); any line refuses the task.
   */
  conflicts?(path: string, text: string): Command | undefined;
}
