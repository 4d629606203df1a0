import { DispatchClaims, type Lease } from '@app/dispatch';
import { Redis } from 'ioredis';
import { randomBytes } from 'node:crypto';
import { eventually } from '../support/eventually';
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
