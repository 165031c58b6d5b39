/**
 * HTTP from the host with curl (uri, get_url): the request's body goes on stdin, the response's
 * status, headers and body come back in one round trip as `key value` lines and base64 blocks.
 */

export interface CurlRequest {
  url: string;
  method?: string;
  headers?: Record<string, string>;
  /** Send stdin as the request body. */
  body?: boolean;
  timeout?: number;
  validateCerts?: boolean;
  followRedirects?: boolean;
}

/** curl's argv for a request (pure). The body, if any, is read from stdin. */
export function curlArgs(req: CurlRequest): string[] {
  const a = ['-sS', '-X', req.method ?? 'GET', '--max-time', String(req.timeout ?? 30)];
  if (req.followRedirects !== false) a.push('-L');
  if (req.validateCerts === false) a.push('-k');
  for (const [k, v] of Object.entries(req.headers ?? {})) a.push('-H', `${k}: ${v}`);
  if (req.body) a.push('--data-binary', '@-');
  a.push('--', req.url);
  return a;
}

/**
 * Args: CURL_ARGS... Runs curl, writing headers and body to private temp files; prints
 * `curl RC`, `status CODE`, `url EFFECTIVE_URL`, then `headers` and `body` base64 blocks ended by `end`.
 */
export const CURL_SCRIPT = `
d=$(mktemp -d) || exit 1
trap 'rm -rf "$d"' EXIT
w=$(curl -D "$d/h" -o "$d/b" -w '%{http_code} %{url_effective}' "$@" 2>"$d/e"); rc=$?
printf 'curl %s\\n' "$rc"
printf 'status %s\\n' "\${w%% *}"
printf 'url %s\\n' "\${w#* }"
echo headers; base64 < "$d/h" 2>/dev/null; echo end
echo body; base64 < "$d/b" 2>/dev/null; echo end
echo error; base64 < "$d/e"; echo end
exit 0
`;

export interface CurlResponse {
  curlExit: number;
  status: number;
  url: string;
  /** Headers of the last response, names lower-cased. */
  headers: Record<string, string>;
  body: Buffer;
  error: string;
}

export function parseCurlOutput(stdout: string): CurlResponse {
  const lines = stdout.split('\n');
  const out: CurlResponse = { curlExit: -1, status: 0, url: '', headers: {}, body: Buffer.alloc(0), error: '' };
  const blocks: Record<string, string> = {};
  for (let i = 0; i < lines.length; i++) {
    const l = lines[i];
    if (l === 'headers' || l === 'body' || l === 'error') {
      const chunk: string[] = [];
      for (i++; i < lines.length && lines[i] !== 'end'; i++) chunk.push(lines[i]);
      blocks[l] = chunk.join('');
      continue;
    }
    const sp = l.indexOf(' ');
    const k = l.slice(0, sp);
    const v = l.slice(sp + 1);
    if (k === 'curl') out.curlExit = Number(v);
    else if (k === 'status') out.status = Number(v);
    else if (k === 'url') out.url = v;
  }
  out.body = Buffer.from(blocks.body ?? '', 'base64');
  out.error = Buffer.from(blocks.error ?? '', 'base64').toString('utf8').trim();
  // With redirects there are several header blocks: keep the last one.
  const raw = Buffer.from(blocks.headers ?? '', 'base64').toString('latin1');
  const parts = raw.split(/\r?\n\r?\n/).filter((p) => p.trim() !== '');
  const last = parts[parts.length - 1] ?? '';
  for (const line of last.split(/\r?\n/).slice(1)) {
    const c = line.indexOf(':');
    if (c > 0) out.headers[line.slice(0, c).trim().toLowerCase()] = line.slice(c + 1).trim();
  }
  return out;
}
