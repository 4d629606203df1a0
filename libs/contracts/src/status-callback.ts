import { createHmac, timingSafeEqual } from 'node:crypto';

/**
 * Status callbacks (SPEC section 7): each event of a request that named a `statusCallback` is
 * POSTed there as JSON (the event envelope, never the code), signed in this header as
 * `t=<unix seconds>,v1=<hex HMAC-SHA256 of "<t>.<raw body>" under STATUS_CALLBACK_SECRET>`.
 */
export const STATUS_CALLBACK_SIGNATURE_HEADER = 'x-smart2fa-signature';
export const STATUS_CALLBACK_EVENT_ID_HEADER = 'x-smart2fa-event-id';
export const STATUS_CALLBACK_EVENT_TYPE_HEADER = 'x-smart2fa-event-type';

export function signStatusCallback(secret: string, body: string, unixSeconds: number): string {
  return `t=${unixSeconds},v1=${createHmac('sha256', secret).update(`${unixSeconds}.${body}`).digest('hex')}`;
}

/**
 * What a receiver runs: the signature matches the raw body (constant-time), and its time is
 * within `toleranceSeconds` of the receiver's clock (a replayed old callback is refused).
 */
export function verifyStatusCallback(secret: string, body: string, header: string | undefined, nowSeconds: number, toleranceSeconds = 300): boolean {
  if (!header) return false;
  const parts = new Map(header.split(',').map((p) => p.trim().split('=', 2) as [string, string]));
  const t = Number(parts.get('t'));
  const given = parts.get('v1');
  if (!Number.isSafeInteger(t) || !given || !/^[0-9a-f]{64}$/.test(given)) return false;
  if (Math.abs(nowSeconds - t) > toleranceSeconds) return false;
  const expected = createHmac('sha256', secret).update(`${t}.${body}`).digest();
  return timingSafeEqual(expected, Buffer.from(given, 'hex'));
}
