import {
  type DeliveryStatus,
  type DeliveryStatusEvent,
  type DeliveryStatusEventData,
  statusCallbackCopy,
  Subjects,
  withPrefix,
} from '@app/contracts';
import { currentRequestId, encodeJson } from '@app/platform';
import type { NatsConnection } from 'nats';
import { createHash } from 'node:crypto';

/**
 * Publishes `otp.v1.events.delivery_status`, and, unless the dispatch said its request has no
 * status callback, the same event on `otp.v1.status_callbacks.delivery_status` (the status
 * callbacks read only that). The event id, also the JetStream message id, is derived from
 * dispatch, status and attempt: a dispatcher that publishes the same status again (after a
 * crash, a redelivered receipt) stores it once within the stream's duplicate window.
 */
export class DeliveryStatusPublisher {
  constructor(
    private readonly nc: NatsConnection,
    private readonly prefix: string,
  ) {}

  async publish(data: DeliveryStatusEventData, now: Date): Promise<void> {
    const eventId = deliveryEventId(data.dispatchId, data.status, data.attempt);
    const event: DeliveryStatusEvent = {
      type: 'delivery_status',
      version: 1,
      data,
      metadata: {
        eventId,
        occurredAt: now.toISOString(),
        correlationId: currentRequestId(),
        causationId: data.requestId,
      },
    };
    const js = this.nc.jetstream();
    const body = encodeJson(event);
    const subject = Subjects.otpEvent('delivery_status');
    await js.publish(withPrefix(this.prefix, subject), body, { msgID: eventId });
    // The copy for the status-callback consumer, after the event: a failure in between fails the
    // publish, and the caller's retry publishes both again (each stored once).
    const copy = statusCallbackCopy(subject, eventId, event);
    if (copy) await js.publish(withPrefix(this.prefix, copy.subject), body, { msgID: copy.msgId });
  }
}

/** A UUID-shaped id, the same for the same (dispatch, status, attempt). */
export function deliveryEventId(dispatchId: string, status: DeliveryStatus, attempt: number): string {
  const h = createHash('sha256').update(`${dispatchId}|${status}|${attempt}`).digest('hex');
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-5${h.slice(13, 16)}-${((parseInt(h[16], 16) & 0x3) | 0x8).toString(16)}${h.slice(17, 20)}-${h.slice(20, 32)}`;
}
