import { ManualClock } from '@app/platform';
import { OtpSweeper } from '../../apps/otp-core/src/otp-sweeper';
import { eventually } from '../support/eventually';
import { type Credentials, http } from '../support/http';
import { createAccount, readCode, sendOtp, wrongCode } from '../support/otp-helpers';
import { startStack, type Stack } from '../support/stack';
import { publishDeliveryStatus, testPriceFile } from './sdr-helpers';

type Json = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

const US1 = '+14155550101';
const US2 = '+14155550102';
const US3 = '+14155550103';
const IN1 = '+919960639903';
const GB1 = '+447400123456';
const DAY_A = '2025-12-31';
const DAY_B = '2026-01-01';

/**
 * A scripted day and a half of traffic, then every way of looking at it. Day A (2025-12-31):
 * the parent's code to US1 verified after one wrong code, its code to IN1 canceled, the
 * sub-account's code to US3 expired (clock + sweeper). Day B (2026-01-01): the parent's code to
 * GB1 failed to deliver (a dispatcher's `failed` verdict; with no fallback step, otp-core then
 * fails the request), its code to US2 for service `other`
 * sent in two segments, delivered and verified.
 */
describe('session detail records and usage over HTTP', () => {
  let stack: Stack;
  let parent: Credentials;
  let sub: Credentials;
  let sibling: Credentials;
  let stranger: Credentials;
  const ids: Record<'verified' | 'canceled' | 'expired' | 'failed' | 'other', string> = {} as never;
  let code1 = '';

  const get = (path: string, as: Credentials = parent) => http<Json>(stack.url, 'GET', path, { auth: as });
  const search = (query: string, as: Credentials = parent) => get(`/2fa/sdr/search${query ? `?${query}` : ''}`, as);
  const idsOf = (body: Json) => (body.data.result as Json[]).map((r) => r.requestId).sort();

  beforeAll(async () => {
    stack = await startStack({
      clock: new ManualClock(new Date(`${DAY_A}T10:00:00Z`)),
      env: { DEFAULT_LIMIT_MAX: '1000', SDR_PRICES_FILE: testPriceFile() },
    });
    parent = await createAccount(stack);
    sub = await createAccount(stack, parent);
    sibling = await createAccount(stack, parent);
    stranger = await createAccount(stack);

    // Day A.
    ids.verified = await sendOtp(stack, parent, US1);
    code1 = await readCode(stack, parent, US1, ids.verified);
    expect(
      (
        await http(stack.url, 'POST', '/2fa/verify', {
          auth: parent,
          body: { requestId: ids.verified, code: wrongCode(code1) },
        })
      ).status,
    ).toBe(401);
    expect(
      (await http(stack.url, 'POST', '/2fa/verify', { auth: parent, body: { requestId: ids.verified, code: code1 } }))
        .status,
    ).toBe(200);
    await publishDeliveryStatus(
      stack,
      { requestId: ids.verified, accountSid: parent.accountSid, to: US1 },
      'delivered',
    );

    // A second apart, so that the order by creation time is the order of the script.
    stack.clock.advance(1);
    ids.canceled = await sendOtp(stack, parent, IN1);
    await publishDeliveryStatus(
      stack,
      { requestId: ids.canceled, accountSid: parent.accountSid, to: IN1 },
      'delivered',
    );
    expect(
      (await http(stack.url, 'POST', '/2fa/cancel', { auth: parent, body: { requestId: ids.canceled } })).status,
    ).toBe(200);

    stack.clock.advance(1);
    ids.expired = await sendOtp(stack, sub, US3, { timeout: 60 });
    // Sent before the clock jumps past its expiry (a dispatch still queued then is given up as `failed`).
    await readCode(stack, sub, US3, ids.expired);
    await publishDeliveryStatus(
      stack,
      { requestId: ids.expired, accountSid: sub.accountSid, parentAccountSid: parent.accountSid, to: US3 },
      'delivered',
    );
    stack.clock.advance(60);
    // The sweeper on its interval may hold the row a moment (SKIP LOCKED): sweep until it is recorded.
    await eventually(async () => {
      await stack.app.get(OtpSweeper, { strict: false }).sweep();
      expect((await get(`/2fa/sdr/search/${ids.expired}`, sub)).body.data?.status).toBe('expired');
    }, 20_000);

    // Day B.
    stack.clock.set(new Date(`${DAY_B}T09:00:00Z`));
    await stack.app.get(OtpSweeper, { strict: false }).sweep();
    ids.failed = await sendOtp(stack, parent, GB1);
    await publishDeliveryStatus(stack, { requestId: ids.failed, accountSid: parent.accountSid, to: GB1 }, 'failed', {
      providerMessageId: null,
      error: { code: 'E_PROVIDER', message: 'destination unreachable' },
    });
    // otp-core fails the request on this verdict; the clock waits for it, so its time is known.
    await eventually(
      async () => expect((await get(`/2fa/sdr/search/${ids.failed}`)).body.data?.status).toBe('failed'),
      20_000,
    );

    stack.clock.advance(1);
    ids.other = await sendOtp(stack, parent, US2, { service: 'other' });
    const code2 = await readCode(stack, parent, US2, ids.other);
    // Out of order: the receipt is published before the provider's acceptance.
    stack.clock.advance(2);
    await publishDeliveryStatus(stack, { requestId: ids.other, accountSid: parent.accountSid, to: US2 }, 'delivered', {
      units: 2,
    });
    stack.clock.advance(-1);
    await publishDeliveryStatus(stack, { requestId: ids.other, accountSid: parent.accountSid, to: US2 }, 'sent', {
      units: 2,
    });
    stack.clock.advance(1);
    expect(
      (
        await http(stack.url, 'POST', '/2fa/verify', {
          auth: parent,
          body: { service: 'other', number: US2, code: code2 },
        })
      ).status,
    ).toBe(200);

    // Everything projected: the last event of each request is visible.
    await eventually(async () => {
      const res = await search('subAccounts=true&pageSize=100');
      const byId = new Map((res.body.data?.result as Json[] | undefined)?.map((r) => [r.requestId, r]));
      expect(byId.get(ids.verified)).toMatchObject({ status: 'verified', deliveryStatus: 'delivered' });
      expect(byId.get(ids.canceled)).toMatchObject({ status: 'canceled', deliveryStatus: 'delivered' });
      expect(byId.get(ids.expired)).toMatchObject({ status: 'expired', deliveryStatus: 'delivered' });
      expect(byId.get(ids.failed)).toMatchObject({ status: 'failed', deliveryStatus: 'failed' });
      expect(byId.get(ids.other)).toMatchObject({ status: 'verified', deliveryStatus: 'delivered' });
      // The dispatcher's own report (the log provider says `sent`) is in too, for the codes read.
      for (const id of [ids.verified, ids.other]) expect(byId.get(id)?.attempts[0].statusTimes.sent).toBeDefined();
    }, 20_000);
  }, 120_000);
  afterAll(() => stack?.stop());

  describe('GET /2fa/sdr/search/{requestId}', () => {
    it('shows one session in full, never the code', async () => {
      const res = await get(`/2fa/sdr/search/${ids.verified}`);
      expect(res.status).toBe(200);
      expect(res.body).toEqual({
        code: 200,
        message: 'OK',
        data: {
          requestId: ids.verified,
          accountSid: parent.accountSid,
          parentAccountSid: null,
          service: '2FA',
          channel: 'sms',
          channels: ['sms'],
          from: '+14155550000',
          to: US1,
          countryCode: 'US',
          status: 'verified',
          statusReason: null,
          deliveryStatus: 'delivered',
          wrongAttempts: 1,
          verifyAttempts: 2,
          dateCreated: '2025-12-31T10:00:00.000+0000',
          dateExpires: '2025-12-31T10:05:00.000+0000',
          dateVerified: '2025-12-31T10:00:00.000+0000',
          dateCanceled: null,
          dateExpired: null,
          dateFailed: null,
          price: '0.007900',
          priceUnit: 'EUR',
          // Published without the fraud guard's verdict (the guard is off in this stack).
          fraudDecision: null,
          fraudReasons: [],
          attempts: [
            {
              dispatchId: `${ids.verified}-1`,
              channel: 'sms',
              to: US1,
              countryCode: 'US',
              provider: 'log',
              providerMessageId: `pm-${ids.verified.slice(-6)}`,
              status: 'delivered',
              error: null,
              attempt: 1,
              units: 1,
              price: '0.007900',
              dateDispatched: '2025-12-31T10:00:00.000+0000',
              statusTimes: { sent: '2025-12-31T10:00:00.000+0000', delivered: '2025-12-31T10:00:00.000+0000' },
              dateUpdated: '2025-12-31T10:00:00.000+0000',
            },
          ],
          uri: `/2fa/sdr/search/${ids.verified}`,
        },
      });
      expect(JSON.stringify(res.body)).not.toContain(code1);
    });

    it('shows every dispatch attempt with the provider error', async () => {
      const res = await get(`/2fa/sdr/search/${ids.failed}`);
      expect(res.body.data).toMatchObject({
        countryCode: 'GB',
        status: 'failed',
        statusReason: 'delivery_failed',
        deliveryStatus: 'failed',
        price: '0.000000',
        dateCreated: '2026-01-01T09:00:00.000+0000',
        dateFailed: '2026-01-01T09:00:00.000+0000',
      });
      expect(res.body.data.attempts).toEqual([
        expect.objectContaining({
          status: 'failed',
          provider: 'log',
          error: { code: 'E_PROVIDER', message: 'destination unreachable' },
          price: '0.000000',
        }),
      ]);
      const other = await get(`/2fa/sdr/search/${ids.other}`);
      expect(other.body.data).toMatchObject({ service: 'other', price: '0.015800', deliveryStatus: 'delivered' });
      expect(other.body.data.attempts[0]).toMatchObject({
        status: 'delivered',
        units: 2,
        statusTimes: { sent: '2026-01-01T09:00:01.000+0000', delivered: '2026-01-01T09:00:03.000+0000' },
      });
    });

    it('shows expiry and cancel times', async () => {
      expect((await get(`/2fa/sdr/search/${ids.canceled}`)).body.data).toMatchObject({
        status: 'canceled',
        statusReason: 'canceled_by_client',
        dateCanceled: '2025-12-31T10:00:01.000+0000',
        countryCode: 'IN',
        price: '0.002200',
      });
      expect((await get(`/2fa/sdr/search/${ids.expired}`, sub)).body.data).toMatchObject({
        status: 'expired',
        to: US3,
        dateExpired: '2025-12-31T10:01:02.000+0000',
      });
    });

    it("shows a sub-account's record to its parent with the destination masked", async () => {
      const res = await get(`/2fa/sdr/search/${ids.expired}`);
      expect(res.status).toBe(200);
      expect(res.body.data).toMatchObject({
        accountSid: sub.accountSid,
        parentAccountSid: parent.accountSid,
        to: '+14*******03',
      });
      expect(res.body.data.attempts[0].to).toBe('+14*******03');
    });

    it('answers a sibling, a stranger and an unknown id alike: 404 with 481', async () => {
      const unknown = await get('/2fa/sdr/search/OTP0123456789abcdef0123456789abcdef');
      expect(unknown).toMatchObject({
        status: 404,
        body: { code: 481, message: 'Unknown session record', requestID: null },
      });
      expect(await get(`/2fa/sdr/search/${ids.expired}`, sibling)).toMatchObject({ status: 404, body: unknown.body });
      expect(await get(`/2fa/sdr/search/${ids.verified}`, stranger)).toMatchObject({ status: 404, body: unknown.body });
      expect(await get(`/2fa/sdr/search/${ids.verified}`, sub)).toMatchObject({ status: 404, body: unknown.body });
      expect(await get('/2fa/sdr/search/nope')).toMatchObject({ status: 400, body: { code: 400, field: 'requestId' } });
    });
  });

  describe('GET /2fa/sdr/search', () => {
    it('pages in the limits envelope, newest first by default', async () => {
      const res = await search('pageSize=3');
      expect(res.status).toBe(200);
      expect(res.body.data).toMatchObject({
        pageSize: 3,
        total: 4,
        page: 0,
        numPages: 2,
        start: 0,
        end: 2,
        firstPageUri: '/2fa/sdr/search?pageSize=3&page=0',
        nextPageUri: '/2fa/sdr/search?pageSize=3&page=1',
        uri: '/2fa/sdr/search?pageSize=3&page=0',
      });
      expect(res.body.data.result.map((r: Json) => r.requestId)).toEqual([ids.other, ids.failed, ids.canceled]);
      const next = await get(res.body.data.nextPageUri);
      expect(next.body.data).toMatchObject({ page: 1, start: 3, end: 3, nextPageUri: null });
      expect(next.body.data.result.map((r: Json) => r.requestId)).toEqual([ids.verified]);
    });

    it('sorts by the given field and direction', async () => {
      const asc = await search('SortBy=dateCreated:asc&pageSize=10');
      expect(asc.body.data.result.map((r: Json) => r.requestId)).toEqual([
        ids.verified,
        ids.canceled,
        ids.failed,
        ids.other,
      ]);
      expect(asc.body.data.uri).toBe('/2fa/sdr/search?SortBy=dateCreated%3Aasc&pageSize=10&page=0');
      const byPrice = await search('sortBy=price:desc');
      expect(byPrice.body.data.result.map((r: Json) => r.requestId)).toEqual([
        ids.other,
        ids.verified,
        ids.canceled,
        ids.failed,
      ]);
      // Across accounts too (each account's first rows, merged).
      const across = await search('subAccounts=true&SortBy=dateCreated:asc&pageSize=2&page=1');
      expect(across.body.data).toMatchObject({ total: 5, numPages: 3, start: 2, end: 3 });
      expect(across.body.data.result.map((r: Json) => r.requestId)).toEqual([ids.expired, ids.failed]);
      const acrossByPrice = await search('subAccounts=true&SortBy=price:desc&pageSize=3');
      expect(acrossByPrice.body.data.result.map((r: Json) => r.requestId)).toEqual([
        ids.other,
        ids.expired,
        ids.verified,
      ]);
      const byCountry = await search('SortBy=countryCode');
      expect(byCountry.body.data.result.map((r: Json) => r.countryCode)).toEqual(['GB', 'IN', 'US', 'US']);
    });

    it.each([
      ['service=other', ['other']],
      [`to=${encodeURIComponent(US1)}`, ['verified']],
      ['channel=sms', ['verified', 'canceled', 'failed', 'other']],
      ['channel=email', []],
      ['status=verified', ['verified', 'other']],
      ['status=canceled', ['canceled']],
      ['status=failed', ['failed']],
      ['status=pending', []],
      ['deliveryStatus=failed', ['failed']],
      ['deliveryStatus=delivered', ['verified', 'canceled', 'other']],
      ['countryCode=in', ['canceled']],
      ['countryCode=US', ['verified', 'other']],
      [`startTime=${DAY_B}`, ['failed', 'other']],
      [`endTime=${DAY_A}T23:59:59`, ['verified', 'canceled']],
      [`startTime=${DAY_A}T10:00:00Z&endTime=${DAY_A}T10:00:01Z`, ['verified', 'canceled']],
      [`startTime=${DAY_A}T10:00:01Z&endTime=${DAY_A}T10:00:01Z`, ['canceled']],
      ['subAccounts=true', ['verified', 'canceled', 'expired', 'failed', 'other']],
      ['subAccounts=true&status=expired', ['expired']],
      ['service=2FA&countryCode=US&subAccounts=true', ['verified', 'expired']],
    ] as const)('filters by %s', async (query, expected) => {
      const res = await search(`${query}&pageSize=100`);
      expect(res.status).toBe(200);
      expect(idsOf(res.body)).toEqual(expected.map((k) => ids[k as keyof typeof ids]).sort());
      expect(res.body.data.total).toBe(expected.length);
    });

    it("shows a sub-account's records to the parent masked, and to the sub-account itself in full", async () => {
      const asParent = await search(`accountSid=${sub.accountSid}`);
      expect(asParent.body.data.result).toEqual([
        expect.objectContaining({ requestId: ids.expired, to: '+14*******03' }),
      ]);
      const mixed = await search('subAccounts=true&pageSize=100');
      for (const r of mixed.body.data.result as Json[])
        expect(r.to.includes('*')).toBe(r.accountSid === sub.accountSid);
      const asSub = await search('', sub);
      expect(asSub.body.data.result).toEqual([expect.objectContaining({ requestId: ids.expired, to: US3 })]);
    });

    it('shows a sibling and a stranger nothing of others', async () => {
      expect(idsOf((await search('subAccounts=true', sibling)).body)).toEqual([]);
      expect(idsOf((await search('subAccounts=true', stranger)).body)).toEqual([]);
      expect(await search(`accountSid=${sub.accountSid}`, sibling)).toMatchObject({ status: 403, body: { code: 403 } });
      expect(await search(`accountSid=${sub.accountSid}`, stranger)).toMatchObject({
        status: 403,
        body: { code: 403 },
      });
    });

    it.each([
      ['channel=fax', 'channel'],
      ['status=done', 'status'],
      ['deliveryStatus=lost', 'deliveryStatus'],
      ['countryCode=USA', 'countryCode'],
      ['startTime=yesterday', 'startTime'],
      ['endTime=2026-13-45', 'endTime'],
      ['SortBy=to', 'SortBy'],
      ['pageSize=0', 'pageSize'],
      ['page=-1', 'page'],
      ['subAccounts=maybe', 'subAccounts'],
      ['accountSid=AC1', 'accountSid'],
      ['service=', 'service'],
    ])('refuses %s with 400 naming the field', async (query, field) => {
      const res = await search(query);
      expect(res).toMatchObject({ status: 400, body: { code: 400, field } });
    });
  });

  describe('GET /2fa/usage', () => {
    const row = (period: string, counts: Json) => expect.objectContaining({ period, ...counts });
    const dayA = {
      requests: 2,
      sent: 2,
      delivered: 2,
      failed: 0,
      verified: 1,
      canceled: 1,
      expired: 0,
      conversionRate: 0.5,
      cost: '0.010100',
      blocked: 0,
      costAvoided: '0.000000',
    };
    const dayB = {
      requests: 2,
      sent: 1,
      delivered: 1,
      failed: 1,
      verified: 1,
      canceled: 0,
      expired: 0,
      conversionRate: 1,
      cost: '0.015800',
      blocked: 0,
      costAvoided: '0.000000',
    };

    it('reports per day what happened', async () => {
      const res = await get('/2fa/usage?granularity=day');
      expect(res.status).toBe(200);
      expect(res.body.data).toEqual({
        granularity: 'day',
        priceUnit: 'EUR',
        periods: [
          { period: DAY_A, startTime: `${DAY_A}T00:00:00.000+0000`, endTime: `${DAY_A}T23:59:59.999+0000`, ...dayA },
          { period: DAY_B, startTime: `${DAY_B}T00:00:00.000+0000`, endTime: `${DAY_B}T23:59:59.999+0000`, ...dayB },
        ],
        total: {
          requests: 4,
          sent: 3,
          delivered: 3,
          failed: 1,
          verified: 2,
          canceled: 1,
          expired: 0,
          conversionRate: 0.6667,
          cost: '0.025900',
          blocked: 0,
          costAvoided: '0.000000',
        },
      });
    });

    it('reports per month and per year', async () => {
      const month = await get('/2fa/usage?granularity=month');
      expect(month.body.data.periods).toEqual([
        row('2025-12', { ...dayA, startTime: '2025-12-01T00:00:00.000+0000', endTime: '2025-12-31T23:59:59.999+0000' }),
        row('2026-01', dayB),
      ]);
      // Whole months (the monthly roll-up) and a bound inside a month (the daily one) agree.
      const wholeMonths = await get('/2fa/usage?granularity=month&startTime=2025-12-01&endTime=2026-01-31');
      expect(wholeMonths.body.data.periods).toEqual(month.body.data.periods);
      const fromMidMonth = await get('/2fa/usage?granularity=month&startTime=2025-12-31&endTime=2026-01-15');
      expect(fromMidMonth.body.data.periods).toEqual(month.body.data.periods);
      const onlyDecember = await get('/2fa/usage?granularity=month&endTime=2025-12-31');
      expect(onlyDecember.body.data.periods).toEqual([month.body.data.periods[0]]);
      const year = await get('/2fa/usage?granularity=year&subAccounts=true');
      expect(year.body.data.periods).toEqual([
        row('2025', {
          requests: 3,
          sent: 3,
          delivered: 3,
          failed: 0,
          verified: 1,
          canceled: 1,
          expired: 1,
          conversionRate: 0.3333,
          cost: '0.018000',
          endTime: '2025-12-31T23:59:59.999+0000',
        }),
        row('2026', dayB),
      ]);
    });

    it.each([
      ['service=other', [['2026-01-01', { requests: 1, sent: 1, delivered: 1, verified: 1, cost: '0.015800' }]]],
      [
        `to=${encodeURIComponent(US1)}`,
        [['2025-12-31', { requests: 1, sent: 1, delivered: 1, verified: 1, conversionRate: 1, cost: '0.007900' }]],
      ],
      [
        'channel=sms',
        [
          ['2025-12-31', dayA],
          ['2026-01-01', dayB],
        ],
      ],
      ['channel=call', []],
      ['status=canceled', [['2025-12-31', { requests: 1, canceled: 1, verified: 0, cost: '0.002200' }]]],
      [
        'deliveryStatus=failed',
        [['2026-01-01', { requests: 1, sent: 0, failed: 1, cost: '0.000000', conversionRate: 0 }]],
      ],
      ['status=failed', [['2026-01-01', { requests: 1, sent: 0, failed: 1, verified: 0 }]]],
      ['countryCode=GB', [['2026-01-01', { requests: 1, failed: 1 }]]],
      [
        'countryCode=US&subAccounts=true',
        [
          ['2025-12-31', { requests: 2, verified: 1, expired: 1, cost: '0.015800' }],
          ['2026-01-01', { requests: 1, verified: 1 }],
        ],
      ],
      [`startTime=${DAY_B}T12:00:00Z`, [['2026-01-01', dayB]]],
      [`endTime=${DAY_A}`, [['2025-12-31', dayA]]],
      [
        `accountSid=SUB`,
        [
          [
            '2025-12-31',
            { requests: 1, sent: 1, delivered: 1, expired: 1, verified: 0, conversionRate: 0, cost: '0.007900' },
          ],
        ],
      ],
      [`to=${encodeURIComponent(US3)}&subAccounts=true`, [['2025-12-31', { requests: 1, expired: 1 }]]],
    ] as const)('filters by %s', async (query, expected) => {
      const res = await get(`/2fa/usage?granularity=day&${query.replace('SUB', sub.accountSid)}`);
      expect(res.status).toBe(200);
      expect(res.body.data.periods).toEqual(expected.map(([p, counts]) => row(p, counts)));
    });

    it('shows a sibling and a stranger nothing of others', async () => {
      expect((await get('/2fa/usage?subAccounts=true', sibling)).body.data.periods).toEqual([]);
      expect((await get('/2fa/usage?subAccounts=true', stranger)).body.data.periods).toEqual([]);
      expect(await get(`/2fa/usage?accountSid=${sub.accountSid}`, sibling)).toMatchObject({ status: 403 });
    });

    it.each([
      ['granularity=week', 'granularity'],
      ['channel=fax', 'channel'],
      ['countryCode=1', 'countryCode'],
      ['startTime=soon', 'startTime'],
    ])('refuses %s with 400 naming the field', async (query, field) => {
      expect(await get(`/2fa/usage?${query}`)).toMatchObject({ status: 400, body: { code: 400, field } });
    });
  });
});
