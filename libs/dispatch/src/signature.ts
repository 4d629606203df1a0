import { createHmac, timingSafeEqual } from 'node:crypto';

/** Header carrying the HMAC of a webhook's or callback's raw body: `sha256=<hex>`. */
export const SIGNATURE_HEADER = 'x-smart2fa-signature';

export function sign(secret: string, body: string | Buffer): string {
  return `sha256=${createHmac('sha256', secret).update(body).digest('hex')}`;
}

/** Constant-time check of a `sha256=<hex>` signature. */
export function verifySignature(secret: string, body: Buffer, signature: string | undefined): boolean {
  if (!signature) return false;
  const expected = Buffer.from(sign(secret, body));
  const given = Buffer.from(signature);
  return given.length === expected.length && timingSafeEqual(given, expected);
}
