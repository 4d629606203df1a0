import { createHmac } from 'node:crypto';
import { deliveryEventId } from './delivery-status.publisher';
import { sign, verifySignature } from './signature';

describe('webhook signatures', () => {
  const secret = 'a-secret-of-some-length';
  const body = Buffer.from('{"reference":"OTPabc-1","status":"delivered"}');

  it('is sha256=<hex HMAC-SHA256 of the raw body>', () => {
    expect(sign(secret, body)).toBe(`sha256=${createHmac('sha256', secret).update(body).digest('hex')}`);
  });

  it('accepts only the signature of these exact bytes with this secret', () => {
    expect(verifySignature(secret, body, sign(secret, body))).toBe(true);
    expect(verifySignature(secret, body, sign('another-secret-entirely', body))).toBe(false);
    expect(verifySignature(secret, Buffer.from(`${body} `), sign(secret, body))).toBe(false);
    expect(verifySignature(secret, body, undefined)).toBe(false);
    expect(verifySignature(secret, body, 'sha256=')).toBe(false);
    expect(verifySignature(secret, body, sign(secret, body).toUpperCase())).toBe(false);
  });
});

describe('delivery status event ids', () => {
  it('are UUID-shaped and the same for the same dispatch, status and attempt only', () => {
    const id = deliveryEventId('OTPabc-1', 'sent', 1);
    expect(id).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-5[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    expect(deliveryEventId('OTPabc-1', 'sent', 1)).toBe(id);
    expect(new Set([id, deliveryEventId('OTPabc-1', 'sent', 2), deliveryEventId('OTPabc-1', 'delivered', 1), deliveryEventId('OTPabc-2', 'sent', 1)]).size).toBe(4);
  });
});
