import { PriceTable } from '../prices/price-table';
import { applyEvent, contributionOf, deliveryStatusOf, priceMicrosOf, type SdrRecord } from './sdr-record';
import { parseSdrEvent, type SdrEvent } from './sdr-event';

const prices = PriceTable.from({
  currency: 'USD',
  prices: { sms: { '*': 0.01, US: 0.0079 }, call: { '*': 0.02 }, email: { '*': 0.0001 } },
});
const requestId = 'OTP0123456789abcdef0123456789abcdef';
const base = {
  requestId,
  accountSid: 'AC0123456789abcdef0123456789abcdef',
  parentAccountSid: null,
  service: '2FA',
  channel: 'sms',
  to: '+14155550123',
  from: '+14155550000',
  createdAt: '2026-01-02T10:00:00.000Z',
  expiresAt: '2026-01-02T10:05:00.000Z',
};
let n = 0;
function lifecycle(type: string, status: string, at: string, extra: Record<string, unknown> = {}): SdrEvent {
  return parseSdrEvent({
    type,
    version: 1,
    data: { ...base, status, ...extra },
    metadata: { eventId: `e${++n}`, occurredAt: at },
  })!;
}
function delivery(status: string, at: string, extra: Record<string, unknown> = {}): SdrEvent {
  const data = {
    requestId,
    accountSid: base.accountSid,
    parentAccountSid: null,
    dispatchId: `${requestId}-1`,
    channel: 'sms',
    to: base.to,
    status,
    provider: 'log',
    providerMessageId: null,
    error: null,
    attempt: 1,
    ...extra,
  };
  return parseSdrEvent({
    type: 'delivery_status',
    version: 1,
    data,
    metadata: { eventId: `e${++n}`, occurredAt: at },
  })!;
}
const fold = (events: SdrEvent[]) =>
  events.reduce<SdrRecord | undefined>((r, e) => applyEvent(r, e, prices), undefined)!;

function permutations<T>(list: T[]): T[][] {
  if (list.length <= 1) return [list];
  return list.flatMap((x, i) => permutations([...list.slice(0, i), ...list.slice(i + 1)]).map((p) => [x, ...p]));
}

describe('session detail record folding', () => {
  const events = [
    lifecycle('created', 'pending', '2026-01-02T10:00:00Z'),
    lifecycle('dispatched', 'pending', '2026-01-02T10:00:00.100Z'),
    delivery('sent', '2026-01-02T10:00:01Z', { providerMessageId: 'm-1', units: 2 }),
    delivery('delivered', '2026-01-02T10:00:02Z'),
    lifecycle('verify_failed', 'pending', '2026-01-02T10:00:10Z', { attempts: 1 }),
    lifecycle('verified', 'verified', '2026-01-02T10:00:20Z'),
  ];

  it('folds a whole story into the record', () => {
    const r = fold(events);
    expect(r).toMatchObject({
      status: 'verified',
      wrongAttempts: 1,
      from: '+14155550000',
      countryCode: 'US',
      service: '2FA',
      source: 1,
    });
    expect(r.times.verified).toBe('2026-01-02T10:00:20.000Z');
    expect(deliveryStatusOf(r)).toBe('delivered');
    expect(r.attempts).toHaveLength(1);
    expect(r.attempts[0]).toMatchObject({
      providerMessageId: 'm-1',
      units: 2,
      dispatchedAt: '2026-01-02T10:00:00.100Z',
    });
    expect(priceMicrosOf(r)).toBe(2 * 7900);
    expect(contributionOf(r).counts).toEqual({
      requests: 1,
      sent: 1,
      delivered: 1,
      failed: 0,
      verified: 1,
      canceled: 0,
      expired: 0,
      costMicros: 15800,
      blocked: 0,
      costAvoidedMicros: 0,
    });
  });

  it('gives the same record for every arrival order (720 of them)', () => {
    const expected = fold(events);
    for (const order of permutations(events)) expect(fold(order)).toEqual(expected);
  });

  it('is unchanged by an event folded twice', () => {
    const once = fold(events);
    expect(fold([...events, events[3], events[5]])).toEqual(once);
  });

  it('never lets an earlier delivery status overwrite a terminal one of the same attempt', () => {
    const r = fold([delivery('delivered', '2026-01-02T10:00:02Z'), delivery('sent', '2026-01-02T10:00:03Z')]);
    expect(deliveryStatusOf(r)).toBe('delivered');
  });

  it('lets a later delivery attempt supersede an earlier failure, and does not bill a refused one', () => {
    const failed = fold([
      lifecycle('created', 'pending', '2026-01-02T10:00:00Z'),
      delivery('failed', '2026-01-02T10:00:02Z', { error: { code: 'E1', message: 'down' } }),
    ]);
    expect(priceMicrosOf(failed)).toBe(0);
    expect(contributionOf(failed).counts).toMatchObject({ sent: 0, failed: 1 });
    const retried = applyEvent(failed, delivery('sent', '2026-01-02T10:00:05Z', { attempt: 2 }), prices);
    expect(deliveryStatusOf(retried)).toBe('sent');
  });

  it('has no country for email and prices it at the channel default', () => {
    const r = fold([
      lifecycle('created', 'pending', '2026-01-02T10:00:00Z', { channel: 'email', to: 'a@example.com' }),
      lifecycle('dispatched', 'pending', '2026-01-02T10:00:01Z', { channel: 'email', to: 'a@example.com' }),
    ]);
    expect(r.countryCode).toBeNull();
    expect(priceMicrosOf(r)).toBe(100);
  });

  it('keeps the request channel when a fallback dispatch goes elsewhere', () => {
    const r = fold([
      lifecycle('dispatched', 'pending', '2026-01-02T10:00:30Z', { channel: 'call', dispatchId: `${requestId}-2` }),
      lifecycle('created', 'pending', '2026-01-02T10:00:00Z'),
      lifecycle('dispatched', 'pending', '2026-01-02T10:00:01Z', { dispatchId: `${requestId}-1` }),
    ]);
    expect(r.channel).toBe('sms');
    expect(r.attempts.map((a) => a.channel)).toEqual(['sms', 'call']);
    expect(priceMicrosOf(r)).toBe(7900 + 20000);
  });
});
