import { CommandError, ModuleError } from '../src/core/errors.js';
import { defineModule } from '../src/core/module.js';
import { outputFields } from './_lib/remote.js';

export interface WaitForParams {
  host?: string;
  port?: number;
  path?: string;
  search_regex?: string;
  state?: 'started' | 'stopped' | 'present' | 'absent';
  timeout?: number;
  delay?: number;
  sleep?: number;
  msg?: string;
}

/**
 * Args: HOST PORT PATH REGEX WANT(1 = wait until it holds, 0 = until it does not) TIMEOUT DELAY SLEEP.
 * The check: a TCP connect (bash's /dev/tcp, 2 s at most) when PORT is set, else PATH exists
 * (and has a line matching REGEX, grep -E). Prints `ok 1|0` and `elapsed SECONDS`.
 */
export const WAIT_FOR_SCRIPT = `
h=$1; port=$2; p=$3; re=$4; want=$5; timeout=$6; delay=$7; nap=$8
holds() {
  if [ -n "$port" ]; then
    timeout 2 bash -c 'exec 3<>"/dev/tcp/$0/$1"' "$h" "$port" 2>/dev/null
  elif [ -n "$re" ]; then
    [ -f "$p" ] && grep -Eq -- "$re" "$p" 2>/dev/null
  else
    [ -e "$p" ]
  fi
}
start=$(date +%s)
[ "$delay" -gt 0 ] && sleep "$delay"
while :; do
  if holds; then r=1; else r=0; fi
  if [ "$r" = "$want" ]; then echo "ok 1"; break; fi
  now=$(date +%s)
  if [ $((now - start)) -ge "$timeout" ]; then echo "ok 0"; break; fi
  sleep "$nap"
done
printf 'elapsed %s\\n' "$(( $(date +%s) - start ))"
`;

/** The script's arguments (pure). */
export function waitForArgs(params: WaitForParams): string[] {
  const state = params.state ?? 'started';
  const want = state === 'started' || state === 'present' ? '1' : '0';
  return [
    params.host ?? '127.0.0.1',
    params.port !== undefined ? String(params.port) : '',
    params.path ?? '',
    params.search_regex ?? '',
    want,
    String(params.timeout ?? 300),
    String(params.delay ?? 0),
    String(params.sleep ?? 1),
  ];
}

export default defineModule<WaitForParams>({
  name: 'wait_for',
  description:
    'Wait, from the host, until a TCP port accepts connections (state started) or stops ' +
    'accepting them (stopped), or until a file exists (present, optionally with a line matching ' +
    'search_regex, an extended regular expression as grep -E takes it) or is gone (absent). ' +
    'Fails after timeout seconds. Never changes anything; runs in check mode too.',
  example: `- name: The app listens
  wait_for: { port: 8080, timeout: 30 }
- name: The app says it is ready
  wait_for: { path: /var/log/app.log, search_regex: "ready on port [0-9]+", timeout: 60 }
`,
  schema: {
    type: 'object',
    additionalProperties: false,
    properties: {
      host: { type: 'string', pattern: '^[A-Za-z0-9_.:-]+$', title: 'a host name or address', default: '127.0.0.1', description: 'Host to connect to (from the managed host).' },
      port: { type: 'integer', minimum: 1, maximum: 65535, description: 'TCP port to wait for.' },
      path: { type: 'string', minLength: 1, description: 'File to wait for.' },
      search_regex: { type: 'string', minLength: 1, description: 'With path: wait for a line matching this (grep -E).' },
      state: { enum: ['started', 'stopped', 'present', 'absent'], default: 'started', description: 'What to wait for.' },
      timeout: { type: 'integer', minimum: 0, default: 300, description: 'Seconds to wait at most.' },
      delay: { type: 'integer', minimum: 0, default: 0, description: 'Seconds to wait before the first check.' },
      sleep: { type: 'integer', minimum: 1, default: 1, description: 'Seconds between checks.' },
      msg: { type: 'string', description: 'Failure message instead of the default one.' },
    },
    anyOf: [{ required: ['port'] }, { required: ['path'] }],
    not: { required: ['port', 'path'] },
    dependencies: { search_regex: ['path'] },
  },
  readOnly: true,
  async plan(ctx, params) {
    const timeout = params.timeout ?? 300;
    const r = await ctx.run(
      { script: WAIT_FOR_SCRIPT, args: waitForArgs(params) },
      { timeoutMs: (timeout + (params.delay ?? 0) + 15) * 1000 },
    );
    if (r.exitCode !== 0) throw new CommandError(ctx.host, 'wait_for', r.exitCode, r.stderr, 'cannot wait');
    const f = outputFields(r.stdout);
    const elapsed = Number(f.elapsed ?? 0);
    const what = params.port !== undefined ? `${params.host ?? '127.0.0.1'}:${params.port}` : params.path!;
    const state = params.state ?? 'started';
    const result = { elapsed, state, ...(params.port !== undefined ? { port: params.port } : { path: params.path }) };
    if (f.ok !== '1') {
      throw new ModuleError(params.msg ?? `wait_for: timeout after ${timeout} seconds waiting for ${what} to be ${state}`, result);
    }
    return { changes: [], result };
  },
  async apply() {
    return { changed: false };
  },
});
