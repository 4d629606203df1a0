import {
  DELIVERY_STATUS_RANK,
  DeliveryStatusEventSchema,
  dispatchIdOf,
  OtpEventSchema,
  parseDispatchId,
  parseOtpEvent,
} from './events';

const requestId = 'OTP0123456789abcdef0123456789abcdef';
const accountSid = 'AC0123456789abcdef0123456789abcdef';
const metadata = {
  eventId: '4f1c2b0e-5a8d-4c1e-9f0a-2d6b7e8c9a10',
  occurredAt: '2026-11-22T09:40:31.018Z',
  correlationId: 'req-1',
  causationId: requestId,
};
const verified = {
  type: 'verified',
  version: 1,
  data: {
    requestId,
    accountSid,
    parentAccountSid: null,
    service: '2FA',
    channel: 'sms',
    to: '+14155552671',
    from: 'ACME',
    status: 'verified',
    recipientIp: null,
    createdAt: '2026-11-22T09:40:12.301Z',
    expiresAt: '2026-11-22T09:45:12.301Z',
  },
  metadata,
};
const sent = {
  type: 'delivery_status',
  version: 1,
  data: {
    requestId,
    accountSid,
    parentAccountSid: null,
    dispatchId: `${requestId}-1`,
    channel: 'sms',
    to: '+14155552671',
    status: 'sent',
    provider: 'smpp',
    providerMessageId: 'smsc-42',
    error: null,
    attempt: 1,
    units: 2,
  },
  metadata,
};

describe('the event schema', () => {
  it('reads our own events back exactly, in the order they were written', () => {
    for (const event of [verified, sent]) {
      expect(parseOtpEvent(event)).toEqual(event);
      expect(JSON.stringify(parseOtpEvent(event))).toBe(JSON.stringify(event));
    }
  });

  it('tells the two kinds apart by type', () => {
    expect(parseOtpEvent({ ...verified, type: 'delivery_status' })).toBeUndefined();
    expect(parseOtpEvent({ ...sent, type: 'verified' })).toBeUndefined();
    expect(DeliveryStatusEventSchema.safeParse(verified).success).toBe(false);
  });

  it('leaves out fields the contract does not have, and keeps unknown metadata', () => {
    const event = parseOtpEvent({
      ...verified,
      data: { ...verified.data, code: '123456' },
      metadata: { ...metadata, traceId: 't' },
    });
    expect(event?.data).not.toHaveProperty('code');
    expect(event?.metadata).toMatchObject({ traceId: 't' });
  });

  it.each([
    ['an unknown type', { ...verified, type: 'exploded' }],
    ['another version', { ...verified, version: 2 }],
    ['a request id of another shape', { ...verified, data: { ...verified.data, requestId: 'OTP1' } }],
    ['an account of another shape', { ...sent, data: { ...sent.data, accountSid: 'x' } }],
    ['an unknown status', { ...sent, data: { ...sent.data, status: 'lost' } }],
    ['attempt 0', { ...sent, data: { ...sent.data, attempt: 0 } }],
    ['a time that is not ISO-8601', { ...verified, metadata: { ...metadata, occurredAt: 'yesterday' } }],
    ['no event id', { ...verified, metadata: { occurredAt: metadata.occurredAt } }],
    ['no data', { type: 'verified', version: 1, metadata }],
  ])('refuses %s', (_, event) => {
    expect(OtpEventSchema.safeParse(event).success).toBe(false);
  });
});

describe('dispatch ids', () => {
  it('are <requestId>-<n>, read back by parseDispatchId', () => {
    expect(dispatchIdOf(requestId, 2)).toBe(`${requestId}-2`);
    expect(parseDispatchId(dispatchIdOf(requestId, 12))).toEqual({ requestId, seq: 12 });
  });

  it.each(['', requestId, `${requestId}-`, `${requestId}-x`, 'OTP1-1', `${requestId}-1-2`])(
    'reads no other shape (%s)',
    (id) => expect(parseDispatchId(id)).toBeUndefined(),
  );
});

describe('the delivery status rank', () => {
  it('orders queued < sent < every final status', () => {
    const { queued, sent: s, delivered, undelivered, failed } = DELIVERY_STATUS_RANK;
    expect(queued).toBeLessThan(s);
    for (const final of [delivered, undelivered, failed]) expect(s).toBeLessThan(final);
    expect(new Set([delivered, undelivered, failed]).size).toBe(1);
  });
});
