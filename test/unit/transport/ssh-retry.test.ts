import { describe, expect, it } from 'vitest';
import { execNeverSent } from '../../../src/transport/ssh.js';

// What ssh2 reports for an exec whose connection died, by how far the exec had got.
describe('an exec is retried on a new connection only when it never reached the server', () => {
  it('retries when the socket was gone or the channel was still opening', () => {
    expect(execNeverSent(new Error('Not connected'))).toBe(true);
    expect(execNeverSent(new Error('No response from server'))).toBe(true);
    expect(execNeverSent(new Error('Channel is not open'))).toBe(true);
  });

  it('never retries once the exec request was sent (the command may have started)', () => {
    expect(execNeverSent(new Error('Unable to exec'))).toBe(false);
    expect(execNeverSent(new Error('connection lost'))).toBe(false);
    expect(execNeverSent(new Error('(SSH) Channel open failure: open failed'))).toBe(false);
  });
});
