import { type DeliveryStatusEventData, statusCallbackMsgId } from '@app/contracts';
import type { NatsConnection } from 'nats';
import { deliveryEventId, DeliveryStatusPublisher } from './delivery-status.publisher';

describe('delivery status event ids', () => {
  it('are UUID-shaped and the same for the same dispatch, status and attempt only', () => {
    const id = deliveryEventId('OTPabc-1', 'sent', 1);
    expect(id).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-5[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    expect(deliveryEventId('OTPabc-1', 'sent', 1)).toBe(id);
    expect(
      new Set([
        id,
        deliveryEventId('OTPabc-1', 'sent', 2),
        deliveryEventId('OTPabc-1', 'delivered', 1),
        deliveryEventId('OTPabc-2', 'sent', 1),
      ]).size,
    ).toBe(4);
  });
});

describe('DeliveryStatusPublisher', () => {
  const published: { subject: string; msgID?: string; body: string }[] = [];
  const nc = {
    jetstream: () => ({
      publish: async (subject: string, data: Uint8Array, opts?: { msgID?: string }) => {
        published.push({ subject, msgID: opts?.msgID, body: Buffer.from(data).toString() });
        return { seq: published.length, duplicate: false, stream: 'OTP_EVENTS' };
      },
    }),
  } as unknown as NatsConnection;
  const data = (hasStatusCallback?: boolean): DeliveryStatusEventData => ({
    requestId: 'OTP0123456789abcdef0123456789abcdef',
    accountSid: 'AC0123456789abcdef0123456789abcdef',
    parentAccountSid: null,
    dispatchId: 'OTP0123456789abcdef0123456789abcdef-1',
    channel: 'sms',
    to: '+14155552671',
    status: 'sent',
    provider: 'log',
    providerMessageId: null,
    error: null,
    attempt: 1,
    ...(hasStatusCallback === undefined ? {} : { hasStatusCallback }),
  });
  beforeEach(() => (published.length = 0));

  it('publishes the event only, for a request without a status callback', async () => {
    await new DeliveryStatusPublisher(nc, 'p').publish(data(false), new Date());
    expect(published.map((p) => p.subject)).toEqual(['p.otp.v1.events.delivery_status']);
  });

  it('publishes the event, then the same bytes for the status callbacks under a derived id', async () => {
    await new DeliveryStatusPublisher(nc, 'p').publish(data(true), new Date());
    const eventId = deliveryEventId(data().dispatchId, 'sent', 1);
    expect(published.map(({ subject, msgID }) => ({ subject, msgID }))).toEqual([
      { subject: 'p.otp.v1.events.delivery_status', msgID: eventId },
      { subject: 'p.otp.v1.status_callbacks.delivery_status', msgID: statusCallbackMsgId(eventId) },
    ]);
    expect(published[1].body).toBe(published[0].body);
  });

  it('copies a status whose dispatch did not say (an older otp-core), to be looked up', async () => {
    await new DeliveryStatusPublisher(nc, '').publish(data(), new Date());
    expect(published.map((p) => p.subject)).toEqual([
      'otp.v1.events.delivery_status',
      'otp.v1.status_callbacks.delivery_status',
    ]);
  });
});
