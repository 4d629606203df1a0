/**
 * NATS subjects other than the request-reply commands, whose subjects are the keys of
 * `COMMAND_SCHEMAS` (command-map.ts). They are a public API: never renamed, only versioned.
 * Every subject is placed under the deployment's `NATS_PREFIX` with {@link withPrefix}.
 */
export const Subjects = {
  /** Development outbox query, answered by the dispatcher of that channel. */
  devOutbox: (channel: Channel) => `dev.v1.outbox.${channel}` as const,
  /** JetStream work queue, one subject per channel. */
  dispatch: (channel: Channel) => `dispatch.v1.${channel}` as const,
  /**
   * JetStream (DISPATCH stream): what a provider said later about a message (a callback to the
   * gateway, an SMPP receipt), for that channel's dispatcher to resolve into a delivery_status.
   */
  receipt: (channel: Channel) => `dispatch.v1.receipts.${channel}` as const,
  /**
   * JetStream (DISPATCH stream): a vendor's delivery report exactly as it reached
   * `/2fa/callbacks/{name}`, for the channel's dispatcher whose provider `name` is to check and read.
   */
  providerCallback: (channel: Channel, name: string) => `dispatch.v1.callbacks.${channel}.${name}` as const,
  /** JetStream lifecycle events. */
  otpEvent: (type: OtpEventType) => `otp.v1.events.${type}` as const,
  /** Every event type, for a consumer that takes them all. */
  allOtpEvents: 'otp.v1.events.>',
  /**
   * JetStream (OTP_EVENTS stream): a second copy, byte for byte, of each event of a request
   * that has a `statusCallback` (or whose event does not say, {@link wantsStatusCallback}),
   * published by whoever publishes the event, for the status-callback consumer alone: events of
   * requests without a callback never reach it. Its message id is {@link statusCallbackMsgId}.
   */
  statusCallbackEvent: (type: OtpEventType) => `otp.v1.status_callbacks.${type}` as const,
  /** Every status-callback copy. */
  allStatusCallbackEvents: 'otp.v1.status_callbacks.>',
} as const;

/**
 * The JetStream message id of an event's status-callback copy: not the event's own, which the
 * stream (the same one) would take for a re-publish of the event and drop; derived from it, so
 * that a re-published copy is stored once too. The copy's body, `eventId` included, is the event's.
 */
export function statusCallbackMsgId(eventId: string): string {
  return `${eventId}.status_callback`;
}

/**
 * Whether an event is also published on {@link Subjects.statusCallbackEvent}: unless it says
 * its request has no callback. An event without `hasStatusCallback` (an older publisher's) is
 * copied too, and the consumer looks the URL up.
 */
export function wantsStatusCallback(event: { data?: { hasStatusCallback?: boolean } }): boolean {
  return event.data?.hasStatusCallback !== false;
}

/**
 * The status-callback copy of a message published on `subject` under `msgId`, if it gets one:
 * an OTP event (on `otp.v1.events.<its type>`) unless it says its request has no callback
 * ({@link wantsStatusCallback}). Every publisher of events asks this, and publishes the copy
 * after the event.
 */
export function statusCallbackCopy(
  subject: string,
  msgId: string,
  payload: unknown,
): { subject: string; msgId: string } | undefined {
  const event = (payload ?? {}) as { type?: unknown; data?: { hasStatusCallback?: boolean } };
  const type = event.type as OtpEventType;
  if (!OTP_EVENT_TYPES.includes(type) || subject !== Subjects.otpEvent(type)) return undefined;
  if (!wantsStatusCallback(event)) return undefined;
  return { subject: Subjects.statusCallbackEvent(type), msgId: statusCallbackMsgId(msgId) };
}

export const CHANNELS = ['sms', 'call', 'email'] as const;
export type Channel = (typeof CHANNELS)[number];

/**
 * Event types on `otp.v1.events.<type>`. `delivery_status` is published by the dispatchers
 * (what a provider said about one dispatch); `failed` by otp-core when a request fails for a
 * reason other than wrong codes (every channel failed to deliver); `blocked` by otp-core when the
 * fraud guard refused a send (SPEC 12: nothing was sent). The rest by otp-core.
 */
export const OTP_EVENT_TYPES = [
  'created',
  'dispatched',
  'delivery_status',
  'verified',
  'verify_failed',
  'canceled',
  'expired',
  'failed',
  'blocked',
] as const;
export type OtpEventType = (typeof OTP_EVENT_TYPES)[number];

/** A JetStream stream of the contract; names and subjects before the deployment's prefix. */
export interface StreamDefinition {
  /** JetStream names cannot hold dots; {@link streamName} prefixes it. */
  name: string;
  subjects: readonly string[];
  /** `workqueue`: a message leaves once a consumer acknowledged it; `limits`: kept until `maxAgeMs`. */
  retention: 'workqueue' | 'limits';
  /** Publishing the same message id within this window stores the message once. */
  duplicateWindowMs: number;
  maxAgeMs: number;
}

const MINUTE_MS = 60 * 1000;
const DAY_MS = 24 * 60 * MINUTE_MS;

/**
 * The streams, declared once: every publisher and consumer creates them at start from this
 * (libs/platform `ensureStreams`), so no start order between services matters.
 */
export const STREAMS = {
  /** The dispatch work queues and the providers' receipts (`dispatch.v1.<channel>`, `dispatch.v1.receipts.<channel>`). */
  dispatch: {
    name: 'DISPATCH',
    subjects: ['dispatch.v1.>'],
    retention: 'workqueue',
    duplicateWindowMs: 10 * MINUTE_MS,
    maxAgeMs: DAY_MS,
  },
  /**
   * Lifecycle and delivery status events (`otp.v1.events.<type>`), kept for replays and new
   * projections, and their status-callback copies (`otp.v1.status_callbacks.<type>`).
   */
  otpEvents: {
    name: 'OTP_EVENTS',
    subjects: [Subjects.allOtpEvents, Subjects.allStatusCallbackEvents],
    retention: 'limits',
    duplicateWindowMs: 10 * MINUTE_MS,
    maxAgeMs: 30 * DAY_MS,
  },
} as const satisfies Record<string, StreamDefinition>;

/** JetStream stream names, likewise prefixed with {@link streamName}. */
export const Streams = {
  dispatch: STREAMS.dispatch.name,
  otpEvents: STREAMS.otpEvents.name,
} as const;

export function withPrefix(prefix: string, subject: string): string {
  return prefix ? `${prefix}.${subject}` : subject;
}

export function streamName(prefix: string, stream: string): string {
  return prefix ? `${prefix.replace(/[^A-Za-z0-9_-]/g, '_')}_${stream}` : stream;
}
