import { signStatusCallback, verifyStatusCallback } from './status-callback';

describe('status callback signature', () => {
  const secret = 'k'.repeat(32);
  const body = '{"type":"verified"}';

  it('verifies what it signed, within the tolerance', () => {
    const header = signStatusCallback(secret, body, 1_700_000_000);
    expect(header).toMatch(/^t=1700000000,v1=[0-9a-f]{64}$/);
    expect(verifyStatusCallback(secret, body, header, 1_700_000_100)).toBe(true);
  });

  it('refuses another body, another secret, an old time, and malformed headers', () => {
    const header = signStatusCallback(secret, body, 1_700_000_000);
    expect(verifyStatusCallback(secret, `${body} `, header, 1_700_000_000)).toBe(false);
    expect(verifyStatusCallback('x'.repeat(32), body, header, 1_700_000_000)).toBe(false);
    expect(verifyStatusCallback(secret, body, header, 1_700_000_301)).toBe(false);
    for (const bad of [undefined, '', 't=abc,v1=00', 'v1=' + '0'.repeat(64), `t=1700000000,v1=${'z'.repeat(64)}`]) {
      expect(verifyStatusCallback(secret, body, bad, 1_700_000_000)).toBe(false);
    }
  });
});
