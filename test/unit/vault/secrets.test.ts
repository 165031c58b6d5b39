import { afterEach, describe, expect, it } from 'vitest';
import { clearSecrets, maskSecrets, maskValue, registerSecret } from '../../../src/vault/secrets.js';

afterEach(() => clearSecrets());

describe('masking registry', () => {
  it('replaces every occurrence, longest secret first, in text and in JSON of it', () => {
    registerSecret('hunter2');
    registerSecret('hunter2-long');
    registerSecret({ nested: ['p"q\\r$x', 12345] });
    expect(maskSecrets('a hunter2 b hunter2-long c')).toBe('a ******** b ******** c');
    expect(maskSecrets(JSON.stringify({ v: 'x p"q\\r$x y' }))).toBe('{"v":"x ******** y"}');
    expect(maskSecrets('port 12345')).toBe('port ********');
    expect(maskValue({ a: ['hunter2!'], b: 3 })).toEqual({ a: ['********!'], b: 3 });
  });

  it('masks each line of a multi-line secret, and skips values too short to mask safely', () => {
    registerSecret('-----BEGIN KEY-----\nAAAABBBBCCCC\n-----END KEY-----\n');
    registerSecret('ab');
    expect(maskSecrets('key:\nAAAABBBBCCCC\n')).toBe('key:\n********\n');
    expect(maskSecrets('ab cd')).toBe('ab cd');
    expect(maskSecrets(JSON.stringify('-----BEGIN KEY-----\nAAAABBBBCCCC\n-----END KEY-----\n'))).not.toContain('AAAABBBB');
  });

  it('leaves text alone when nothing is registered', () => {
    expect(maskSecrets('hunter2')).toBe('hunter2');
  });
});
