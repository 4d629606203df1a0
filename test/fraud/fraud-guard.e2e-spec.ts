import { decodeJson, encodeJson } from '@app/platform';
import { withPrefix } from '@app/contracts';
import { randomInt } from 'node:crypto';
import { Redis } from 'ioredis';
import { createServer } from 'node:net';
import { blockIdOf } from '../../apps/limiter/src/fraud/fraud-store';
import { eventsOf, lifecycle } from '../support/jetstream-helpers';
import { eventually } from '../support/eventually';
import { type Credentials, http } from '../support/http';
import { createAccount, readCode, sendBody } from '../support/otp-helpers';
import { hostPort, serviceUrls } from '../support/services';
import { startStack, type Stack } from '../support/stack';
import { TcpProxy } from '../support/tcp-proxy';

/**
 * Numbers of one prefix (the number without its last 4 digits): `+1415` and 3 digits of its own.
 * `first` is the first of the 3: prefixes with different ones share no 6-digit prefix (`+1415d`),
 * whose own velocity rule (15 unverified) two bursts of 8 landing in it by chance would trip.
 */
function prefixNumbers(first = randomInt(2, 10)): () => string {
  const prefix = `+1415${first}${String(randomInt(0, 100)).padStart(2, '0')}`;
  let n = randomInt(0, 5000);
  return () => `${prefix}${String(n++).padStart(4, '0')}`;
}

const send = (stack: Stack, auth: Credentials, to: string, extra: Record<string, unknown> = {}) =>
  http(stack.url, 'POST', '/2fa/send', { auth, body: sendBody(to, extra) });

interface Sdr {
  status: string;
  statusReason: string | null;
  price: string;
  fraudDecision: string | null;
  fraudReasons: string[];
}

const sdrOf = (stack: Stack, auth: Credentials, requestId: string) =>
  eventually(async () => {
    const res = await http<{ data: Sdr }>(stack.url, 'GET', `/2fa/sdr/search/${requestId}`, { auth });
    if (res.status !== 200) throw new Error(`no record yet: ${res.status}`);
    return res.body.data;
  });

/** Bursts of unverified sends trip the prefix velocity rule: 8 pass on a cold prefix (`standard`). */
const BURST_FLOOR = 8;

