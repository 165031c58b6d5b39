import { CommandError, ModuleError } from '../src/core/errors.js';
import { defineModule, type Change } from '../src/core/module.js';
import { curlArgs } from './_lib/http.js';
import { chmodArg, formatMode, isSymbolicMode, modeSchema, parseMode, type ModeSpec } from './_lib/mode.js';
import { outputFields } from './_lib/remote.js';

export interface GetUrlParams {
  url: string;
  dest: string;
  mode?: ModeSpec;
  checksum?: string;
  force?: boolean;
  headers?: Record<string, string>;
  timeout?: number;
  validate_certs?: boolean;
}

const ALGOS = ['sha256', 'sha1', 'sha512', 'md5'] as const;

/** `sha256:HEX` → algorithm and lower-case digest (pure). */
export function parseChecksum(spec: string | undefined): { algo: string; digest: string } | undefined {
  if (spec === undefined) return undefined;
  const m = /^(sha256|sha1|sha512|md5):([0-9a-fA-F]+)$/.exec(spec.trim());
  if (!m) throw new ModuleError(`get_url: checksum '${spec}' is not ALGORITHM:HEX (${ALGOS.join(', ')})`);
  return { algo: m[1], digest: m[2].toLowerCase() };
}

/** The file name a URL gives when dest is a directory (pure). */
export function urlFileName(url: string): string {
  const p = new URL(url).pathname;
  const name = decodeURIComponent(p.slice(p.lastIndexOf('/') + 1));
  return name || 'index.html';
}

/**
 * Args: DEST NAME ALGO FETCH CURL_ARGS... When DEST is a directory, DEST/NAME is meant. Prints
 * `dest PATH`, `exists 1`, `mode OCTAL`, `sum HEX` (with ALGO), and with FETCH=1 the digest of
 * what the URL serves (`remote HEX`, fetched into a private temporary file that is removed) or
 * `curl RC` when that failed.
 */
export const GET_URL_FACTS_SCRIPT = `
d=$1; name=$2; algo=\${3:-sha256}; fetch=$4; shift 4
if [ -d "$d" ]; then case $d in */) d="$d$name" ;; *) d="$d/$name" ;; esac; fi
printf 'dest %s\\n' "$d"
if [ -d "$d" ]; then echo isdir; exit 0; fi
if [ -e "$d" ]; then
  echo "exists 1"
  printf 'mode %s\\n' "$(stat -c %a -- "$d")"
  h=$("\${algo}sum" < "$d") && printf 'sum %s\\n' "\${h%% *}"
fi
if [ "$fetch" = 1 ]; then
  t=$(mktemp) || exit 1
  if curl -f -o "$t" "$@" 2>/dev/null; then h=$("\${algo}sum" < "$t") && printf 'remote %s\\n' "\${h%% *}"; else printf 'curl %s\\n' "$?"; fi
  rm -f -- "$t"
fi
exit 0
`;

/**
 * Args: DEST ALGO DIGEST MODE CURL_ARGS... Downloads into a private file beside DEST, checks the
 * digest (when given), sets MODE (or keeps DEST's), renames it over DEST.
 */
export const GET_URL_FETCH_SCRIPT = `
d=$1; algo=$2; want=$3; mode=$4; shift 4
t=$(mktemp "$(dirname -- "$d")/.runbook-get_url.XXXXXX") || exit 1
if ! curl -f -o "$t" "$@"; then rm -f -- "$t"; exit 1; fi
if [ -n "$want" ]; then
  h=$("\${algo}sum" < "$t"); h=\${h%% *}
  if [ "$h" != "$want" ]; then echo "checksum mismatch: expected $want, got $h" >&2; rm -f -- "$t"; exit 3; fi
fi
if [ -n "$mode" ]; then chmod "$mode" "$t"
elif [ -e "$d" ]; then chmod "$(stat -c %a -- "$d")" "$t"
else chmod 0644 "$t"
fi || { rm -f -- "$t"; exit 1; }
mv -f -- "$t" "$d" || { rm -f -- "$t"; exit 1; }
`;

interface GetUrlFacts {
  dest: string;
  download: boolean;
  chmod: boolean;
}

export function getUrlCurl(params: GetUrlParams): string[] {
  // curlArgs without -X: a plain GET; -sS quiet but errors shown.
  return curlArgs({ url: params.url, headers: params.headers, timeout: params.timeout, validateCerts: params.validate_certs }).filter(
    (a, i, all) => !(a === '-X' || all[i - 1] === '-X'),
  );
}

