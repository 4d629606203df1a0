import { createHmac, timingSafeEqual } from 'node:crypto';

/**
 * One signature scheme for every signed HTTP body Smart 2FA sends or takes: status callbacks
 * (under STATUS_CALLBACK_SECRET), requests to webhook providers and their callbacks to the
 * gateway (under SMS_WEBHOOK_SECRET / VOICE_WEBHOOK_SECRET):
 * `X-Smart2FA-Signature: t=<unix seconds>,v1=<hex HMAC-SHA256 of "<t>.<raw body>">`.
 * The time inside the signature lets a receiver refuse a replayed old body.
 */
export const SIGNATURE_HEADER = 'x-smart2fa-signature';
export const STATUS_CALLBACK_EVENT_ID_HEADER = 'x-smart2fa-event-id';
export const STATUS_CALLBACK_EVENT_TYPE_HEADER = 'x-smart2fa-event-type';

/** How far a signature's time may be from the receiver's clock. */
export const SIGNATURE_TOLERANCE_SECONDS = 300;

export function signBody(secret: string, body: string | Buffer, unixSeconds: number): string {
  return `t=${unixSeconds},v1=${hmac(secret, unixSeconds, body).toString('hex')}`;
}

/**
 * What a receiver runs: the signature matches the raw body (constant-time), and its time is
 * within `toleranceSeconds` of the receiver's clock.
 */
export function verifyBody(
  secret: string,
  body: string | Buffer,
  header: string | undefined,
  nowSeconds: number,
  toleranceSeconds = SIGNATURE_TOLERANCE_SECONDS,
): boolean {
  if (!header) return false;
  const parts = new Map(header.split(',').map((p) => p.trim().split('=', 2) as [string, string]));
  const t = Number(parts.get('t'));
  const given = parts.get('v1');
  if (!Number.isSafeInteger(t) || !given || !/^[0-9a-f]{64}$/.test(given)) return false;
  if (Math.abs(nowSeconds - t) > toleranceSeconds) return false;
  return timingSafeEqual(hmac(secret, t, body), Buffer.from(given, 'hex'));
}

function hmac(secret: string, t: number, body: string | Buffer): Buffer {
  return createHmac('sha256', secret).update(`${t}.`).update(body).digest();
}
