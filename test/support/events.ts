import { type AnyOtpEvent, type DeliveryStatusEvent, streamName, Streams } from '@app/contracts';
import { decodeJson } from '@app/platform';
import type { Stack } from './stack';

/** Every event of the stack's OTP_EVENTS stream (`otp.v1.events.>` under its prefix), oldest first. */
export async function readEvents(stack: Stack): Promise<AnyOtpEvent[]> {
  const jsm = await stack.nc.jetstreamManager();
  const name = streamName(stack.config.nats.prefix, Streams.otpEvents);
  const info = await jsm.streams.info(name).catch(() => null);
  if (!info || info.state.messages === 0) return [];
  // An ordered consumer reads the whole stream from the start and acknowledges nothing.
  const consumer = await stack.nc.jetstream().consumers.get(name);
  const out: AnyOtpEvent[] = [];
  const batch = await consumer.fetch({ max_messages: 10_000, expires: 2000 });
  for await (const m of batch) {
    out.push(decodeJson(m.data) as AnyOtpEvent);
    if (m.info.pending === 0) break;
  }
  return out;
}

/** The delivery_status events of one request (or of every request when none is given). */
export async function deliveryStatuses(stack: Stack, requestId?: string): Promise<DeliveryStatusEvent[]> {
  return (await readEvents(stack)).filter(
    (e): e is DeliveryStatusEvent => e.type === 'delivery_status' && (requestId === undefined || e.data.requestId === requestId),
  );
}
