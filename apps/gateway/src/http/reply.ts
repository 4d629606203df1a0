import { type ErrorReply, ErrorCode, httpStatusOf, isErrorReply } from '@app/contracts';
import type { Response } from 'express';

/** What a reply may say about the limit that counted it (send, verify). */
interface LimitState {
  remaining?: number;
  resetIn?: number;
  limit?: number;
}

/** A complete HTTP answer: status, headers and JSON body. */
export interface HttpAnswer {
  status: number;
  headers: Record<string, string>;
  body: object;
}

/**
 * A service reply as HTTP: the status from the catalog, `Retry-After` when the reply says when
 * to retry, and the body in the seed's shape. What is left of the tightest limit goes into
 * `RateLimit-Limit`, `RateLimit-Remaining` and `RateLimit-Reset` headers (the IETF draft's
 * names), so the seed's body stays exactly as it is.
 */
export function answerOf(
  reply: { code: number; message: string; field?: string },
  options: { basicChallenge: boolean } = { basicChallenge: true },
): HttpAnswer {
  const { retryAfter, remaining, resetIn, limit, ...body } = reply as ErrorReply & LimitState;
  const headers: Record<string, string> = {};
  if (retryAfter !== undefined) headers['Retry-After'] = String(retryAfter);
  if (remaining !== undefined && resetIn !== undefined && limit !== undefined) {
    headers['RateLimit-Limit'] = String(limit);
    headers['RateLimit-Remaining'] = String(remaining);
    headers['RateLimit-Reset'] = String(resetIn);
  }
  if (reply.code === ErrorCode.Unauthorized && options.basicChallenge)
    headers['WWW-Authenticate'] = 'Basic realm="smart2fa"';
  if (reply.code !== 200 && !('requestID' in body)) (body as ErrorReply).requestID = null;
  // A fraud guard refusal says in its body too when its block ends (SPEC 4, 12).
  if (reply.code === ErrorCode.FraudBlocked && retryAfter !== undefined) (body as ErrorReply).retryAfter = retryAfter;
  return { status: httpStatusOf(reply.code), headers, body };
}

/** Not for the console's own requests: the browser would pop up its Basic sign-in dialog. */
function basicChallenge(res: Response): boolean {
  return !res.req?.headers['x-requested-with'];
}

export function sendAnswer(res: Response, answer: HttpAnswer): void {
  res.status(answer.status);
  for (const [name, value] of Object.entries(answer.headers)) res.setHeader(name, value);
  res.json(answer.body);
}

/** Answers with a service reply (see {@link answerOf}), for code that owns the response (filters, middleware). */
export function sendReply(res: Response, reply: { code: number; message: string; field?: string }): void {
  sendAnswer(res, answerOf(reply, { basicChallenge: basicChallenge(res) }));
}

/**
 * Thrown by a route handler that answers something other than its success body (an error
 * reply from a service, the second vendor's error shape): `HttpErrorFilter` sends it as it is.
 */
export class AnswerException extends Error {
  constructor(readonly answer: HttpAnswer) {
    super(`answered ${answer.status}`);
    this.name = 'AnswerException';
  }
}

/**
 * For a handler with `@Res({ passthrough: true })`: the body of a success reply, its headers set
 * on `res`, for Nest to send with the route's status (`@HttpCode(200)` on a POST); an error
 * reply is thrown as an {@link AnswerException} and leaves exactly as {@link sendReply} sends it.
 */
export function replyBody(res: Response, reply: { code: number; message: string }): object {
  const answer = answerOf(reply, { basicChallenge: basicChallenge(res) });
  if (isErrorReply(reply)) throw new AnswerException(answer);
  for (const [name, value] of Object.entries(answer.headers)) res.setHeader(name, value);
  return answer.body;
}
