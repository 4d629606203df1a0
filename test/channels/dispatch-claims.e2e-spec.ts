import { DispatchClaims, type Lease, type SentRecord } from '@app/dispatch';
import { createRedisClient, type RedisClient } from '@app/platform';
import { Redis } from 'ioredis';
import { randomBytes } from 'node:crypto';
import { eventually } from '../support/eventually';
import { RedisCluster } from '../support/redis-cluster';
import { serviceUrls } from '../support/services';

/** The lease on a dispatch, against the real Redis (own key prefix). */
describe('dispatch claims', () => {
  const prefix = `t${randomBytes(4).toString('hex')}:`;
  let redis: Redis;
  let claims: DispatchClaims;
  const id = () => `OTP${randomBytes(16).toString('hex')}-1`;
  const leaseOf = async (dispatchId: string, leaseMs = 60_000): Promise<Lease> => {
    const claim = await claims.claim(dispatchId, leaseMs);
    if (claim.kind !== 'claimed') throw new Error(`expected a lease, got ${claim.kind}`);
    return claim.lease;
  };

  beforeAll(() => {
    redis = new Redis(serviceUrls().redisUrl, { keyPrefix: prefix });
    claims = new DispatchClaims(redis);
  });
  afterAll(async () => {
    const raw = new Redis(serviceUrls().redisUrl);
    const keys = await raw.keys(`${prefix}*`);
    if (keys.length) await raw.del(...keys);
    raw.disconnect();
    redis.disconnect();
  });

  it('lets one holder at a time call the provider, and tells the others how long to wait', async () => {
    const dispatchId = id();
    const lease = await leaseOf(dispatchId);
    expect(lease.attempt).toBe(1);
    const other = await claims.claim(dispatchId, 60_000);
    expect(other).toMatchObject({ kind: 'busy' });
    expect((other as { retryInMs: number }).retryInMs).toBeGreaterThan(50_000);
    expect((other as { retryInMs: number }).retryInMs).toBeLessThanOrEqual(60_000);
  });

  it("releases or fails only the holder's own lease", async () => {
    const dispatchId = id();
    const lease = await leaseOf(dispatchId);
    const stranger: Lease = { ...lease, token: 'someone-else' };
    await claims.release(stranger);
    expect(await claims.markFailed(stranger)).toBe(false);
    expect(await claims.claim(dispatchId, 60_000)).toMatchObject({ kind: 'busy' });

    await claims.release(lease);
    const again = await leaseOf(dispatchId);
    expect(again.attempt).toBe(2);
    expect(await claims.markFailed(again)).toBe(true);
    expect(await claims.claim(dispatchId, 60_000)).toEqual({ kind: 'already-done' });
  });

  it("lets a crashed holder's lease lapse: the next claim is a new attempt", async () => {
    const dispatchId = id();
    await leaseOf(dispatchId, 300);
    const next = await eventually(async () => leaseOf(dispatchId), 5000);
    expect(next.attempt).toBe(2);
  });

  it("lets an older version's ownerless claim lapse like a lease", async () => {
    const dispatchId = id();
    await redis.set(`dispatch:{${dispatchId}}`, 'sending', 'EX', 7 * 24 * 60 * 60);
    const claim = await claims.claim(dispatchId, 300);
    expect(claim).toMatchObject({ kind: 'busy' });
    expect((claim as { retryInMs: number }).retryInMs).toBeLessThanOrEqual(300);
    expect((await eventually(async () => leaseOf(dispatchId), 5000)).attempt).toBe(1);
  });

  it('keeps sent final, whoever holds the lease', async () => {
    const dispatchId = id();
    const lease = await leaseOf(dispatchId);
    await claims.markSent(dispatchId);
    expect(await claims.claim(dispatchId, 60_000)).toEqual({ kind: 'already-done' });
    // A holder whose lease had lapsed cannot turn it into failed, nor release it.
    expect(await claims.markFailed(lease)).toBe(false);
    await claims.release(lease);
    expect(await claims.claim(dispatchId, 60_000)).toEqual({ kind: 'already-done' });
  });
});

/** What a send leaves for its receipts, on one server (one MULTI) and on a Redis Cluster (the message ids apart). */
describe.each(['standalone', 'cluster'] as const)('the record of a send, Redis %s', (mode) => {
  let cluster: RedisCluster | undefined;
  let redis: RedisClient;
  let claims: DispatchClaims;

  beforeAll(async () => {
    let urls = serviceUrls().redisUrl;
    if (mode === 'cluster') {
      cluster = await new RedisCluster().start();
      urls = cluster.url;
    }
    const prefix = `t${randomBytes(4).toString('hex')}:`;
    redis = createRedisClient({ urls: urls.split(','), cluster: mode === 'cluster', prefix });
    await redis.connect();
    claims = new DispatchClaims(redis);
    claims.onModuleInit();
  });
  afterAll(async () => {
    await redis?.quit();
    await cluster?.stop();
  });

  it('marks the dispatch sent and resolves it from its record and from each provider message id', async () => {
    const dispatchId = `OTP${randomBytes(16).toString('hex')}-1`;
    const lease = await claims.claim(dispatchId, 60_000);
    expect(lease.kind).toBe('claimed');
    const record: SentRecord = {
      dispatchId,
      requestId: dispatchId.slice(0, -2),
      accountSid: `AC${randomBytes(16).toString('hex')}`,
      parentAccountSid: null,
      channel: 'sms',
      to: '+14155550100',
      provider: 'smpp',
      providerMessageId: `m${randomBytes(6).toString('hex')}`,
      attempt: 1,
      units: 2,
    };
    const second = `m${randomBytes(6).toString('hex')}`;
    await claims.markSentWith(record, [second]);
    expect(await claims.claim(dispatchId, 60_000)).toEqual({ kind: 'already-done' });
    expect(await claims.record(dispatchId)).toEqual(record);
    expect(await claims.dispatchIdOf('smpp', record.providerMessageId)).toBe(dispatchId);
    expect(await claims.dispatchIdOf('smpp', second)).toBe(dispatchId);
    expect(await claims.dispatchIdOf('webhook', second)).toBeNull();
    // Retried as a whole after a failure: the same writes again.
    await claims.markSentWith(record, [second]);
    expect(await claims.dispatchIdOf('smpp', second)).toBe(dispatchId);
  });
});
