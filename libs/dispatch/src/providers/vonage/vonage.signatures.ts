import { createHash, createHmac, createSign, randomUUID, timingSafeEqual } from 'node:crypto';

export const SIGNATURE_METHODS = ['md5hash', 'md5', 'sha1', 'sha256', 'sha512'] as const;
export type SignatureMethod = (typeof SIGNATURE_METHODS)[number];

/** Reports older (or newer) than this are refused as replays. */
const TOLERANCE_SECONDS = 300;

function safeEqual(a: string, b: string): boolean {
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && timingSafeEqual(x, y);
}

/**
 * The SMS API's signature (`sig`) of a webhook: every parameter but `sig`, sorted by name, as
 * `&name=value` with `&` and `=` in values replaced by `_`; then either MD5 of that string
 * followed by the signature secret (`md5hash`, the dashboard's default) or the HMAC of it keyed
 * with the secret (md5, sha1, sha256, sha512), in hex.
 */
export function smsSignature(secret: string, method: SignatureMethod, params: Record<string, string>): string {
  const query = Object.keys(params)
    .filter((k) => k !== 'sig')
    .sort()
    .map((k) => `&${k}=${params[k].replace(/[&=]/g, '_')}`)
    .join('');
  if (method === 'md5hash')
    return createHash('md5')
      .update(query + secret, 'utf8')
      .digest('hex');
  return createHmac(method, secret).update(query, 'utf8').digest('hex');
}

export function verifySmsSignature(
  secret: string,
  method: SignatureMethod,
  params: Record<string, string>,
  nowSeconds: number,
): boolean {
  if (!params.sig) return false;
  const timestamp = Number(params.timestamp);
  if (!Number.isFinite(timestamp) || Math.abs(nowSeconds - timestamp) > TOLERANCE_SECONDS) return false;
  return safeEqual(smsSignature(secret, method, params).toLowerCase(), params.sig.toLowerCase());
}

function base64url(data: Buffer | string): string {
  return Buffer.from(data).toString('base64url');
}

/**
 * A signed webhook of the Voice API: `Authorization: Bearer <JWT>`, HS256 with the account's
 * signature secret, whose `payload_hash` claim is the SHA-256 (hex) of the body. Checked: the
 * algorithm, the signature (constant time), `iat` within five minutes, and the body's hash.
 */
export function verifyWebhookJwt(
  secret: string,
  authorization: string | undefined,
  body: Buffer,
  nowSeconds: number,
): boolean {
  const token = /^Bearer\s+(\S+)$/i.exec(authorization ?? '')?.[1];
  if (!token) return false;
  const parts = token.split('.');
  if (parts.length !== 3) return false;
  const [header, payload, signature] = parts;
  let head: { alg?: string };
  let claims: { iat?: number; payload_hash?: string };
  try {
    head = JSON.parse(Buffer.from(header, 'base64url').toString('utf8')) as typeof head;
    claims = JSON.parse(Buffer.from(payload, 'base64url').toString('utf8')) as typeof claims;
  } catch {
    return false;
  }
  if (head.alg !== 'HS256') return false;
  const expected = createHmac('sha256', secret).update(`${header}.${payload}`).digest('base64url');
  if (!safeEqual(expected, signature)) return false;
  if (typeof claims.iat !== 'number' || Math.abs(nowSeconds - claims.iat) > TOLERANCE_SECONDS) return false;
  if (body.length > 0 || claims.payload_hash !== undefined) {
    const hash = createHash('sha256').update(body).digest('hex');
    if (typeof claims.payload_hash !== 'string' || !safeEqual(hash, claims.payload_hash.toLowerCase())) return false;
  }
  return true;
}

/**
 * The JWT that authenticates a Voice API request: RS256 with the application's private key,
 * claims `application_id`, `iat`, `exp` (15 minutes) and a fresh `jti`.
 */
export function applicationJwt(applicationId: string, privateKey: string, nowSeconds: number): string {
  const header = base64url(JSON.stringify({ alg: 'RS256', typ: 'JWT' }));
  const payload = base64url(
    JSON.stringify({ application_id: applicationId, iat: nowSeconds, exp: nowSeconds + 900, jti: randomUUID() }),
  );
  const signature = createSign('RSA-SHA256').update(`${header}.${payload}`).sign(privateKey);
  return `${header}.${payload}.${base64url(signature)}`;
}
