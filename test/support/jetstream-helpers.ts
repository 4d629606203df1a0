import {
  type AnyOtpEvent,
  type DeliveryStatus,
  type DeliveryStatusEvent,
  type DispatchMessage,
  type OtpEvent,
  streamName,
  Streams,
  statusCallbackCopy,
  Subjects,
  withPrefix,
} from '@app/contracts';
import { decodeJson, encodeJson } from '@app/platform';
import { randomUUID } from 'node:crypto';
import type { Stack } from './stack';

/** Every message stored in one of the stack's streams whose subject starts with `subject` (prefix removed). */
async function stored(stack: Stack, stream: string, subject: string): Promise<unknown[]> {
  const prefix = stack.env.NATS_PREFIX;
  const jsm = await stack.nc.jetstreamManager();
  const name = streamName(prefix, stream);
  const info = await jsm.streams.info(name).catch(() => undefined);
  if (!info) return [];
  const wanted = withPrefix(prefix, subject);
  const out: unknown[] = [];
  for (let seq = info.state.first_seq; seq <= info.state.last_seq && info.state.messages > 0; seq++) {
    const msg = await jsm.streams.getMessage(name, { seq }).catch(() => undefined);
    if (msg && msg.subject.startsWith(wanted)) out.push(decodeJson(msg.data));
  }
  return out;
}

/**
 * The dispatch messages waiting on `dispatch.v1.<channel>`, as a dispatcher would receive
 * them (the tests that read them run no dispatcher of that channel, so they stay queued).
 */
export async function dispatchesOn(stack: Stack, channel: DispatchMessage['channel']): Promise<DispatchMessage[]> {
  return (await stored(stack, Streams.dispatch, Subjects.dispatch(channel))) as DispatchMessage[];
}

/** Every dispatch message of one request, whatever its channel, in dispatch order. */
export async function dispatchesOf(stack: Stack, requestId: string): Promise<DispatchMessage[]> {
  const all = (await stored(stack, Streams.dispatch, 'dispatch.v1.')) as DispatchMessage[];
  return all
    .filter((d) => d.requestId === requestId)
    .sort((a, b) => a.dispatchId.localeCompare(b.dispatchId, 'en', { numeric: true }));
}

/** Every event of the stack's OTP_EVENTS stream (`otp.v1.events.>` under its prefix), oldest first. */
export async function readEvents(stack: Stack): Promise<AnyOtpEvent[]> {
  const jsm = await stack.nc.jetstreamManager();
  const name = streamName(stack.config.nats.prefix, Streams.otpEvents);
  const info = await jsm.streams.info(name).catch(() => null);
  if (!info || info.state.messages === 0) return [];
  // An ordered consumer reads the events from the start and acknowledges nothing (the
  // status-callback copies share the stream).
  const consumer = await stack.nc
    .jetstream()
    .consumers.get(name, { filterSubjects: withPrefix(stack.config.nats.prefix, Subjects.allOtpEvents) });
  const out: AnyOtpEvent[] = [];
  const batch = await consumer.fetch({ max_messages: 10_000, expires: 2000 });
  for await (const m of batch) {
    out.push(decodeJson(m.data) as AnyOtpEvent);
    if (m.info.pending === 0) break;
  }
  return out;
}

/**
 * The status-callback copies stored in the stack's OTP_EVENTS stream
 * (`otp.v1.status_callbacks.>`), oldest first, with the subject each was published on.
 */
export async function statusCallbackCopies(stack: Stack): Promise<{ subject: string; event: AnyOtpEvent }[]> {
  const prefix = stack.config.nats.prefix;
  const name = streamName(prefix, Streams.otpEvents);
  const info = await (await stack.nc.jetstreamManager()).streams.info(name).catch(() => null);
  if (!info || info.state.messages === 0) return [];
  const consumer = await stack.nc
    .jetstream()
    .consumers.get(name, { filterSubjects: withPrefix(prefix, Subjects.allStatusCallbackEvents) });
  const out: { subject: string; event: AnyOtpEvent }[] = [];
  const batch = await consumer.fetch({ max_messages: 10_000, expires: 2000 });
  for await (const m of batch) {
    out.push({ subject: m.subject.slice(prefix.length + 1), event: decodeJson(m.data) as AnyOtpEvent });
    if (m.info.pending === 0) break;
  }
  return out;
}

/** The delivery_status events of one request (or of every request when none is given). */
export async function deliveryStatuses(stack: Stack, requestId?: string): Promise<DeliveryStatusEvent[]> {
  return (await readEvents(stack)).filter(
    (e): e is DeliveryStatusEvent =>
      e.type === 'delivery_status' && (requestId === undefined || e.data.requestId === requestId),
  );
}

/** The events of one request on `otp.v1.events.*`, in stream order. */
export async function eventsOf(stack: Stack, requestId: string): Promise<AnyOtpEvent[]> {
  return (await readEvents(stack)).filter((e) => e.data.requestId === requestId);
}

export function lifecycle(events: AnyOtpEvent[], type: OtpEvent['type']): OtpEvent[] {
  return events.filter((e): e is OtpEvent => e.type === type);
}

/** Publishes a dispatcher's verdict on one dispatch, exactly as a dispatcher would. */
export async function publishDeliveryStatus(
  stack: Stack,
  dispatch: DispatchMessage,
  status: DeliveryStatus,
  attempt = 1,
): Promise<DeliveryStatusEvent> {
  const failure = status === 'failed' || status === 'undelivered';
  const event: DeliveryStatusEvent = {
    type: 'delivery_status',
    version: 1,
    data: {
      requestId: dispatch.requestId,
      accountSid: dispatch.accountSid,
      parentAccountSid: dispatch.parentAccountSid ?? null,
      dispatchId: dispatch.dispatchId,
      channel: dispatch.channel,
      to: dispatch.to,
      status,
      provider: 'test',
      providerMessageId: `pm-${dispatch.dispatchId}`,
      error: failure ? { code: 'E1', message: 'unreachable' } : null,
      attempt,
      units: 1,
      hasStatusCallback: dispatch.hasStatusCallback,
    },
    metadata: { eventId: randomUUID(), occurredAt: new Date().toISOString(), causationId: dispatch.requestId },
  };
  const js = stack.nc.jetstream();
  const prefix = stack.env.NATS_PREFIX;
  const subject = Subjects.otpEvent('delivery_status');
  await js.publish(withPrefix(prefix, subject), encodeJson(event), { msgID: event.metadata.eventId });
  // And its copy for the status callbacks, as the contract asks of every publisher.
  const copy = statusCallbackCopy(subject, event.metadata.eventId, event);
  if (copy) await js.publish(withPrefix(prefix, copy.subject), encodeJson(event), { msgID: copy.msgId });
  return event;
}
