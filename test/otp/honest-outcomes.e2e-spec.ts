import { NatsRpcClient } from '@app/platform';
import { dispatcherSmsService } from '../../apps/dispatcher-sms/src/dispatcher-sms.definition';
import { gatewayService } from '../../apps/gateway/src/gateway.definition';
import { limiterService } from '../../apps/limiter/src/limiter.definition';
import { otpCoreService } from '../../apps/otp-core/src/otp-core.definition';
import { eventually } from '../support/eventually';
import { type Credentials, http } from '../support/http';
import { createAccount, sendBody, uniqueNumber } from '../support/otp-helpers';
import { hostPort, serviceUrls } from '../support/services';
import { startStack, type Stack } from '../support/stack';
import { TcpProxy } from '../support/tcp-proxy';

const GATEWAY_TIMEOUT_MS = 3000;

/**
 * What the gateway answers when a command gets no answer: 503 at once when it knows nothing
 * was done (NATS not connected), 457 when the command left and its outcome is unknown — with
 * the key under which a retry is safe. The services run split, each with its own NATS
 * connection: the gateway's and otp-core's go through proxies the test controls.
 */
describe('honest outcomes at the edge', () => {
  let stack: Stack;
  let auth: Credentials;
  let gatewayNats: TcpProxy;
  let coreNats: TcpProxy;

  beforeAll(async () => {
    const nats = hostPort(serviceUrls().natsUrl, 4222);
    gatewayNats = await new TcpProxy(nats.host, nats.port).start();
    coreNats = await new TcpProxy(nats.host, nats.port).start();
    stack = await startStack({
      services: [gatewayService],
      env: {
        DEFAULT_LIMIT_MAX: '1000',
        NATS_URL: `nats://127.0.0.1:${gatewayNats.port}`,
        NATS_REQUEST_TIMEOUT_MS: String(GATEWAY_TIMEOUT_MS),
      },
    });
    const direct = serviceUrls().natsUrl;
    // otp-core waits for the limiter longer than the gateway waits for otp-core.
    await stack.startService(otpCoreService, {
      NATS_URL: `nats://127.0.0.1:${coreNats.port}`,
      NATS_REQUEST_TIMEOUT_MS: '20000',
    });
    await stack.startService(limiterService, { NATS_URL: direct });
    await stack.startService(dispatcherSmsService, { NATS_URL: direct });
    auth = await createAccount(stack);
  }, 120_000);

  afterAll(async () => {
    await stack?.stop();
    await gatewayNats?.stop();
    await coreNats?.stop();
  });

  const send = (to: string, headers: Record<string, string> = {}) =>
    http(stack.url, 'POST', '/2fa/send', { auth, body: sendBody(to), headers });
  const outbox = async (to: string) =>
    (
      await http<{ data: { requestID: string }[] }>(stack.url, 'GET', `/2fa/dev/outbox?to=${encodeURIComponent(to)}`, {
        auth,
      })
    ).body.data ?? [];

  it('answers 503 with Retry-After at once while NATS is disconnected, not after the time-out', async () => {
    expect((await send(uniqueNumber())).status).toBe(200);
    const rpc = stack.app.get(NatsRpcClient, { strict: false });
    gatewayNats.cut();
    try {
      await eventually(() => expect(rpc.reachable).toBe(false));
      const started = Date.now();
      const down = await send(uniqueNumber());
      const tookMs = Date.now() - started;
      expect(down.status).toBe(503);
      expect(down.body).toMatchObject({ code: 503, message: 'Service unavailable' });
      expect(Number(down.headers.get('retry-after'))).toBeGreaterThan(0);
      // It did not wait for an answer that could not come.
      expect(tookMs).toBeLessThan(GATEWAY_TIMEOUT_MS);
    } finally {
      gatewayNats.restore();
    }
    await eventually(async () => expect((await send(uniqueNumber())).status).toBe(200), 20_000, 250);
  });

  it.each([
    ['without an Idempotency-Key (the gateway made one)', undefined],
    ["with the caller's Idempotency-Key", 'caller-key-1'],
  ])(
    'a send whose answer came too late is 457, done once, and a retry with its key answers it (%s)',
    async (_, callerKey) => {
      const to = uniqueNumber();
      // otp-core does the work, but its answers reach NATS after the gateway stopped waiting.
      coreNats.upstreamDelayMs = GATEWAY_TIMEOUT_MS + 1500;
      let unknown;
      try {
        unknown = await send(to, callerKey ? { 'Idempotency-Key': callerKey } : {});
      } finally {
        coreNats.upstreamDelayMs = 0;
      }
      expect(unknown.status).toBe(503);
      expect(unknown.body).toMatchObject({
        code: 457,
        message: 'Outcome unknown: retry with the same Idempotency-Key',
      });
      expect(Number(unknown.headers.get('retry-after'))).toBeGreaterThan(0);
      const key = unknown.body.idempotencyKey as string;
      expect(typeof key).toBe('string');
      if (callerKey) expect(key).toBe(callerKey);

      // Not a 503: it was done, and the code went out.
      const [delivered] = await eventually(async () => {
        const entries = await outbox(to);
        expect(entries).toHaveLength(1);
        return entries;
      }, 30_000);

      // The retry with that key answers what the first one did, and sends nothing again.
      const retried = await eventually(async () => {
        const res = await send(to, { 'Idempotency-Key': key });
        expect(res.status).toBe(200);
        return res;
      }, 20_000);
      expect(retried.body.requestID).toBe(delivered.requestID);
      await new Promise((resolve) => setTimeout(resolve, 1500));
      expect(await outbox(to)).toHaveLength(1);
    },
    90_000,
  );
});
