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
  status: OtpStatus;
  /** Why the status changed, when it is not obvious (`superseded`, `guard_time_elapsed`, `attempts_exhausted`). */
  reason?: string;
  /** Wrong attempts so far (verify_failed). */
  attempts?: number;
  recipientIp?: string | null;
  createdAt: string;
  expiresAt: string;
}

export type OtpEvent = EventEnvelope<OtpEventType, OtpEventData>;
