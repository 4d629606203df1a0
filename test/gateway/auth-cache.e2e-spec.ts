import { createHash, randomBytes } from 'node:crypto';
import { Client } from 'pg';
import { ACCOUNT_CHANGED_SUBJECT, AuthCache } from '../../apps/gateway/src/auth/auth-cache';
import { gatewayService } from '../../apps/gateway/src/gateway.definition';
import { limiterService } from '../../apps/limiter/src/limiter.definition';
import { http } from '../support/http';
import { createAccount } from '../support/otp-helpers';
import { startStack, type Stack } from '../support/stack';

/**
 * The gateway takes an authenticated account on trust for a few seconds (one database query
 * per account and TTL, not per request), but a token change or a deleted account, announced on
 * ACCOUNT_CHANGED_SUBJECT, is forgotten at once.
 */
describe('authenticated accounts cache', () => {
  let stack: Stack;
  beforeAll(async () => {
    stack = await startStack({ services: [gatewayService, limiterService] });
  });
  afterAll(async () => stack?.stop());

  const search = (auth: { accountSid: string; authToken: string }) =>
    http(stack.url, 'GET', '/2fa/limits/search', { auth });

  it('keeps a changed token working only until the change is announced, then at once not', async () => {
    const auth = await createAccount(stack);
    expect((await search(auth)).status).toBe(200);
    // The token changes in the database behind the cache's back.
    const newToken = randomBytes(32).toString('hex');
    const db = new Client({ connectionString: stack.env.DATABASE_URL });
    await db.connect();
    try {
      await db.query(`UPDATE gateway.accounts SET token_hash = $2 WHERE sid = $1`, [
        auth.accountSid,
        createHash('sha256').update(newToken).digest('hex'),
      ]);
    } finally {
      await db.end();
    }
    expect((await search(auth)).status).toBe(200); // cached
    // Announced by whoever changed it (here: another replica's AuthCache.invalidate).
    stack.nc.publish(`${stack.env.NATS_PREFIX}.${ACCOUNT_CHANGED_SUBJECT}`, JSON.stringify({ sid: auth.accountSid }));
    await stack.nc.flush();
    await new Promise((r) => setTimeout(r, 200));
    expect((await search(auth)).status).toBe(401);
    expect((await search({ ...auth, authToken: newToken })).status).toBe(200);
  });

  it('never answers from the cache for a wrong token, and invalidate() forgets locally too', async () => {
    const auth = await createAccount(stack);
    expect((await search(auth)).status).toBe(200);
    expect((await search({ ...auth, authToken: 'wrong' })).status).toBe(401);
    const cache = stack.app.get(AuthCache, { strict: false });
    expect(cache.get(auth.accountSid, auth.authToken)?.sid).toBe(auth.accountSid);
    cache.invalidate(auth.accountSid);
    expect(cache.get(auth.accountSid, auth.authToken)).toBeUndefined();
  });
});
