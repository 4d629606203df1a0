import { signBody } from '@app/contracts';
import { eventually } from '../support/eventually';
import { type Credentials, http } from '../support/http';
import { createAccount, readCode, sendOtp } from '../support/otp-helpers';
import { startStack, type Stack } from '../support/stack';
import { WebhookServer } from '../support/webhook-server';
import { testPriceFile } from './sdr-helpers';

type Json = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

const SECRET = 'sms-webhook-secret-for-sdr-tests';
const DELIVERED_TO = '+14155550131';
const FAILING_TO = '+447400123457';

/**
 * The records and usage with nothing simulated: the real SMS dispatcher posts to a webhook
 * provider on loopback, which accepts one message (and later calls the gateway back with
 * `delivered`) and refuses the other for good (`failed`, so the request fails). Every event the
 * SDR folds comes from the services themselves.
 */
describe('session detail records from real deliveries, receipts and failures', () => {
  const provider = new WebhookServer();
  let stack: Stack;
  let auth: Credentials;

  beforeAll(async () => {
    stack = await startStack({
      env: {
        DEFAULT_LIMIT_MAX: '1000',
        SDR_PRICES_FILE: testPriceFile(),
        SMS_PROVIDER: 'webhook',
        SMS_WEBHOOK_URL: await provider.start(),
        SMS_WEBHOOK_SECRET: SECRET,
      },
    });
    auth = await createAccount(stack);
  });
  afterAll(async () => {
    await stack?.stop();
    await provider.stop();
  });

  const get = (path: string) => http<Json>(stack.url, 'GET', path, { auth });
  const recordOf = (requestId: string) => get(`/2fa/sdr/search/${requestId}`);

  it('records a delivered and verified session and a failed one, and usage counts them', async () => {
    const delivered = await sendOtp(stack, auth, DELIVERED_TO);
    provider.script.set(FAILING_TO, [422]);
    const failed = await sendOtp(stack, auth, FAILING_TO);

    // The provider accepted the first: it calls back `delivered`, signed, as a provider would.
    const [accepted] = await eventually(() => {
      expect(provider.accepted(DELIVERED_TO)).toHaveLength(1);
      return provider.accepted(DELIVERED_TO);
    });
    const body = JSON.stringify({ reference: accepted.body.reference, messageId: 'prov-sdr-1', status: 'delivered' });
    const callback = await http(stack.url, 'POST', '/2fa/callbacks/sms', {
      rawBody: body,
      headers: { 'x-smart2fa-signature': signBody(SECRET, body, Math.floor(stack.clock.now().getTime() / 1000)) },
    });
    expect(callback.status).toBe(200);
    const code = await readCode(stack, auth, DELIVERED_TO, delivered);
    expect((await http(stack.url, 'POST', '/2fa/verify', { auth, body: { requestId: delivered, code } })).status).toBe(
      200,
    );

    const ok = await eventually(async () => {
      const res = await recordOf(delivered);
      expect(res.body.data).toMatchObject({ status: 'verified', deliveryStatus: 'delivered' });
      return res.body.data;
    }, 20_000);
    expect(ok).toMatchObject({
      channel: 'sms',
      to: DELIVERED_TO,
      countryCode: 'US',
      price: '0.007900',
      priceUnit: 'EUR',
    });
    expect(ok.attempts).toEqual([
      expect.objectContaining({
        dispatchId: `${delivered}-1`,
        provider: 'webhook',
        status: 'delivered',
        error: null,
        units: 1,
        price: '0.007900',
      }),
    ]);
    expect(Object.keys(ok.attempts[0].statusTimes).sort()).toEqual(['delivered', 'sent']);
    expect(JSON.stringify(ok)).not.toContain(code);

    const ko = await eventually(async () => {
      const res = await recordOf(failed);
      expect(res.body.data).toMatchObject({
        status: 'failed',
        statusReason: 'delivery_failed',
        deliveryStatus: 'failed',
      });
      return res.body.data;
    }, 20_000);
    expect(ko).toMatchObject({ countryCode: 'GB', price: '0.000000' });
    expect(ko.attempts).toEqual([
      expect.objectContaining({
        provider: 'webhook',
        status: 'failed',
        error: expect.objectContaining({ code: 'http_422' }),
      }),
    ]);

    const usage = await get('/2fa/usage?granularity=day');
    expect(usage.status).toBe(200);
    expect(usage.body.data.total).toEqual({
      requests: 2,
      sent: 1,
      delivered: 1,
      failed: 1,
      verified: 1,
      canceled: 0,
      expired: 0,
      conversionRate: 1,
      cost: '0.007900',
      blocked: 0,
      costAvoided: '0.000000',
    });
    const byStatus = await get('/2fa/sdr/search?deliveryStatus=failed');
    expect(byStatus.body.data.result.map((r: Json) => r.requestId)).toEqual([failed]);
  });
});