describe('fraud guard in the send path (SPEC 12)', () => {
  let stack: Stack;

  beforeAll(async () => {
    stack = await startStack({ env: { FRAUD_GUARD: 'true', FRAUD_DEFAULT_BLOCKED_COUNTRIES: 'CU' } });
  });
  afterAll(() => stack?.stop());

  it('refuses a country the operator blocks (geo_permission), sends nothing, and lets the account allow it', async () => {
    const auth = await createAccount(stack);
    const res = await send(stack, auth, '+5351234567');
    expect(res.status).toBe(403);
    expect(res.body).toMatchObject({
      code: 456,
      message: 'Blocked by fraud guard: geo_permission',
      reason: 'geo_permission',
    });
    const requestId = res.body.requestID as string;
    expect(requestId).toMatch(/^OTP[0-9a-f]{32}$/);
    // Nothing sent: the only event is `blocked`.
    const events = await eventually(async () => {
      const e = await eventsOf(stack, requestId);
      expect(e.length).toBeGreaterThan(0);
      return e;
    });
    expect(events.map((e) => e.type)).toEqual(['blocked']);
    const outbox = await http<{ data: unknown[] }>(stack.url, 'GET', `/2fa/dev/outbox?to=%2B5351234567`, { auth });
    expect(outbox.body.data).toEqual([]);

    const geo = await http<{ data: unknown[] }>(stack.url, 'GET', '/2fa/fraud/geo-permissions', { auth });
    expect(geo.body.data).toEqual([{ countryCode: 'CU', sms: 'block', call: 'block', source: 'default' }]);
    const allowed = await http(stack.url, 'PUT', '/2fa/fraud/geo-permissions/cu', { auth, body: { sms: 'allow' } });
    expect(allowed.status).toBe(200);
    expect(allowed.body.data).toEqual({ countryCode: 'CU', sms: 'allow', call: 'block', source: 'account' });
    expect((await send(stack, auth, '+5351234567')).status).toBe(200);
    // The call channel stays blocked.
    const call = await send(stack, auth, '+5351234568', { channel: 'call' });
    expect(call.body).toMatchObject({ code: 456, reason: 'geo_permission' });
  });

  it('refuses premium-rate and toll-free numbers (number_type)', async () => {
    const auth = await createAccount(stack);
    for (const to of ['+449098790000', '+18005551234']) {
      const res = await send(stack, auth, to);
      expect(res.status).toBe(403);
      expect(res.body).toMatchObject({ code: 456, reason: 'number_type' });
    }
    // Email is not guarded.
    const email = await http(stack.url, 'POST', '/2fa/send', {
      auth,
      body: {
        service: '2FA',
        from: 'a@example.com',
        to: 'b@example.com',
        subject: 'Code',
        body: '{code}',
        channel: 'email',
      },
    });
    expect(email.status).toBe(200);
  });

  it('blocks a burst to one prefix while another prefix still sends; the block is listed, counts nothing, and unblock lifts it at once', async () => {
    const auth = await createAccount(stack);
    const attacked = prefixNumbers(2);
    const other = prefixNumbers(3);
    for (let i = 0; i < BURST_FLOOR; i++) expect((await send(stack, auth, attacked())).status).toBe(200);
    const refused = await send(stack, auth, attacked(), { limits: { perService: 'x' } });
    expect(refused.status).toBe(403);
    expect(refused.body).toMatchObject({ code: 456, reason: 'prefix_velocity' });
    // A block of 15 minutes: said in the body and in Retry-After.
    expect(refused.body.retryAfter).toBe(900);
    expect(refused.headers.get('retry-after')).toBe('900');
    // The guard decided before the limits: the unknown limit name (495) was never looked at.
    expect((await send(stack, auth, attacked())).body).toMatchObject({ code: 456, reason: 'prefix_velocity' });
    expect((await send(stack, auth, other())).status).toBe(200);

    const blocks = await http<{ data: { id: string; scope: { kind: string; value: string }; reason: string }[] }>(
      stack.url,
      'GET',
      '/2fa/fraud/blocks',
      { auth },
    );
    expect(blocks.status).toBe(200);
    expect(blocks.body.data).toHaveLength(1);
    const [block] = blocks.body.data;
    expect(block).toMatchObject({ reason: 'prefix_velocity', level: 1, scope: { kind: 'prefix4' } });
    expect(attacked().startsWith(block.scope.value)).toBe(true);
    // A stranger learns nothing of it.
    const stranger = await createAccount(stack);
    const foreign = await http(stack.url, 'DELETE', `/2fa/fraud/blocks/${block.id}`, { auth: stranger });
    expect(foreign.status).toBe(404);
    expect(foreign.body).toMatchObject({ code: 482 });

    const lifted = await http(stack.url, 'DELETE', `/2fa/fraud/blocks/${block.id}`, { auth });
    expect(lifted.status).toBe(200);
    expect((await send(stack, auth, attacked())).status).toBe(200);
    expect((await http<{ data: unknown[] }>(stack.url, 'GET', '/2fa/fraud/blocks', { auth })).body.data).toEqual([]);

    // The records and the usage show what was blocked, at no cost.
    const blockedId = refused.body.requestID as string;
    const record = await sdrOf(stack, auth, blockedId);
    expect(record).toMatchObject({
      status: 'blocked',
      statusReason: 'prefix_velocity',
      price: '0.000000',
      fraudDecision: 'blocked',
      fraudReasons: ['prefix_velocity'],
    });
    const search = await eventually(async () => {
      const res = await http<{ data: { total: number; result: { requestId: string }[] } }>(
        stack.url,
        'GET',
        '/2fa/sdr/search?status=blocked',
        { auth },
      );
      expect(res.body.data.total).toBe(2);
      return res.body.data;
    });
    expect(search.result.map((r) => r.requestId)).toContain(blockedId);
    const usage = await eventually(async () => {
      const res = await http<{ data: { total: Record<string, unknown> } }>(stack.url, 'GET', '/2fa/usage', { auth });
      expect(res.body.data.total).toMatchObject({ blocked: 2, requests: BURST_FLOOR + 4 });
      return res.body.data.total;
    });
    expect(Number(usage.costAvoided)).toBeGreaterThan(0);
  });

  it('verified sends drain the pressure: a prefix whose codes are verified keeps sending', async () => {
    const auth = await createAccount(stack);
    const next = prefixNumbers();
    const verifyAll = async (n: number) => {
      for (let i = 0; i < n; i++) {
        const to = next();
        const res = await send(stack, auth, to);
        expect(res.status).toBe(200);
        const requestId = res.body.requestID as string;
        const code = await readCode(stack, auth, to, requestId);
        expect((await http(stack.url, 'POST', '/2fa/verify', { auth, body: { requestId, code } })).status).toBe(200);
      }
    };
    await verifyAll(BURST_FLOOR - 1);
    // The guard learns of the verifies through the event stream: the prefix's pressure drains.
    const redis = new Redis(serviceUrls().redisUrl, { keyPrefix: stack.env.REDIS_PREFIX });
    try {
      const key = `fraud:{${auth.accountSid}}:st:${blockIdOf({ kind: 'prefix4', label: next().slice(0, -4) }).slice(2)}`;
      await eventually(async () => expect(Number(await redis.hget(key, 'u'))).toBeLessThan(1), 10_000, 100);
    } finally {
      redis.disconnect();
    }
    await verifyAll(BURST_FLOOR - 1);
  });

  it("a prefix's block explains its sends: the country's people keep sending, until prefixes keep getting blocked", async () => {
    const auth = await createAccount(stack);
    // Each prefix of this test in a 6-digit prefix of its own: only the 4-digit ones trip.
    let first = 2;
    const freshPrefix = () => prefixNumbers(first++);
    // People of the country verify: the country has recent verified traffic.
    for (let i = 0; i < 2; i++) {
      const to = freshPrefix()();
      const res = await send(stack, auth, to);
      const requestId = res.body.requestID as string;
      const code = await readCode(stack, auth, to, requestId);
      expect((await http(stack.url, 'POST', '/2fa/verify', { auth, body: { requestId, code } })).status).toBe(200);
    }
    const redis = new Redis(serviceUrls().redisUrl, { keyPrefix: stack.env.REDIS_PREFIX });
    try {
      const key = `fraud:{${auth.accountSid}}:st:${blockIdOf({ kind: 'country', label: 'US' }).slice(2)}`;
      await eventually(async () => expect(Number(await redis.hget(key, 'v'))).toBeGreaterThan(1.9), 10_000, 100);
    } finally {
      redis.disconnect();
    }
    const burst = async () => {
      const next = freshPrefix();
      for (let i = 0; i < BURST_FLOOR; i++) expect((await send(stack, auth, next())).status).toBe(200);
      expect((await send(stack, auth, next())).body).toMatchObject({ code: 456, reason: 'prefix_velocity' });
    };
    // Two prefixes blocked: 16 unverified sends against 2 verified in the country.
    await burst();
    await burst();
    // Once they count as resolved, the country's conversion would be 11 %: they are explained
    // by their prefixes' blocks, so another prefix of the country still sends.
    stack.clock.advance(11 * 60);
    expect((await send(stack, auth, freshPrefix()())).status).toBe(200);
    // A third prefix newly blocked within a day: an attacker hopping prefixes; the country is blocked.
    await burst();
    expect((await send(stack, auth, freshPrefix()())).body).toMatchObject({ code: 456, reason: 'low_conversion' });
    const blocks = await http<{ data: { scope: { kind: string; value: string }; counters: object }[] }>(
      stack.url,
      'GET',
      '/2fa/fraud/blocks',
      { auth },
    );
    expect(blocks.body.data.find((b) => b.scope.kind === 'country')).toMatchObject({
      scope: { value: 'US' },
      counters: { prefixesBlocked: 3 },
    });
  });

  it('passes safe-listed numbers and prefixes', async () => {
    const auth = await createAccount(stack);
    const next = prefixNumbers();
    const first = next();
    const added = await http<{ data: { id: string } }>(stack.url, 'POST', '/2fa/fraud/safe-list', {
      auth,
      body: { prefix: first.slice(0, -4), description: 'QA devices' },
    });
    expect(added.status).toBe(200);
    expect(added.body.data).toMatchObject({ kind: 'prefix', value: first.slice(0, -4), dateExpires: null });
    for (let i = 0; i < BURST_FLOOR + 3; i++) {
      const res = await send(stack, auth, next());
      expect(res.status).toBe(200);
    }
    const list = await http<{ data: unknown[] }>(stack.url, 'GET', '/2fa/fraud/safe-list', { auth });
    expect(list.body.data).toHaveLength(1);
    // A premium number on the safe list passes too (the safe list comes first).
    await http(stack.url, 'POST', '/2fa/fraud/safe-list', { auth, body: { number: '+449098790000', ttl: 3600 } });
    expect((await send(stack, auth, '+449098790000')).status).toBe(200);

    const removed = await http(stack.url, 'DELETE', `/2fa/fraud/safe-list/${added.body.data.id}`, { auth });
    expect(removed.status).toBe(200);
    // Safe-listed sends counted nothing; from now on the prefix is guarded again.
    for (let i = 0; i < BURST_FLOOR; i++) expect((await send(stack, auth, next())).status).toBe(200);
    expect((await send(stack, auth, next())).body).toMatchObject({ code: 456, reason: 'prefix_velocity' });
  });

  it('monitor mode decides and records but sends', async () => {
    const auth = await createAccount(stack);
    const put = await http(stack.url, 'PUT', '/2fa/fraud/settings', { auth, body: { mode: 'monitor' } });
    expect(put.status).toBe(200);
    expect(put.body.data).toMatchObject({ mode: 'monitor', level: 'standard', allowBypass: false });
    const next = prefixNumbers();
    const ids: string[] = [];
    for (let i = 0; i < BURST_FLOOR + 2; i++) {
      const res = await send(stack, auth, next());
      expect(res.status).toBe(200);
      ids.push(res.body.requestID as string);
    }
    expect((await sdrOf(stack, auth, ids[0])).fraudDecision).toBe('allowed');
    const flagged = await sdrOf(stack, auth, ids[BURST_FLOOR]);
    expect(flagged).toMatchObject({
      status: 'pending',
      fraudDecision: 'monitor_blocked',
      fraudReasons: ['prefix_velocity'],
    });
    const created = lifecycle(await eventsOf(stack, ids[BURST_FLOOR + 1]), 'created');
    expect(created[0].data).toMatchObject({ fraudDecision: 'monitor_blocked', fraudReasons: ['prefix_velocity'] });
    // The block is recorded (and enforced once the mode is block).
    expect((await http<{ data: unknown[] }>(stack.url, 'GET', '/2fa/fraud/blocks', { auth })).body.data).toHaveLength(
      1,
    );
  });

  it('honours riskCheck: false only when the settings allow bypass', async () => {
    const auth = await createAccount(stack);
    expect((await send(stack, auth, '+449098790000', { riskCheck: false })).body).toMatchObject({ code: 456 });
    await http(stack.url, 'PUT', '/2fa/fraud/settings', { auth, body: { allowBypass: true } });
    const res = await send(stack, auth, '+449098790000', { riskCheck: false });
    expect(res.status).toBe(200);
    expect((await sdrOf(stack, auth, res.body.requestID as string)).fraudDecision).toBe('bypassed');
  });

  it('scopes settings to sub-accounts as limits are, and refuses bad input with 400 naming the field', async () => {
    const parent = await createAccount(stack);
    const sub = await createAccount(stack, parent);
    const stranger = await createAccount(stack);
    const put = await http(stack.url, 'PUT', '/2fa/fraud/settings', {
      auth: parent,
      body: { accountSid: sub.accountSid, level: 'strict' },
    });
    expect(put.body.data).toMatchObject({ accountSid: sub.accountSid, level: 'strict' });
    expect((await http(stack.url, 'GET', '/2fa/fraud/settings', { auth: sub })).body.data).toMatchObject({
      level: 'strict',
    });
    expect((await http(stack.url, 'GET', '/2fa/fraud/settings', { auth: parent })).body.data).toMatchObject({
      level: 'standard',
    });
    const foreign = await http(stack.url, 'GET', `/2fa/fraud/settings?accountSid=${sub.accountSid}`, {
      auth: stranger,
    });
    expect(foreign.status).toBe(403);

    const bad = await http(stack.url, 'PUT', '/2fa/fraud/settings', { auth: parent, body: { mode: 'off' } });
    expect(bad.status).toBe(400);
    expect(bad.body).toMatchObject({ code: 400, field: 'mode' });
    const badGeo = await http(stack.url, 'PUT', '/2fa/fraud/geo-permissions/XYZ', {
      auth: parent,
      body: { sms: 'block' },
    });
    expect(badGeo.body).toMatchObject({ code: 400, field: 'countryCode' });
    const badSafe = await http(stack.url, 'POST', '/2fa/fraud/safe-list', { auth: parent, body: { prefix: '12ab' } });
    expect(badSafe.body).toMatchObject({ code: 400, field: 'prefix' });
    const unknown = await http(stack.url, 'DELETE', `/2fa/fraud/safe-list/FS${'0'.repeat(32)}`, { auth: parent });
    expect(unknown.status).toBe(404);
    expect(unknown.body).toMatchObject({ code: 482 });
  });

  it('answers the same over NATS (fraud.v1.*)', async () => {
    const auth = await createAccount(stack);
    const msg = await stack.nc.request(
      withPrefix(stack.config.nats.prefix, 'fraud.v1.settings.get'),
      encodeJson({ accountSid: auth.accountSid }),
      { timeout: 3000 },
    );
    expect(decodeJson(msg.data)).toMatchObject({
      code: 200,
      data: { accountSid: auth.accountSid, mode: 'block', defaultBlockedCountries: ['CU'] },
    });
  });
});

