import { describe, expect, it } from 'vitest';
import { getUrlCurl, parseChecksum, urlFileName } from '../../../../modules/get_url.js';

describe('get_url', () => {
  it('curl argv: a GET with headers and timeout, the URL after --', () => {
    expect(getUrlCurl({ url: 'http://h/a.tgz', dest: '/tmp/a', headers: { Auth: 'x' }, timeout: 7 })).toEqual([
      '-sS', '--max-time', '7', '-L', '-H', 'Auth: x', '--', 'http://h/a.tgz',
    ]);
  });
  it('checksum ALGO:HEX, lower-cased; anything else is an error', () => {
    expect(parseChecksum('sha256:ABCDEF')).toEqual({ algo: 'sha256', digest: 'abcdef' });
    expect(parseChecksum(undefined)).toBeUndefined();
    expect(() => parseChecksum('crc:12')).toThrow("get_url: checksum 'crc:12' is not ALGORITHM:HEX");
  });
  it("a directory dest takes the URL's file name", () => {
    expect(urlFileName('http://h/dl/app%201.tgz?x=1')).toBe('app 1.tgz');
    expect(urlFileName('http://h/')).toBe('index.html');
  });
});
