import { eventually } from '../support/eventually';
import { type Credentials, http } from '../support/http';
import { createAccount, sendOtp } from '../support/otp-helpers';
import { startStack, type Stack } from '../support/stack';
import { error, FakeTwilio } from '../support/vendors/fake-twilio';
import { FakeVonage } from '../support/vendors/fake-vonage';
import { numberIn, PUBLIC_URL, sdrOnceDelivery, statusesOf, writeProvidersFile } from './provider-helpers';

/**
 * SPEC section 13 with real vendor APIs on loopback: `uk` (a Twilio account) serves GB only,
 * `main` (another Twilio account) is the default, `backup` (Vonage) takes over when `main`
 * fails; `main`'s circuit opens after two failures within a minute and lets a probe through
 * after 30 s.
 */
describe('routing by country, failover and the circuit breaker', () => {
  const uk = new FakeTwilio();
  const main = new FakeTwilio();
  const backup = new FakeVonage();
  let stack: Stack;
  let auth: Credentials;

  beforeAll(async () => {
    const [ukUrl, mainUrl, backupUrl] = await Promise.all([uk.start(), main.start(), backup.start()]);
    const twilio = (fake: FakeTwilio, baseUrl: string) => ({
      type: 'twilio',
      accountSid: fake.accountSid,
      authToken: fake.authToken,
      from: '+14155550100',
      baseUrl,
    });
    const file = writeProvidersFile(
      'providers.json',
      JSON.stringify({
        sms: [
          { name: 'uk', countries: ['GB'], ...twilio(uk, ukUrl) },
          { name: 'main', ...twilio(main, mainUrl), circuit: { failures: 2, windowSeconds: 60, openSeconds: 30 } },
          {
            name: 'backup',
            type: 'vonage',
            apiKey: backup.apiKey,
            apiSecret: backup.apiSecret,
            baseUrl: backupUrl,
          },
        ],
      }),
    );
    stack = await startStack({
      env: { PROVIDERS_FILE: file, PUBLIC_URL, DEFAULT_LIMIT_MAX: '1000', DISPATCH_RETRY_BASE_MS: '100' },
    });
    auth = await createAccount(stack);
  });
  afterAll(async () => {
    await stack?.stop();
    await Promise.all([uk.stop(), main.stop(), backup.stop()]);
  });

  const sentBy = async (requestId: string) => (await statusesOf(stack, requestId, ['sent']))[0].data.provider;
  const circuitOfMain = async () => {
    const metrics = await http<string>(stack.url, 'GET', '/metrics');
    return /dispatch_provider_circuit_state\{channel="sms",provider="main"\} (\d)/.exec(metrics.body)?.[1];
  };

  it('sends a UK number through the provider listed for GB, a US number through the default', async () => {
    const gb = numberIn('GB');
    const us = numberIn('US');
    const gbRequest = await sendOtp(stack, auth, gb);
    const usRequest = await sendOtp(stack, auth, us);
    expect(await sentBy(gbRequest)).toBe('uk');
    expect(await sentBy(usRequest)).toBe('main');
    expect(uk.createdFor(gb)).toHaveLength(1);
    expect(main.createdFor(gb)).toHaveLength(0);
    expect(main.createdFor(us)).toHaveLength(1);
    expect(uk.createdFor(us)).toHaveLength(0);
    expect(backup.server.requests).toHaveLength(0);
  });

  it('hands a dispatch the default answers 503 to the next provider, which carries it once', async () => {
    const us = numberIn('US');
    main.script.set(us, [error(503, 20503, 'Service Unavailable')]);
    const requestId = await sendOtp(stack, auth, us);
    // One attempt, no retry: the same dispatch went on to the next provider at once.
    expect(await sentBy(requestId)).toBe('backup');
    expect(main.requestsTo(us).map((r) => r.status)).toEqual([503]);
    expect(backup.requestsTo(us.slice(1))).toHaveLength(1);
    expect(backup.messages.filter((m) => m.fields['client-ref'] === `${requestId}-1`)).toHaveLength(1);
    const sdr = await sdrOnceDelivery(stack, auth, requestId, 'sent');
    expect(sdr.attempts).toHaveLength(1);
    expect(sdr.attempts[0]).toMatchObject({ provider: 'backup', status: 'sent' });
  });

  it('opens the circuit after two failures, skips the provider, and closes it when the probe succeeds', async () => {
    // The failure of the test before leaves the window.
    stack.clock.advance(61);
    for (const us of [numberIn('US'), numberIn('US')]) {
      main.script.set(us, [error(500, 20500, 'Internal Server Error')]);
      expect(await sentBy(await sendOtp(stack, auth, us))).toBe('backup');
    }
    expect(await circuitOfMain()).toBe('2');

    // Open: main is not even asked.
    const skipped = numberIn('US');
    expect(await sentBy(await sendOtp(stack, auth, skipped))).toBe('backup');
    expect(main.requestsTo(skipped)).toHaveLength(0);

    // 30 s later the next dispatch is the probe; main answers, the circuit closes.
    stack.clock.advance(30);
    const probe = numberIn('US');
    expect(await sentBy(await sendOtp(stack, auth, probe))).toBe('main');
    expect(main.createdFor(probe)).toHaveLength(1);
    expect(backup.requestsTo(probe.slice(1))).toHaveLength(0);
    await eventually(async () => expect(await circuitOfMain()).toBe('0'));
    const after = numberIn('US');
    expect(await sentBy(await sendOtp(stack, auth, after))).toBe('main');
  });
});