/** A port nothing listens on. */
async function deadPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  await new Promise((resolve) => server.close(resolve));
  return port;
}

describe('the guard fails open; the limiter still fails closed', () => {
  it('sends go out, recorded unevaluated, while the guard store is unreachable and the limiter store is up', async () => {
    const stack = await startStack({
      env: { FRAUD_GUARD: 'true', FRAUD_REDIS_URL: `redis://127.0.0.1:${await deadPort()}` },
    });
    try {
      const auth = await createAccount(stack);
      const next = prefixNumbers();
      const ids: string[] = [];
      for (let i = 0; i < BURST_FLOOR + 2; i++) {
        const res = await send(stack, auth, next());
        expect(res.status).toBe(200);
        ids.push(res.body.requestID as string);
      }
      expect((await sdrOf(stack, auth, ids[BURST_FLOOR + 1])).fraudDecision).toBe('unevaluated');
      // The default limit (the limiter's own Redis) still counts: the same number again is refused.
      expect((await send(stack, auth, '+5351234567')).status).toBe(200);
      expect((await send(stack, auth, '+5351234567')).status).toBe(404);
    } finally {
      await stack.stop();
    }
  });

  it('with one shared Redis down, the limiter answers 503 as before', async () => {
    const redis = hostPort(serviceUrls().redisUrl, 6379);
    const proxy = await new TcpProxy(redis.host, redis.port).start();
    const stack = await startStack({
      env: { FRAUD_GUARD: 'true', REDIS_URL: proxy.url(serviceUrls().redisUrl), NATS_REQUEST_TIMEOUT_MS: '2000' },
    });
    try {
      const auth = await createAccount(stack);
      const next = prefixNumbers();
      expect((await send(stack, auth, next())).status).toBe(200);
      proxy.cut();
      const down = await send(stack, auth, next());
      expect(down.status).toBe(503);
      expect(Number(down.headers.get('retry-after'))).toBeGreaterThan(0);
      proxy.restore();
      await eventually(async () => expect((await send(stack, auth, next())).status).toBe(200), 20_000, 250);
    } finally {
      await stack.stop();
      await proxy.stop();
    }
  });
});
