import { createHmac } from 'node:crypto';
import { signBody, verifyBody } from './webhook-signature';

describe('signatures of webhook, callback and status callback bodies', () => {
  const secret = 'k'.repeat(32);
  const body = '{"type":"verified"}';

  it('is t=<unix>,v1=<hex HMAC-SHA256 of "t.body">, and verifies what it signed within the tolerance', () => {
    const header = signBody(secret, body, 1_700_000_000);
    expect(header).toBe(`t=1700000000,v1=${createHmac('sha256', secret).update(`1700000000.${body}`).digest('hex')}`);
    expect(verifyBody(secret, body, header, 1_700_000_100)).toBe(true);
    expect(verifyBody(secret, Buffer.from(body), header, 1_700_000_000)).toBe(true);
  });

  it('refuses another body, another secret, an old or future time, and malformed headers', () => {
    const header = signBody(secret, body, 1_700_000_000);
    expect(verifyBody(secret, `${body} `, header, 1_700_000_000)).toBe(false);
    expect(verifyBody('x'.repeat(32), body, header, 1_700_000_000)).toBe(false);
    expect(verifyBody(secret, body, header, 1_700_000_301)).toBe(false);
    expect(verifyBody(secret, body, header, 1_699_999_699)).toBe(false);
    expect(verifyBody(secret, body, header.toUpperCase(), 1_700_000_000)).toBe(false);
    for (const bad of [
      undefined,
      '',
      't=abc,v1=00',
      'v1=' + '0'.repeat(64),
      `t=1700000000,v1=${'z'.repeat(64)}`,
      'sha256=' + '0'.repeat(64),
    ]) {
      expect(verifyBody(secret, body, bad, 1_700_000_000)).toBe(false);
    }
  });
});
