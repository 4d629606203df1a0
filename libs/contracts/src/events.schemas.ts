import { z } from 'zod';
import { DELIVERY_STATUSES } from './events';
import { CHANNELS } from './subjects';
import { accountSid, otpRequestId } from './validation';

/**
 * Validation on receipt of `otp.v1.events.delivery_status` ({@link DeliveryStatusEvent}):
 * other teams' dispatchers publish it too, so a consumer checks before it acts.
 */
export const DeliveryStatusEventSchema = z.object({
  type: z.literal('delivery_status'),
  version: z.literal(1),
  data: z.object({
    requestId: otpRequestId,
    accountSid,
    parentAccountSid: accountSid.nullable().optional(),
    dispatchId: z.string().min(1).max(64),
    channel: z.enum(CHANNELS),
    to: z.string().min(1),
    status: z.enum(DELIVERY_STATUSES),
    provider: z.string().min(1),
    providerMessageId: z.string().nullable(),
    error: z.object({ code: z.string(), message: z.string() }).nullable(),
    attempt: z.number().int().min(1),
    units: z.number().int().min(0).optional(),
  }),
  metadata: z.looseObject({ eventId: z.string().min(1), occurredAt: z.string() }),
});
