import { describe, expect, it } from 'vitest';
import { curlArgs, parseCurlOutput } from '../../../../modules/_lib/http.js';
import { uriBody, uriCurlArgs } from '../../../../modules/uri.js';

const b64 = (s: string) => Buffer.from(s).toString('base64');

describe('uri requests (exact curl argv)', () => {
  it('GET by default, redirects followed, headers, no body', () => {
    expect(uriCurlArgs({ url: 'http://h/x' })).toEqual(['-sS', '-X', 'GET', '--max-time', '30', '-L', '--', 'http://h/x']);
    expect(curlArgs({ url: 'https://h/', followRedirects: false, validateCerts: false, timeout: 5, headers: { A: 'b' } })).toEqual([
      '-sS', '-X', 'GET', '--max-time', '5', '-k', '-H', 'A: b', '--', 'https://h/',
    ]);
  });

  it('body_format json sets Content-Type (unless given) and sends the body on stdin', () => {
    expect(uriBody({ url: 'u', body: { a: 1 }, body_format: 'json' })).toEqual({ text: '{"a":1}', contentType: 'application/json' });
    expect(uriCurlArgs({ url: 'http://h/', method: 'POST', body: { a: 1 }, body_format: 'json' })).toEqual([
      '-sS', '-X', 'POST', '--max-time', '30', '-L', '-H', 'Content-Type: application/json', '--data-binary', '@-', '--', 'http://h/',
    ]);
    expect(uriCurlArgs({ url: 'http://h/', method: 'PUT', body: 'x', body_format: 'json', headers: { 'content-type': 'text/x' } })).toContain('content-type: text/x');
    expect(uriBody({ url: 'u', body: { a: 'x y', b: 2 }, body_format: 'form-urlencoded' }).text).toBe('a=x+y&b=2');
    expect(uriBody({ url: 'u' })).toEqual({});
  });

  it('parses status, the last header block (after a redirect) and the body', () => {
    const headers = 'HTTP/1.1 301 Moved\r\nLocation: /b\r\n\r\nHTTP/1.0 200 OK\r\nContent-Type: application/json\r\nX-Thing: 1\r\n\r\n';
    const out = `curl 0\nstatus 200\nurl http://h/b\nheaders\n${b64(headers)}\nend\nbody\n${b64('{"ok":true}')}\nend\nerror\n\nend\n`;
    const r = parseCurlOutput(out);
    expect(r).toMatchObject({ curlExit: 0, status: 200, url: 'http://h/b', headers: { 'content-type': 'application/json', 'x-thing': '1' }, error: '' });
    expect(r.body.toString()).toBe('{"ok":true}');
  });
});
