import { z } from 'zod';
import { CHANNELS, OTP_EVENT_TYPES, type OtpEventType } from './subjects';
import { accountSid, otpRequestId } from './validation';

/**
 * The events on `otp.v1.events.<type>` (docs/asyncapi.yaml): one discriminated union,
 * {@link OtpEventSchema}, that every consumer validates on receipt (other teams' dispatchers
 * publish there too), and the types derived from it. Every event is
 * `{type, version, data, metadata}` (STYLE 4) and never carries the code.
 *
 * The fields of each `data` object are listed in the order the publishers write them: a
 * consumer that re-serialises what it validated (the status callbacks) sends the same bytes.
 */

/** Envelope of every event (STYLE 4): past-tense type, version, data, metadata. */
export interface EventEnvelope<TType extends string, TData> {
  type: TType;
  version: 1;
  data: TData;
  metadata: EventMetadata;
}

/** `blocked`: refused by the fraud guard (SPEC 12); such a request was never sent. */
export const OTP_STATUSES = ['pending', 'verified', 'canceled', 'expired', 'failed', 'blocked'] as const;
export type OtpStatus = (typeof OTP_STATUSES)[number];

/**
 * What the fraud guard decided about a send (SPEC 12): `allowed`, `safe_listed` (passed by the
 * safe list), `bypassed` (`riskCheck: false` on an account that allows it), `monitor_blocked`
 * (would have been refused; monitor mode sent it), `unevaluated` (the guard's store was out of
 * reach: it failed open), `blocked` (refused: nothing was sent).
 */
export const FRAUD_DECISIONS = [
  'allowed',
  'safe_listed',
  'bypassed',
  'monitor_blocked',
  'unevaluated',
  'blocked',
] as const;
export type FraudDecision = (typeof FRAUD_DECISIONS)[number];

/** What a provider said about one dispatch (SPEC section 7), a closed set. */
export const DELIVERY_STATUSES = ['queued', 'sent', 'delivered', 'undelivered', 'failed'] as const;
export type DeliveryStatus = (typeof DELIVERY_STATUSES)[number];

/**
 * How far a dispatch has got: queued < sent < delivered | undelivered | failed. Within one
 * delivery attempt a status never goes back to a lower rank (receipts arrive out of order).
 */
export const DELIVERY_STATUS_RANK: Readonly<Record<DeliveryStatus, number>> = {
  queued: 1,
  sent: 2,
  delivered: 3,
  undelivered: 3,
  failed: 3,
};

const DISPATCH_ID = /^(OTP[0-9a-f]{32})-(\d{1,9})$/;

/** The id of a request's `seq`-th dispatch (1 for the first): `<requestId>-<seq>`. */
export function dispatchIdOf(requestId: string, seq: number): string {
  return `${requestId}-${seq}`;
}

/** The request and number of a dispatch id built by {@link dispatchIdOf}; undefined for any other shape. */
export function parseDispatchId(dispatchId: string): { requestId: string; seq: number } | undefined {
  const match = DISPATCH_ID.exec(dispatchId);
  return match ? { requestId: match[1], seq: Number(match[2]) } : undefined;
}

const isoTime = z.iso.datetime({ offset: true });
const text = (max: number) => z.string().min(1).max(max);

const metadata = z.looseObject({
  /** Unique; also the JetStream message id, so publishing twice stores once. */
  eventId: text(200),
  occurredAt: isoTime,
  /** The request id of the HTTP or NATS call that caused the event (`x-request-id`). */
  correlationId: z.string().max(200).optional(),
  /** The OTP request the event is about. */
  causationId: z.string().max(200).optional(),
});
export type EventMetadata = z.infer<typeof metadata>;

