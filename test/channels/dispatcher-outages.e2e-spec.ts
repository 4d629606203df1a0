import { randomBytes } from 'node:crypto';
import { dispatcherSmsService } from '../../apps/dispatcher-sms/src/dispatcher-sms.definition';
import { gatewayService } from '../../apps/gateway/src/gateway.definition';
import { limiterService } from '../../apps/limiter/src/limiter.definition';
import { otpCoreService } from '../../apps/otp-core/src/otp-core.definition';
import { eventually } from '../support/eventually';
import type { Credentials } from '../support/http';
import { deliveryStatuses } from '../support/jetstream-helpers';
import { createAccount, sendOtpSurely, uniqueNumber } from '../support/otp-helpers';
import { hostPort, serviceUrls } from '../support/services';
import { startStack, type Stack } from '../support/stack';
import { TcpProxy } from '../support/tcp-proxy';
import { WebhookServer } from '../support/webhook-server';

const SENDS = 30;
const MAX_ATTEMPTS = 2;
/**
 * Longer than the old budget of DISPATCH_MAX_ATTEMPTS + 10 deliveries, one second apart (the
 * delay a failed claim was handed back with), after which every message the dispatcher held
 * was terminated without a word.
 */
const OUTAGE_MS = (MAX_ATTEMPTS + 12) * 1000;

/**
 * Redis out of reach of the dispatcher for longer than its whole attempt budget: the sends
 * answered 200 meanwhile are held, not spent, and each reaches the provider once, on its first
 * attempt, once Redis is back. Only the dispatcher's Redis is cut (a proxy), so the sends go
 * through (the limiter has its Redis) and the shared Redis is never touched.
 */
describe('a Redis outage longer than the attempt budget', () => {
  const hook = new WebhookServer();
  let proxy: TcpProxy;
  let stack: Stack;
  let auth: Credentials;

  beforeAll(async () => {
    const url = await hook.start();
    hook.idempotent = true;
    const redis = hostPort(serviceUrls().redisUrl, 6379);
    proxy = await new TcpProxy(redis.host, redis.port).start();
    stack = await startStack({
      services: [gatewayService, otpCoreService, limiterService],
      env: {
        SMS_PROVIDER: 'webhook',
        SMS_WEBHOOK_URL: url,
        SMS_WEBHOOK_SECRET: randomBytes(24).toString('hex'),
        DEFAULT_LIMIT_MAX: '1000',
        DISPATCH_MAX_ATTEMPTS: String(MAX_ATTEMPTS),
        // The sends are not what is tested: a busy machine must not turn them into 503s.
        NATS_REQUEST_TIMEOUT_MS: '15000',
      },
    });
    await stack.startService(dispatcherSmsService, { REDIS_URL: proxy.url(serviceUrls().redisUrl) });
    auth = await createAccount(stack);
  }, 120_000);

  afterAll(async () => {
    await stack?.stop();
    await proxy?.stop();
    await hook.stop();
  }, 60_000);

  it('loses no send, spends no attempt, and sends each once when Redis is back', async () => {
    // Works first, so what follows cannot pass for a dispatcher that sends nothing.
    const warm = await sendOtpSurely(stack, auth, uniqueNumber());
    await eventually(() => expect(hook.requests.map((r) => r.body.reference)).toContain(`${warm}-1`), 20_000);

    proxy.cut();
    const ids: string[] = [];
    try {
      for (let i = 0; i < SENDS; i += 10)
        ids.push(...(await Promise.all(Array.from({ length: 10 }, () => sendOtpSurely(stack, auth, uniqueNumber())))));
      await new Promise((resolve) => setTimeout(resolve, OUTAGE_MS));
    } finally {
      // Nothing could be claimed, so nothing went out.
      expect(hook.requests.filter((r) => ids.includes(String(r.body.reference).slice(0, -2)))).toEqual([]);
      proxy.restore();
    }
    const references = ids.map((id) => `${id}-1`);

    await eventually(
      () => {
        const seen = new Set(hook.requests.map((r) => r.body.reference));
        expect(references.filter((r) => !seen.has(r))).toEqual([]);
      },
      60_000,
      250,
    );
    await eventually(
      async () => {
        const statuses = (await deliveryStatuses(stack)).filter((e) => ids.includes(e.data.requestId));
        const sent = statuses.filter((e) => e.data.status === 'sent');
        expect(sent.map((e) => e.data.requestId).sort()).toEqual([...ids].sort());
        // The outage spent no attempt: every one went out on its first, and none failed.
        expect(sent.map((e) => e.data.attempt)).toEqual(ids.map(() => 1));
        expect(statuses.filter((e) => e.data.status !== 'sent')).toEqual([]);
      },
      30_000,
      250,
    );
    // Each dispatch reached the provider once, with no repeat under its key either.
    const counts = new Map<unknown, number>();
    for (const r of hook.requests) counts.set(r.body.reference, (counts.get(r.body.reference) ?? 0) + 1);
    expect(references.map((r) => counts.get(r))).toEqual(references.map(() => 1));
  }, 180_000);
});