export default defineModule<GetUrlParams, GetUrlFacts>({
  name: 'get_url',
  description:
    'Download a file from a URL on the host itself (curl) to dest (a file, or a directory: the ' +
    "URL's file name in it). An existing dest is kept unless its checksum differs from `checksum` " +
    'or, with force, from what the URL serves (then fetched to compare, into a temporary file). ' +
    'Downloads beside dest, checks the checksum, sets mode, and renames it into place.',
  example: `- name: The release tarball
  get_url:
    url: https://releases.example.com/app-1.4.tar.gz
    dest: /opt/app/app-1.4.tar.gz
    checksum: sha256:9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08
    mode: "0644"
`,
  schema: {
    type: 'object',
    additionalProperties: false,
    properties: {
      url: { type: 'string', pattern: '^(https?|ftp)://', title: 'an http(s):// or ftp:// URL', description: 'Where to download from.' },
      dest: { type: 'string', pattern: '^/', title: 'an absolute path', description: 'File (or directory) to download to.' },
      mode: modeSchema('the file'),
      checksum: {
        type: 'string',
        pattern: '^(sha256|sha1|sha512|md5):[0-9a-fA-F]+$',
        title: 'ALGORITHM:HEX',
        description: 'Expected digest, e.g. sha256:…; the download fails if it differs, and a dest with it is not fetched again.',
      },
      force: { type: 'boolean', default: false, description: 'Fetch even when dest exists, and replace it if the content differs.' },
      headers: { type: 'object', additionalProperties: { type: 'string' }, description: 'Request headers.' },
      timeout: { type: 'integer', minimum: 1, default: 10, description: 'Seconds before the request fails.' },
      validate_certs: { type: 'boolean', default: true, description: 'Check the server certificate (https).' },
    },
    required: ['url', 'dest'],
  },
  async plan(ctx, params) {
    const sum = parseChecksum(params.checksum);
    const algo = sum?.algo ?? 'sha256';
    // Fetching in plan is only needed to compare an existing dest with the URL (force, no checksum).
    const fetch = params.force && !sum ? '1' : '0';
    const r = await ctx.run({ script: GET_URL_FACTS_SCRIPT, args: [params.dest, urlFileName(params.url), algo, fetch, ...getUrlCurl(params)] });
    if (r.exitCode !== 0) throw new CommandError(ctx.host, `get_url ${params.dest}`, r.exitCode, r.stderr, `cannot look at ${params.dest}`);
    const f = outputFields(r.stdout);
    const dest = f.dest ?? params.dest;
    if ('isdir' in f) throw new ModuleError(`get_url: ${dest} is a directory`, { dest });
    if (f.curl !== undefined) throw new ModuleError(`get_url: cannot fetch ${params.url} (curl exit ${f.curl})`, { dest, url: params.url });
    const exists = f.exists === '1';
    let download: boolean;
    if (!exists) download = true;
    else if (sum) download = f.sum !== sum.digest;
    else download = params.force === true && f.remote !== f.sum;
    const changes: Change[] = [];
    if (download) changes.push({ field: 'content', before: exists ? `${algo}:${f.sum}` : '(absent)', after: sum ? `${algo}:${sum.digest}` : params.url });
    let chmod = false;
    if (params.mode !== undefined && !download && exists) {
      const cur = parseInt(f.mode ?? '0', 8);
      const want = isSymbolicMode(params.mode) ? parseMode(params.mode, cur) : parseMode(params.mode);
      if (want !== cur) {
        chmod = true;
        changes.push({ field: 'mode', before: formatMode(cur), after: formatMode(want) });
      }
    }
    return {
      changes,
      facts: { dest, download, chmod },
      result: { dest, url: params.url, ...(sum ? { checksum_dest: sum.digest } : {}) },
      summary: download ? `download ${params.url} to ${dest}` : chmod ? `chmod ${dest}` : undefined,
    };
  },
  async apply(ctx, params, plan) {
    const { dest, download, chmod } = plan.facts!;
    const sum = parseChecksum(params.checksum);
    const mode = params.mode !== undefined ? chmodArg(params.mode) : '';
    if (download) {
      const r = await ctx.run({ script: GET_URL_FETCH_SCRIPT, args: [dest, sum?.algo ?? 'sha256', sum?.digest ?? '', mode, ...getUrlCurl(params)] });
      if (r.exitCode !== 0) {
        throw new ModuleError(`get_url: download of ${params.url} to ${dest} failed: ${r.stderr.trim() || `exit ${r.exitCode}`}`, { dest, url: params.url });
      }
    } else if (chmod) {
      const r = await ctx.run(['chmod', mode, '--', dest]);
      if (r.exitCode !== 0) throw new CommandError(ctx.host, ['chmod', mode, dest], r.exitCode, r.stderr, 'get_url');
    }
    return { result: plan.result };
  },
});
