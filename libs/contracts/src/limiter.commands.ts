import { z } from 'zod';
import { limitRefs } from './otp.commands';
import { accountSid, nonEmpty } from './validation';

/**
 * Count one operation against the caller's limits (SPEC section 6). Without `limits` the
 * default limit applies: `max` per `interval` per account and destination (453).
 */
export const ConsumeLimitsCommand = z.object({
  accountSid,
  /** The destination the default limit keys on. */
  destination: nonEmpty(254),
  limits: limitRefs.optional(),
});
export type ConsumeLimitsCommand = z.infer<typeof ConsumeLimitsCommand>;

export interface ConsumeLimitsReply {
  code: 200;
  message: 'OK';
  /** Operations left in the tightest bucket that counted this one. */
  remaining: number;
  /** Seconds until that bucket's window closes. */
  resetIn: number;
}
