import { type ErrorReply, httpStatusOf } from '@app/contracts';
import type { Response } from 'express';

/**
 * Answers with a service reply: the HTTP status from the catalog, `Retry-After` when the
 * reply says when to retry, and the body in the seed's shape.
 */
export function sendReply(res: Response, reply: { code: number; message: string; field?: string }): void {
  const { retryAfter, remaining: _remaining, ...body } = reply as ErrorReply & { remaining?: number };
  res.status(httpStatusOf(reply.code));
  if (retryAfter !== undefined) res.setHeader('Retry-After', String(retryAfter));
  if (reply.code === 401) res.setHeader('WWW-Authenticate', 'Basic realm="smart2fa"');
  if (reply.code !== 200 && !('requestID' in body)) (body as ErrorReply).requestID = null;
  res.json(body);
}
