import type { Channel, OtpEventType } from './subjects';

/** Envelope of every event (STYLE 4): past-tense type, version, data, metadata. */
export interface EventEnvelope<TType extends string, TData> {
  type: TType;
  version: 1;
  data: TData;
  metadata: {
    /** Unique; also the JetStream message id, so publishing twice stores once. */
    eventId: string;
    occurredAt: string;
    correlationId?: string;
    causationId?: string;
  };
}

export type OtpStatus = 'pending' | 'verified' | 'canceled' | 'expired' | 'failed';

/** What every OTP event says about the request. Never the code. */
export interface OtpEventData {
  requestId: string;
  accountSid: string;
  parentAccountSid: string | null;
  service: string;
  channel: Channel;
  to: string;
  /** The sender id or number the request was sent from (optional: older events lack it). */
  from?: string;
  status: OtpStatus;
  /** Why the status changed, when it is not obvious (`superseded`, `guard_time_elapsed`, `attempts_exhausted`). */
  reason?: string;
  /** Wrong attempts so far (verify_failed). */
  attempts?: number;
  recipientIp?: string | null;
  createdAt: string;
  expiresAt: string;
  /**
   * On `dispatched`: the dispatch handed to JetStream. `channel` and `to` are then that
   * dispatch's (a fallback may use another channel and destination than the request's first).
   */
  dispatchId?: string;
}

/** Lifecycle events, published by otp-core. */
export type OtpLifecycleEventType = Exclude<OtpEventType, 'delivery_status'>;
export type OtpEvent = EventEnvelope<OtpLifecycleEventType, OtpEventData>;

/** What a provider said about one dispatch (SPEC section 7), a closed set. */
export const DELIVERY_STATUSES = ['queued', 'sent', 'delivered', 'undelivered', 'failed'] as const;
export type DeliveryStatus = (typeof DELIVERY_STATUSES)[number];

/**
 * `otp.v1.events.delivery_status`, published by a dispatcher (or by the gateway for a provider
 * callback) each time a dispatch's delivery status changes. Never the code.
 */
export interface DeliveryStatusEventData {
  requestId: string;
  accountSid: string;
  parentAccountSid: string | null;
  /** The dispatch this is about (`<requestId>-<n>`). */
  dispatchId: string;
  channel: Channel;
  to: string;
  status: DeliveryStatus;
  /** Provider name as configured (`smpp`, `webhook`, `smtp`, `log`, …). */
  provider: string;
  /** The provider's id for the message, once it has one. */
  providerMessageId: string | null;
  /** The provider's error, for `undelivered` and `failed`. */
  error: { code: string; message: string } | null;
  /** Delivery attempts made so far for this dispatch (1 on the first). */
  attempt: number;
  /** Billable units (SMS segments); 1 for voice and email. */
  units?: number;
}

export type DeliveryStatusEvent = EventEnvelope<'delivery_status', DeliveryStatusEventData>;

/** Any event on `otp.v1.events.>`. */
export type AnyOtpEvent = OtpEvent | DeliveryStatusEvent;
