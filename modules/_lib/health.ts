/**
 * Pure pieces of health_check: the probe commands run on the target (exact argv) and how a
 * response is judged.
 */
import type { Command } from '../../src/transport/types.js';

/** Marker between the body and the status code in curl's output. */
export const CURL_STATUS_MARK = '\n__runbook_http_status__ ';

/**
 * curl printing the body, then the marker and the status code. No --fail: a 500 is a
 * response to report, not an error. `-k` is never added: TLS must verify.
 */
export function curlArgv(o: { url: string; method: string; headers?: Record<string, string>; timeoutS: number }): string[] {
  const argv = ['curl', '-sS', '-X', o.method, '--max-time', String(o.timeoutS), '-o', '-', '-w', `${CURL_STATUS_MARK}%{http_code}`];
  for (const [k, v] of Object.entries(o.headers ?? {})) argv.push('-H', `${k}: ${v}`);
  if (o.method === 'HEAD') argv.splice(argv.indexOf('-X'), 2, '-I');
  argv.push('--', o.url);
  return argv;
}

/** Split curl's output into body and status (null when curl printed no status, e.g. no answer). */
export function parseCurlOutput(stdout: string): { body: string; status: number | null } {
  const i = stdout.lastIndexOf(CURL_STATUS_MARK);
  if (i < 0) return { body: stdout, status: null };
  const code = Number(stdout.slice(i + CURL_STATUS_MARK.length).trim());
  return { body: stdout.slice(0, i), status: Number.isInteger(code) && code > 0 ? code : null };
}

/** Opens a TCP connection with bash's /dev/tcp (no nc needed). $1 host $2 port. */
export const TCP_PROBE_SCRIPT = 'exec 3<>"/dev/tcp/$1/$2" && exec 3>&-';

export function tcpProbeArgv(host: string, port: number, timeoutS: number): string[] {
  return ['timeout', String(timeoutS), 'bash', '-c', TCP_PROBE_SCRIPT, 'tcp-probe', host, String(port)];
}

/** The user's command: argv as given, or a shell string run by sh. */
export function commandProbe(cmd: string | readonly string[]): Command {
  return typeof cmd === 'string' ? { script: cmd } : [...cmd];
}

export interface HttpExpect {
  status: number[];
  body?: string;
}

/** null when the response passes, else what was wrong. */
export function judgeHttp(e: HttpExpect, status: number, body: string): string | null {
  if (!e.status.includes(status)) return `status ${status}, expected ${e.status.join(' or ')}`;
  if (e.body !== undefined && !new RegExp(e.body).test(body)) return `body does not match /${e.body}/`;
  return null;
}

/** The start of a body, on one line, for messages. */
export function excerpt(body: string, max = 200): string {
  const one = body.replace(/\s+/g, ' ').trim();
  return one.length > max ? `${one.slice(0, max)}…` : one;
}
