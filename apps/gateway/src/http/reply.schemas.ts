import { type ErrorCode, ErrorReply, OtpReply } from '@app/contracts';
import { z } from 'zod';

/**
 * The bodies the gateway answers with, as {@link sendReply} shapes them from the services'
 * replies: what the OpenAPI document describes and the contract tests check every response
 * against. Built from the contracts' reply schemas, never restated.
 */

/** A resource operation's success: the seed's `{code, message, data}` (the services' own replies). */
export { okWith } from '@app/contracts';

/** send, verify, cancel: the limit state leaves as `RateLimit-*` headers, not in the body. */
export const OtpReplyBody = OtpReply.omit({ remaining: true, resetIn: true, limit: true }).meta({ id: 'OtpReply' });

/**
 * Every error of the /2fa API: `Retry-After` leaves as a header (a fraud guard refusal, 456,
 * says it in the body too), `requestID` is always there.
 */
export const ErrorBody = ErrorReply.extend({
  retryAfter: z
    .number()
    .int()
    .optional()
    .meta({ description: 'A fraud guard refusal (456): seconds until its block ends (also in `Retry-After`).' }),
  requestID: z
    .string()
    .nullable()
    .meta({ description: 'The OTP request the error concerns, when there is one; else null.' }),
}).meta({ id: 'Error', description: 'A catalog error (README "Error catalog"). `code` says which.' });

/** The error body of one response, narrowed to the codes that response may carry. */
export const errorBodyOf = (codes: readonly [ErrorCode, ...ErrorCode[]]) =>
  z.intersection(ErrorBody, z.looseObject({ code: z.literal(codes) }));
