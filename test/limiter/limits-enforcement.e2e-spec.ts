import type { INestApplication } from '@nestjs/common';
import { DomainError, newId } from '@app/contracts';
import { LimiterService } from '../../apps/limiter/src/limiter.service';
import { limiterService } from '../../apps/limiter/src/limiter.definition';
import { eventually } from '../support/eventually';
import { type Credentials, http } from '../support/http';
import { createAccount, readCode, sendBody, uniqueNumber } from '../support/otp-helpers';
import { RedisCluster } from '../support/redis-cluster';
import { hostPort, serviceUrls } from '../support/services';
import { startStack, type Stack } from '../support/stack';
import { TcpProxy } from '../support/tcp-proxy';

type Body = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

/**
 * Send-time limits (SPEC section 6) through the gateway, against a single Redis and against a
 * real three-node Redis Cluster: the same assertions must hold on both.
 */
describe.each(['standalone', 'cluster'] as const)('named limits at send time, Redis %s', (mode) => {
  let stack: Stack;
  let auth: Credentials;
  let cluster: RedisCluster | undefined;
  let proxy: TcpProxy | undefined;
  /** A second limiter replica beside the all-in-one's, on the same Redis and database. */
  let replica: INestApplication;

  beforeAll(async () => {
    let redisEnv: Record<string, string>;
    if (mode === 'cluster') {
      cluster = await new RedisCluster().start();
      redisEnv = { REDIS_URL: cluster.url, REDIS_CLUSTER: 'true' };
    } else {
      // Through a proxy, so that a test can take Redis away.
      const redis = hostPort(serviceUrls().redisUrl, 6379);
      proxy = await new TcpProxy(redis.host, redis.port).start();
      redisEnv = { REDIS_URL: proxy.url(serviceUrls().redisUrl) };
    }
    stack = await startStack({ env: redisEnv });
    replica = await stack.startService(limiterService);
    auth = await createAccount(stack);
  });
  afterAll(async () => {
    await stack?.stop();
    await cluster?.stop();
    await proxy?.stop();
  });

  const createLimit = async (name: string, buckets: { max: number; interval: number }[], who = auth) => {
    const res = await http<Body>(stack.url, 'POST', '/2fa/limits', {
      auth: who,
      body: { name, buckets: buckets.map((b, i) => ({ name: `b${i}`, ...b })) },
    });
    expect(res.status).toBe(200);
    return res.body.data.sid as string;
  };
  const send = (limits: Record<string, string> | string | undefined, to = uniqueNumber(), who = auth) =>
    http<Body>(stack.url, 'POST', '/2fa/send', {
      auth: who,
      body: sendBody(to, limits === undefined ? {} : { limits }),
    });
  const unique = (prefix: string) => `${prefix}_${newId('limit').slice(2, 10)}`;

  it('checks limits in the order given: the same two limits in two orders count differently', async () => {
    const wide = unique('wide'); // 3 per 300 s
    const narrow = unique('narrow'); // 1 per 300 s
    await createLimit(wide, [{ max: 3, interval: 300 }]);
    await createLimit(narrow, [{ max: 1, interval: 300 }]);

    // wide first: every send counts in `wide`, even those `narrow` then refuses.
    const [k1, k2] = [`user-${newId('limit')}`, `user-${newId('limit')}`];
    expect((await send({ [wide]: k1, [narrow]: k1 })).status).toBe(200);
    const refused = await send({ [wide]: k1, [narrow]: k1 });
    expect(refused.status).toBe(429);
    expect(refused.body).toEqual({ code: 454, message: `Limit exceeded: ${narrow}`, requestID: null });
    expect((await send({ [wide]: k1, [narrow]: k1 })).body).toMatchObject({
      code: 454,
      message: `Limit exceeded: ${narrow}`,
    });
    // `wide` has now counted three sends for k1, and is full.
    expect((await send({ [wide]: k1 })).body).toMatchObject({ code: 454, message: `Limit exceeded: ${wide}` });

    // narrow first: checking stops at `narrow`, so `wide` counted only the one send that passed.
    expect((await send(JSON.stringify({ [narrow]: k2, [wide]: k2 }))).status).toBe(200);
    expect((await send(JSON.stringify({ [narrow]: k2, [wide]: k2 }))).body).toMatchObject({
      code: 454,
      message: `Limit exceeded: ${narrow}`,
    });
    expect((await send(JSON.stringify({ [narrow]: k2, [wide]: k2 }))).body).toMatchObject({ code: 454 });
    const probe = await send({ [wide]: k2 });
    expect(probe.status).toBe(200);
    expect(probe.headers.get('ratelimit-remaining')).toBe('1');
  });

  it('keeps each window from its first send: the seed\u2019s "from T2 to T0+300 s blocked"', async () => {
    const name = unique('seed');
    await createLimit(name, [
      { max: 1, interval: 30 },
      { max: 2, interval: 300 },
    ]);
    const key = '919960639903';
    const t0 = await send({ [name]: key });
    expect(t0.status).toBe(200);
    expect(t0.headers.get('ratelimit-limit')).toBe('1');
    expect(t0.headers.get('ratelimit-remaining')).toBe('0');
    expect(t0.headers.get('ratelimit-reset')).toBe('30');

    stack.clock.advance(10); // T0+10: the 30 s bucket is full.
    const early = await send({ [name]: key });
    expect(early.status).toBe(429);
    expect(early.headers.get('retry-after')).toBe('20');

    stack.clock.advance(21); // T1 = T0+31: a new 30 s window; the 300 s bucket counts its second.
    expect((await send({ [name]: key })).status).toBe(200);

    stack.clock.advance(31); // T2 = T0+62: the 30 s bucket has room, the 300 s one is full until T0+300.
    const t2 = await send({ [name]: key });
    expect(t2.status).toBe(429);
    expect(t2.headers.get('retry-after')).toBe('238');

    stack.clock.advance(237); // T0+299: still blocked.
    expect((await send({ [name]: key })).status).toBe(429);
    stack.clock.advance(1); // T0+300: both windows closed.
    expect((await send({ [name]: key })).status).toBe(200);
  });

  it('counts exactly max of many concurrent sends against one bucket', async () => {
    const name = unique('burst');
    await createLimit(name, [{ max: 5, interval: 60 }]);
    const replies = await Promise.all(Array.from({ length: 24 }, () => send({ [name]: 'same-key' })));
    expect(replies.filter((r) => r.status === 200)).toHaveLength(5);
    expect(replies.filter((r) => r.status === 429 && r.body.code === 454)).toHaveLength(19);
  });

  it('refuses an unknown name with 495 before anything is counted', async () => {
    const name = unique('known');
    await createLimit(name, [{ max: 2, interval: 60 }]);
    const refused = await send({ [name]: 'k', nope: 'k' });
    expect(refused.status).toBe(409);
    expect(refused.body).toEqual({ code: 495, message: 'Invalid Limit Name: nope', requestID: null });
    // A limit of another account is as unknown as none.
    const other = await createAccount(stack);
    const foreign = unique('foreign');
    await createLimit(foreign, [{ max: 1, interval: 60 }], other);
    expect((await send({ [name]: 'k', [foreign]: 'k' })).body).toMatchObject({ code: 495 });
    // `known` came first both times, yet counted nothing: both of its sends are still there.
    expect((await send({ [name]: 'k' })).headers.get('ratelimit-remaining')).toBe('1');
    expect((await send({ [name]: 'k' })).status).toBe(200);
  });

  it('throttles verify too, per key, before the code is checked', async () => {
    const name = unique('verify_ip');
    await createLimit(name, [{ max: 2, interval: 60 }]);
    const to = uniqueNumber();
    const requestId = (await send(undefined, to)).body.requestID as string;
    const code = await readCode(stack, auth, to, requestId);
    const verify = (c: string) =>
      http<Body>(stack.url, 'POST', '/2fa/verify', {
        auth,
        body: { requestId, code: c, limits: { [name]: '203.0.113.7' } },
      });
    expect((await verify('000000' === code ? '111111' : '000000')).body).toMatchObject({ code: 474 });
    const ok = await verify(code);
    expect(ok.body).toMatchObject({ code: 200 });
    expect(ok.headers.get('ratelimit-remaining')).toBe('0');
    expect((await verify(code)).body).toMatchObject({ code: 454, message: `Limit exceeded: ${name}` });
  });

  it('applies the default limit when no limits are named', async () => {
    const to = uniqueNumber();
    expect((await send(undefined, to)).status).toBe(200);
    const again = await send(undefined, to);
    expect(again.status).toBe(404);
    expect(again.body).toMatchObject({ code: 453 });
  });

  it('takes an updated or deleted limit into account on the next send on every replica', async () => {
    const accountSid = auth.accountSid;
    const replicas = [stack.app, replica].map((app) => app.get(LimiterService, { strict: false }));
    const name = unique('replicated');
    const sid = await createLimit(name, [{ max: 1, interval: 300 }]);
    const consume = (service: LimiterService, key: string) =>
      service.consume({ accountSid, destination: '+14155550100', limits: [{ name, key }] }).then(
        (r) => r.code,
        (e: DomainError) => e.code,
      );
    // Both replicas have the definition cached, and each key is full.
    expect(await consume(replicas[0], 'a')).toBe(200);
    expect(await consume(replicas[1], 'b')).toBe(200);
    expect(await consume(replicas[0], 'a')).toBe(454);
    expect(await consume(replicas[1], 'b')).toBe(454);

    // Raised to 2 through the gateway: the next consume on each replica sees it.
    const put = await http<Body>(stack.url, 'PUT', `/2fa/limits/${sid}`, {
      auth,
      body: { buckets: [{ name: 'b0', max: 2, interval: 300 }] },
    });
    expect(put.status).toBe(200);
    expect(await consume(replicas[0], 'a')).toBe(200);
    expect(await consume(replicas[1], 'b')).toBe(200);

    // Deleted: the next send on each replica no longer knows the name.
    expect((await http(stack.url, 'DELETE', `/2fa/limits/${sid}`, { auth })).status).toBe(200);
    expect(await consume(replicas[0], 'c')).toBe(495);
    expect(await consume(replicas[1], 'c')).toBe(495);
  });

  if (mode === 'standalone') {
    it('fails closed while Redis is down (503), and recovers by itself', async () => {
      const name = unique('outage');
      await createLimit(name, [{ max: 100, interval: 60 }]);
      expect((await send({ [name]: 'k' })).status).toBe(200);
      proxy!.cut();
      try {
        const down = await send({ [name]: 'k' });
        expect(down.status).toBe(503);
        expect(down.body).toMatchObject({ code: 503, message: 'Service unavailable' });
        expect(Number(down.headers.get('retry-after'))).toBeGreaterThan(0);
        // A change of a limit is refused too, and leaves nothing behind.
        const create = await http<Body>(stack.url, 'POST', '/2fa/limits', {
          auth,
          body: { name: `${name}_2`, buckets: [{ name: 'b', max: 1, interval: 1 }] },
        });
        expect(create.status).toBe(503);
      } finally {
        proxy!.restore();
      }
      await eventually(async () => expect((await send({ [name]: 'k' })).status).toBe(200), 20_000, 250);
      const search = await http<Body>(stack.url, 'GET', `/2fa/limits/search?name=${name}_2`, { auth });
      expect(search.body.data.total).toBe(0);
    });
  }
});
