import { z } from 'zod';
import { okWith } from './paging';
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
  /** Whether the request has a statusCallback; copied into the dispatch's delivery_status events. */
  hasStatusCallback: z.boolean().optional(),
});
export type DispatchMessage = z.infer<typeof DispatchMessage>;

/**
 * A provider's later word about one dispatch, on `dispatch.v1.receipts.<channel>`: from a
 * provider callback (validated by the gateway, which knows only the dispatch id the provider
 * echoed) or an SMPP delivery receipt (which knows only the provider's message id). The
 * dispatcher resolves it against what it stored when it sent and publishes delivery_status.
 */
export const DeliveryReceipt = z
  .object({
    channel: z.enum(CHANNELS),
    dispatchId: z.string().min(1).max(64).optional(),
    providerMessageId: z.string().min(1).max(128).optional(),
    /** Whose message id `providerMessageId` is (a channel may have several providers); the channel's first when absent. */
    provider: z.string().min(1).max(64).optional(),
    status: z.enum(['sent', 'delivered', 'undelivered', 'failed']),
    error: z.object({ code: z.string().min(1).max(64), message: z.string().max(500) }).optional(),
  })
  .refine((r) => r.dispatchId !== undefined || r.providerMessageId !== undefined, {
    message: 'dispatchId or providerMessageId is required',
    path: ['dispatchId'],
  });
export type DeliveryReceipt = z.infer<typeof DeliveryReceipt>;

/**
 * Body of a provider callback (`POST /2fa/callbacks/sms`, `/2fa/callbacks/call`), signed with
 * the provider's secret. `reference` is the dispatch id we sent the provider.
 */
export const ProviderCallback = z.object({
  reference: z.string().min(1).max(64),
  messageId: z.string().min(1).max(128).optional(),
  status: z.enum(['sent', 'delivered', 'undelivered', 'failed']),
  error: z.object({ code: z.string().min(1).max(64), message: z.string().max(500) }).optional(),
});
export type ProviderCallback = z.infer<typeof ProviderCallback>;

/**
 * A vendor's delivery report as the gateway received it at `/2fa/callbacks/{name}`, on
 * `dispatch.v1.callbacks.<channel>.<name>`: the gateway neither checks nor reads it (it holds no
 * provider secret); the provider does. `url` is the URL the vendor called (PUBLIC_URL + path and
 * query), `body` the raw bytes in base64, `receivedAt` the gateway's time (replay windows).
 * A `Smart2fa-Reply` header names the inbox where the gateway waits for the verdict.
 */
export const ProviderCallbackRequest = z.object({
  name: z.string().min(1).max(64),
  method: z.string().min(1).max(10),
  url: z.string().min(1).max(4096),
  headers: z.record(z.string(), z.string()),
  body: z.string(),
  receivedAt: z.string(),
});
export type ProviderCallbackRequest = z.infer<typeof ProviderCallbackRequest>;

/** The provider's verdict on a delivery report, which the gateway answers with. */
export const ProviderCallbackVerdict = z.object({
  status: z.union([z.literal(200), z.literal(400), z.literal(401), z.literal(404)]),
  message: z.string().optional(),
  field: z.string().optional(),
});
export type ProviderCallbackVerdict = z.infer<typeof ProviderCallbackVerdict>;

/** Header of a provider callback message naming the inbox that waits for its verdict. */
export const CALLBACK_REPLY_HEADER = 'Smart2fa-Reply';

/** Query of the development outbox (`dev.v1.outbox.<channel>`). */
export const DevOutboxQuery = z.object({
  accountSid,
  to: z.string().min(1).max(254),
});
export type DevOutboxQuery = z.infer<typeof DevOutboxQuery>;

/** A message a `log` provider kept, in full (development only). */
export const DevOutboxEntry = z
  .object({
    requestID: z.string(),
    channel: z.string(),
    from: z.string(),
    to: z.string(),
    subject: z.string().nullable(),
    body: z.string().meta({ description: 'The message as delivered, with the code.' }),
    dateCreated: z.string(),
  })
  .meta({ id: 'DevOutboxMessage' });
export type DevOutboxEntry = z.infer<typeof DevOutboxEntry>;

export const DevOutboxReply = okWith(z.array(DevOutboxEntry));
export type DevOutboxReply = z.infer<typeof DevOutboxReply>;
