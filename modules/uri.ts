import { CommandError, ModuleError } from '../src/core/errors.js';
import { defineModule } from '../src/core/module.js';
import { CURL_SCRIPT, curlArgs, parseCurlOutput } from './_lib/http.js';

export interface UriParams {
  url: string;
  method?: string;
  body?: unknown;
  body_format?: 'raw' | 'json' | 'form-urlencoded';
  headers?: Record<string, string>;
  status_code?: number | number[];
  return_content?: boolean;
  timeout?: number;
  validate_certs?: boolean;
  follow_redirects?: boolean;
}

/** The request body as text and the content type it implies (pure). */
export function uriBody(params: UriParams): { text?: string; contentType?: string } {
  if (params.body === undefined) return {};
  const fmt = params.body_format ?? 'raw';
  if (fmt === 'json') return { text: typeof params.body === 'string' ? params.body : JSON.stringify(params.body), contentType: 'application/json' };
  if (fmt === 'form-urlencoded') {
    if (typeof params.body === 'string') return { text: params.body, contentType: 'application/x-www-form-urlencoded' };
    const form = new URLSearchParams(Object.entries(params.body as Record<string, unknown>).map(([k, v]) => [k, String(v)]));
    return { text: form.toString(), contentType: 'application/x-www-form-urlencoded' };
  }
  return { text: typeof params.body === 'string' ? params.body : JSON.stringify(params.body) };
}

/** curl's argv for the task (pure). */
export function uriCurlArgs(params: UriParams): string[] {
  const body = uriBody(params);
  const headers: Record<string, string> = {};
  const has = (h: string) => Object.keys(params.headers ?? {}).some((k) => k.toLowerCase() === h);
  if (body.contentType && !has('content-type')) headers['Content-Type'] = body.contentType;
  Object.assign(headers, params.headers ?? {});
  return curlArgs({
    url: params.url,
    method: params.method ?? 'GET',
    headers,
    body: body.text !== undefined,
    timeout: params.timeout,
    validateCerts: params.validate_certs,
    followRedirects: params.follow_redirects,
  });
}

export default defineModule<UriParams>({
  name: 'uri',
  description:
    'Make an HTTP request from the host (curl) and register the response: status, url, ' +
    'headers (lower-case names), json (a JSON response, parsed) and, with return_content, content. ' +
    'Fails unless the status is one of status_code (default 200). body_format json sends the ' +
    'body as JSON. Reports ok (use changed_when to say otherwise); in check mode it is skipped.',
  example: `- name: The service answers
  uri:
    url: http://127.0.0.1:8080/health
    return_content: true
  register: health
- name: Tell the registry
  uri:
    url: http://registry.internal/api/hosts
    method: POST
    body_format: json
    body: { name: "{{ inventory_hostname }}" }
    status_code: [200, 201]
`,
  schema: {
    type: 'object',
    additionalProperties: false,
    properties: {
      url: { type: 'string', pattern: '^https?://', title: 'an http:// or https:// URL', description: 'The URL.' },
      method: { type: 'string', pattern: '^[A-Z]+$', default: 'GET', description: 'HTTP method (GET, POST, PUT, DELETE, HEAD, PATCH…).' },
      body: { description: 'Request body: text, or a mapping/list with body_format json or form-urlencoded.' },
      body_format: { enum: ['raw', 'json', 'form-urlencoded'], default: 'raw', description: 'How body is encoded (sets Content-Type).' },
      headers: { type: 'object', additionalProperties: { type: 'string' }, description: 'Request headers.' },
      status_code: {
        anyOf: [{ type: 'integer' }, { type: 'array', items: { type: 'integer' }, minItems: 1 }],
        default: 200,
        description: 'Status code(s) that count as success.',
      },
      return_content: { type: 'boolean', default: false, description: 'Register the body as content.' },
      timeout: { type: 'integer', minimum: 1, default: 30, description: 'Seconds before the request fails.' },
      validate_certs: { type: 'boolean', default: true, description: 'Check the server certificate (https).' },
      follow_redirects: { type: 'boolean', default: true, description: 'Follow redirects.' },
    },
    required: ['url'],
  },
  opaque: true,
  async plan(_ctx, params) {
    return { changes: [{ field: 'request', after: `${params.method ?? 'GET'} ${params.url}` }], summary: `${params.method ?? 'GET'} ${params.url}` };
  },
  async apply(ctx, params) {
    const body = uriBody(params);
    const r = await ctx.run({ script: CURL_SCRIPT, args: uriCurlArgs(params) }, { stdin: body.text ?? '' });
    if (r.exitCode !== 0) throw new CommandError(ctx.host, `curl ${params.url}`, r.exitCode, r.stderr, 'cannot run the request');
    const res = parseCurlOutput(r.stdout);
    if (res.curlExit !== 0) {
      throw new ModuleError(`uri: request to ${params.url} failed: ${res.error || `curl exit ${res.curlExit}`}`, { url: params.url, status: -1 });
    }
    const text = res.body.toString('utf8');
    const result: Record<string, unknown> = { status: res.status, url: res.url, redirected: res.url !== params.url };
    for (const [k, v] of Object.entries(res.headers)) result[k.replace(/-/g, '_')] = v;
    if (/[/+]json\b/.test(res.headers['content-type'] ?? '')) {
      try {
        result.json = JSON.parse(text);
      } catch {
        // not JSON after all: content only
      }
    }
    if (params.return_content) result.content = text;
    const ok = ([] as number[]).concat(params.status_code ?? 200);
    if (!ok.includes(res.status)) {
      throw new ModuleError(`uri: status code was ${res.status} and not [${ok.join(', ')}]: ${params.method ?? 'GET'} ${params.url}`, result);
    }
    return { changed: false, result };
  },
});
