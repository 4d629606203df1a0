import { Streams, streamName } from '@app/contracts';
import { gatewayService } from '../../apps/gateway/src/gateway.definition';
import { limiterService } from '../../apps/limiter/src/limiter.definition';
import { otpCoreService } from '../../apps/otp-core/src/otp-core.definition';
import { sdrService } from '../../apps/sdr/src/sdr.definition';
import { eventually } from '../support/eventually';
import { type Credentials, http } from '../support/http';
import { createAccount, sendOtpSurely, uniqueNumber } from '../support/otp-helpers';
import { hostPort, serviceUrls } from '../support/services';
import { startStack, type Stack } from '../support/stack';
import { TcpProxy } from '../support/tcp-proxy';

const SENDS = 10;
/** Long enough that a projection which spent a delivery per failed try would have been redelivered. */
const OUTAGE_MS = 5000;

/**
 * Postgres out of reach of the SDR projection only (a proxy in front of its database): the
 * events that arrive meanwhile are held by the projector, not handed back to JetStream as failed
 * deliveries (which, over a long outage, ran out of deliveries and skipped events), and every one
 * is projected once Postgres is back.
 */
describe('the SDR projection through a Postgres outage', () => {
  let proxy: TcpProxy;
  let stack: Stack;
  let auth: Credentials;

  beforeAll(async () => {
    const pg = hostPort(serviceUrls().databaseUrl, 5432);
    proxy = await new TcpProxy(pg.host, pg.port).start();
    stack = await startStack({
      services: [gatewayService, otpCoreService, limiterService],
      env: { DEFAULT_LIMIT_MAX: '1000' },
    });
    const viaProxy = new URL(stack.env.DATABASE_URL);
    viaProxy.host = `127.0.0.1:${proxy.port}`;
    await stack.startService(sdrService, { DATABASE_URL: viaProxy.toString() });
    auth = await createAccount(stack);
  }, 120_000);

  afterAll(async () => {
    await stack?.stop();
    await proxy?.stop();
  });

  const recordOf = async (requestId: string) =>
    (await http<{ data?: { status: string } }>(stack.url, 'GET', `/2fa/sdr/search/${requestId}`, { auth })).body.data;

  const sdrConsumer = async () => {
    const jsm = await stack.nc.jetstreamManager();
    return jsm.consumers.info(streamName(stack.config.nats.prefix, Streams.otpEvents), stack.config.sdrConsumer);
  };

  it('holds the events without spending deliveries, and projects each once Postgres is back', async () => {
    // Projects normally first, so what follows cannot pass for a projection that never ran.
    const warm = await sendOtpSurely(stack, auth, uniqueNumber());
    await eventually(async () => expect(await recordOf(warm)).toBeDefined(), 15_000);
    const before = (await sdrConsumer()).num_redelivered;

    proxy.cut();
    const ids: string[] = [];
    for (let i = 0; i < SENDS; i++) ids.push(await sendOtpSurely(stack, auth, uniqueNumber()));
    await new Promise((resolve) => setTimeout(resolve, OUTAGE_MS));
    const during = await sdrConsumer();
    // The events reached the projector and are held by it, not redelivered.
    expect(during.num_ack_pending).toBeGreaterThanOrEqual(SENDS);
    expect(during.num_redelivered).toBe(before);

    proxy.restore();
    await eventually(async () => {
      for (const id of ids) expect((await recordOf(id))?.status).toBe('pending');
    }, 30_000);
    await eventually(async () => expect((await sdrConsumer()).num_ack_pending).toBe(0), 15_000);
  });
});
