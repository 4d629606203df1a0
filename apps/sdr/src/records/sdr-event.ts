import {
  CHANNELS,
  DELIVERY_STATUSES,
  type DeliveryStatusEvent,
  OTP_EVENT_TYPES,
  OTP_STATUSES,
  type OtpEvent,
} from '@app/contracts';
import { z } from 'zod';

/**
 * What the projection needs of an event on `otp.v1.events.>`, validated on receipt: other
 * teams publish there too (dispatchers, the gateway's provider callbacks). Fields it does not
 * use pass unchecked.
 */
const metadata = z.object({ eventId: z.string().min(1).max(200), occurredAt: z.iso.datetime({ offset: true }) });
const base = {
  requestId: z.string().min(1).max(64),
  accountSid: z.string().min(1).max(64),
  parentAccountSid: z.string().max(64).nullable(),
  channel: z.enum(CHANNELS),
  to: z.string().min(1).max(254),
};

const lifecycleData = z.object({
  ...base,
  service: z.string().max(200),
  from: z.string().max(254).optional(),
  status: z.enum(OTP_STATUSES),
  reason: z.string().max(100).optional(),
  attempts: z.number().int().min(0).optional(),
  createdAt: z.iso.datetime({ offset: true }),
  expiresAt: z.iso.datetime({ offset: true }),
  dispatchId: z.string().min(1).max(100).optional(),
});

const deliveryData = z.object({
  ...base,
  dispatchId: z.string().min(1).max(100),
  status: z.enum(DELIVERY_STATUSES),
  provider: z.string().max(100),
  providerMessageId: z.string().max(200).nullable(),
  error: z.object({ code: z.string().max(100), message: z.string().max(1000) }).nullable(),
  attempt: z.number().int().min(0).max(1_000_000),
  units: z.number().int().min(0).max(1000).optional(),
});

const LIFECYCLE_TYPES = OTP_EVENT_TYPES.filter((t) => t !== 'delivery_status') as [
  Exclude<(typeof OTP_EVENT_TYPES)[number], 'delivery_status'>,
  ...never[],
];

export const SdrEventSchema = z.discriminatedUnion('type', [
  z.object({ type: z.enum(LIFECYCLE_TYPES), version: z.literal(1), data: lifecycleData, metadata }),
  z.object({ type: z.literal('delivery_status'), version: z.literal(1), data: deliveryData, metadata }),
]);

/** An event as the projection reads it (times normalised to UTC ISO strings). */
export type SdrEvent =
  | { type: OtpEvent['type']; version: 1; data: OtpEvent['data']; metadata: { eventId: string; occurredAt: string } }
  | {
      type: 'delivery_status';
      version: 1;
      data: DeliveryStatusEvent['data'];
      metadata: { eventId: string; occurredAt: string };
    };

export function parseSdrEvent(raw: unknown): SdrEvent | undefined {
  const parsed = SdrEventSchema.safeParse(raw);
  if (!parsed.success) return undefined;
  const event = parsed.data as SdrEvent;
  // Order keys compare times as strings: one form for all (UTC, milliseconds).
  const utc = (s: string) => new Date(s).toISOString();
  event.metadata = { eventId: event.metadata.eventId, occurredAt: utc(event.metadata.occurredAt) };
  if (event.type !== 'delivery_status')
    event.data = { ...event.data, createdAt: utc(event.data.createdAt), expiresAt: utc(event.data.expiresAt) };
  return event;
}
