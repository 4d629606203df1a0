import { type ErrorReply, httpStatusOf } from '@app/contracts';
import type { Response } from 'express';

/** What a reply may say about the limit that counted it (send, verify). */
interface LimitState {
  remaining?: number;
  resetIn?: number;
  limit?: number;
}

/**
 * Answers with a service reply: the HTTP status from the catalog, `Retry-After` when the
 * reply says when to retry, and the body in the seed's shape. What is left of the tightest
 * limit goes into `RateLimit-Limit`, `RateLimit-Remaining` and `RateLimit-Reset` headers
 * (the IETF draft's names), so the seed's body stays exactly as it is.
 */
export function sendReply(res: Response, reply: { code: number; message: string; field?: string }): void {
  const { retryAfter, remaining, resetIn, limit, ...body } = reply as ErrorReply & LimitState;
  res.status(httpStatusOf(reply.code));
  if (retryAfter !== undefined) res.setHeader('Retry-After', String(retryAfter));
  if (remaining !== undefined && resetIn !== undefined && limit !== undefined) {
    res.setHeader('RateLimit-Limit', String(limit));
    res.setHeader('RateLimit-Remaining', String(remaining));
    res.setHeader('RateLimit-Reset', String(resetIn));
  }
  // Not for the console's own requests: the browser would pop up its Basic sign-in dialog.
  if (reply.code === 401 && !res.req?.headers['x-requested-with']) {
    res.setHeader('WWW-Authenticate', 'Basic realm="smart2fa"');
  }
  if (reply.code !== 200 && !('requestID' in body)) (body as ErrorReply).requestID = null;
  // A fraud guard refusal says in its body too when its block ends (SPEC 4, 12).
  if (reply.code === 456 && retryAfter !== undefined) (body as ErrorReply).retryAfter = retryAfter;
  res.json(body);
}