/** What every lifecycle event says about the request. */
const lifecycleData = z.object({
  requestId: otpRequestId,
  accountSid,
  parentAccountSid: accountSid.nullable(),
  service: z.string().max(200),
  channel: z.enum(CHANNELS),
  to: text(254),
  /** The sender id or number the request was sent from (optional: older events lack it). */
  from: z.string().max(254).optional(),
  status: z.enum(OTP_STATUSES),
  recipientIp: z.string().max(64).nullable().optional(),
  createdAt: isoTime,
  expiresAt: isoTime,
  /** Wrong attempts so far (verify_failed). */
  attempts: z.number().int().min(0).max(1_000_000).optional(),
  /** Why the status changed, when it is not obvious (`superseded`, `guard_time_elapsed`, `attempts_exhausted`). */
  reason: z.string().max(100).optional(),
  /**
   * On `dispatched`: the dispatch handed to JetStream. `channel` and `to` are then that
   * dispatch's (a fallback may use another channel and destination than the request's first).
   */
  dispatchId: text(64).optional(),
  /**
   * Whether the request has a `statusCallback` (absent from older events and from other
   * publishers' events, which means "unknown"). Unless it is `false`, the publisher also puts
   * the event on `otp.v1.status_callbacks.<type>` (`wantsStatusCallback`), the only
   * subject the status callbacks read.
   */
  hasStatusCallback: z.boolean().optional(),
  /** On `created` and `blocked`: the fraud guard's decision (sms and call only). */
  fraudDecision: z.enum(FRAUD_DECISIONS).optional(),
  /** With `monitor_blocked` and `blocked`: the rules that refused, first the deciding one. */
  fraudReasons: z.array(z.string().max(100)).max(10).optional(),
});
export type OtpEventData = z.infer<typeof lifecycleData>;

/** Lifecycle events, published by otp-core. */
export type OtpLifecycleEventType = Exclude<OtpEventType, 'delivery_status'>;
const LIFECYCLE_TYPES = OTP_EVENT_TYPES.filter((t): t is OtpLifecycleEventType => t !== 'delivery_status') as [
  OtpLifecycleEventType,
  ...OtpLifecycleEventType[],
];

export const OtpLifecycleEventSchema = z.object({
  type: z.enum(LIFECYCLE_TYPES),
  version: z.literal(1),
  data: lifecycleData,
  metadata,
});
export type OtpEvent = EventEnvelope<OtpLifecycleEventType, OtpEventData>;

/**
 * `otp.v1.events.delivery_status`, published by a dispatcher (or by the gateway for a provider
 * callback) each time a dispatch's delivery status changes.
 */
const deliveryData = z.object({
  requestId: otpRequestId,
  accountSid,
  parentAccountSid: accountSid.nullable(),
  /** The dispatch this is about (`<requestId>-<n>`, see {@link dispatchIdOf}). */
  dispatchId: text(64),
  channel: z.enum(CHANNELS),
  to: text(254),
  status: z.enum(DELIVERY_STATUSES),
  /** Provider name as configured (`smpp`, `webhook`, `smtp`, `log`, …). */
  provider: text(100),
  /** The provider's id for the message, once it has one. */
  providerMessageId: z.string().max(200).nullable(),
  /** The provider's error, for `undelivered` and `failed`. */
  error: z.object({ code: z.string().max(100), message: z.string().max(1000) }).nullable(),
  /** Delivery attempts made so far for this dispatch (1 on the first). */
  attempt: z.number().int().min(1).max(1_000_000),
  /** Billable units (SMS segments); 1 for voice and email. */
  units: z.number().int().min(0).max(1000).optional(),
  /**
   * Whether the request has a `statusCallback` (absent from older events and from other
   * publishers' events, which means "unknown"). Unless it is `false`, the publisher also puts
   * the event on `otp.v1.status_callbacks.<type>` (`wantsStatusCallback`), the only
   * subject the status callbacks read.
   */
  hasStatusCallback: z.boolean().optional(),
});
export type DeliveryStatusEventData = z.infer<typeof deliveryData>;

export const DeliveryStatusEventSchema = z.object({
  type: z.literal('delivery_status'),
  version: z.literal(1),
  data: deliveryData,
  metadata,
});
export type DeliveryStatusEvent = EventEnvelope<'delivery_status', DeliveryStatusEventData>;

/** Any event on `otp.v1.events.>`, validated on receipt by every consumer. */
export const OtpEventSchema = z.discriminatedUnion('type', [OtpLifecycleEventSchema, DeliveryStatusEventSchema]);
export type AnyOtpEvent = OtpEvent | DeliveryStatusEvent;

/** The event, validated (fields outside the contract left out), or undefined when it breaks the contract. */
export function parseOtpEvent(raw: unknown): AnyOtpEvent | undefined {
  const parsed = OtpEventSchema.safeParse(raw);
  return parsed.success ? parsed.data : undefined;
}
