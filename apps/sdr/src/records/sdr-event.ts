import { type AnyOtpEvent, parseOtpEvent } from '@app/contracts';

/** An event as the projection reads it: validated by the contract, times normalised to UTC ISO strings. */
export type SdrEvent = AnyOtpEvent & { metadata: { eventId: string; occurredAt: string } };

export function parseSdrEvent(raw: unknown): SdrEvent | undefined {
  const event = parseOtpEvent(raw);
  if (!event) return undefined;
  // Order keys compare times as strings: one form for all (UTC, milliseconds).
  const utc = (s: string) => new Date(s).toISOString();
  const metadata = { eventId: event.metadata.eventId, occurredAt: utc(event.metadata.occurredAt) };
  if (event.type === 'delivery_status') return { ...event, metadata };
  return {
    ...event,
    metadata,
    data: { ...event.data, createdAt: utc(event.data.createdAt), expiresAt: utc(event.data.expiresAt) },
  };
}
