import { z } from 'zod';
import { CHANNELS } from './subjects';
import { accountSid, otpRequestId } from './validation';

/**
 * One message to deliver, put on `dispatch.v1.<channel>` (JetStream, work queue). It is the
 * only message that carries the code, inside the rendered `text`; `maskedText` is what may
 * be logged.
 */
export const DispatchMessage = z.object({
  /** Unique per delivery attempt; the de-duplication key all the way to the provider. */
  dispatchId: z.string().min(1).max(64),
  requestId: otpRequestId,
  accountSid,
  parentAccountSid: accountSid.optional(),
  channel: z.enum(CHANNELS),
  from: z.string().min(1),
  to: z.string().min(1),
  text: z.string().min(1),
  maskedText: z.string().min(1),
  subject: z.string().optional(),
  language: z.string().optional(),
  voice: z.enum(['man', 'woman']).optional(),
  repeat: z.number().int().min(1).max(5).optional(),
  /** ISO-8601. A message still queued after the code expired is not worth sending. */
  expiresAt: z.string(),
  createdAt: z.string(),
});
export type DispatchMessage = z.infer<typeof DispatchMessage>;

/** Query of the development outbox (`dev.v1.outbox.<channel>`). */
export const DevOutboxQuery = z.object({
  accountSid,
  to: z.string().min(1).max(254),
});
export type DevOutboxQuery = z.infer<typeof DevOutboxQuery>;

export interface DevOutboxEntry {
  requestID: string;
  channel: string;
  from: string;
  to: string;
  subject: string | null;
  body: string;
  dateCreated: string;
}

export interface DevOutboxReply {
  code: 200;
  message: 'OK';
  data: DevOutboxEntry[];
}
