import { gatewayService } from '../../apps/gateway/src/gateway.definition';
import { limiterService } from '../../apps/limiter/src/limiter.definition';
import { type Credentials, http } from '../support/http';
import { createAccount } from '../support/otp-helpers';
import { startStack, type Stack } from '../support/stack';

/**
 * Console sessions (SPEC 11) through the real gateway: sign-in with account SID and token, an
 * HttpOnly SameSite=Strict cookie held in Redis, CSRF on mutating requests, idle and absolute
 * expiry, throttled failures, revoking sign-out; HTTP Basic unchanged beside it.
 */
describe('console sessions', () => {
  const IDLE = 600;
  const ABSOLUTE = 1800;
  const MAX_FAILURES = 3;
  let stack: Stack;
  let account: Credentials;

  interface SignedIn {
    cookie: string;
    csrfToken: string;
    setCookie: string;
  }

  const signIn = async (credentials: Credentials, headers: Record<string, string> = {}): Promise<SignedIn> => {
    const res = await http<{ data: { csrfToken: string } }>(stack.url, 'POST', '/2fa/session', {
      body: credentials,
      headers,
    });
    expect(res.status).toBe(200);
    const setCookie = res.headers.get('set-cookie') as string;
    return { cookie: setCookie.split(';')[0], csrfToken: res.body.data.csrfToken, setCookie };
  };
  const withCookie = (session: SignedIn, extra: Record<string, string> = {}) => ({ cookie: session.cookie, ...extra });
  const limitBody = (name: string) => ({ name, buckets: [{ name: 'b', max: 3, interval: 60 }] });

  beforeAll(async () => {
    stack = await startStack({
      services: [gatewayService, limiterService],
      env: {
        SESSION_IDLE_TIMEOUT_S: String(IDLE),
        SESSION_ABSOLUTE_TIMEOUT_S: String(ABSOLUTE),
        SIGNIN_MAX_FAILURES: String(MAX_FAILURES),
      },
    });
    account = await createAccount(stack);
  });
  afterAll(() => stack?.stop());

  it('signs in with account SID and auth token: an HttpOnly, SameSite=Strict cookie and a CSRF token', async () => {
    const res = await http<{ data: Record<string, unknown> }>(stack.url, 'POST', '/2fa/session', { body: account });
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({
      code: 200,
      data: {
        accountSid: account.accountSid,
        parentAccountSid: null,
        csrfToken: expect.stringMatching(/^[A-Za-z0-9_-]{43}$/),
        features: { devOutbox: true },
      },
    });
    const setCookie = res.headers.get('set-cookie') as string;
    expect(setCookie).toMatch(/^smart2fa_session=[A-Za-z0-9_-]{43}; /);
    expect(setCookie).toContain('HttpOnly');
    expect(setCookie).toContain('SameSite=Strict');
    expect(setCookie).toContain('Path=/');
    // Plain HTTP: a Secure cookie would never come back.
    expect(setCookie).not.toContain('Secure');
    // The token is in no header or body of the answer.
    expect(JSON.stringify(res.body)).not.toContain(account.authToken);

    const cookie = setCookie.split(';')[0];
    const me = await http(stack.url, 'GET', '/2fa/session', { headers: { cookie } });
    expect(me).toMatchObject({ status: 200, body: { data: { accountSid: account.accountSid } } });
    const search = await http(stack.url, 'GET', '/2fa/limits/search', { headers: { cookie } });
    expect(search).toMatchObject({ status: 200, body: { code: 200, data: { total: 0 } } });
  });

  it('refuses wrong credentials and bodies that are not JSON (no sign-in by a cross-site form)', async () => {
    expect(
      await http(stack.url, 'POST', '/2fa/session', { body: { ...account, authToken: 'f'.repeat(64) } }),
    ).toMatchObject({ status: 401, body: { code: 401 } });
    const other = await createAccount(stack);
    const form = await http(stack.url, 'POST', '/2fa/session', {
      rawBody: `accountSid=${other.accountSid}&authToken=${other.authToken}`,
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
    });
    expect(form).toMatchObject({ status: 400, body: { code: 400, field: 'accountSid' } });
    expect(form.headers.get('set-cookie')).toBeNull();
  });

  it('HTTP Basic works unchanged beside sessions, and needs no CSRF token', async () => {
    const res = await http(stack.url, 'POST', '/2fa/limits', { auth: account, body: limitBody('basic-only') });
    expect(res).toMatchObject({ status: 200, body: { code: 200 } });
    const anonymous = await http(stack.url, 'GET', '/2fa/limits/search');
    expect(anonymous.status).toBe(401);
    expect(anonymous.headers.get('www-authenticate')).toBe('Basic realm="smart2fa"');
    // The console's own requests get no Basic challenge (the browser would show its dialog).
    const fromConsole = await http(stack.url, 'GET', '/2fa/limits/search', {
      headers: { 'x-requested-with': 'fetch' },
    });
    expect(fromConsole.status).toBe(401);
    expect(fromConsole.headers.get('www-authenticate')).toBeNull();
    // A session cookie a Basic caller happens to send does not change whom it acts as.
    const session = await signIn(await createAccount(stack));
    const both = await http<{ data: { result: { name: string }[] } }>(stack.url, 'GET', '/2fa/limits/search', {
      auth: account,
      headers: withCookie(session),
    });
    expect(both.body.data.result.map((l) => l.name)).toEqual(['basic-only']);
  });

  it('a mutating request with the cookie needs the CSRF token: a cross-site POST without it is refused', async () => {
    const session = await signIn(await createAccount(stack));
    const crossSite = await http(stack.url, 'POST', '/2fa/limits', {
      body: limitBody('from-evil'),
      headers: withCookie(session, { origin: 'https://evil.example', 'sec-fetch-site': 'cross-site' }),
    });
    expect(crossSite).toMatchObject({ status: 403, body: { code: 487, message: 'CSRF token missing or invalid' } });
    const wrong = await http(stack.url, 'POST', '/2fa/limits', {
      body: limitBody('wrong-token'),
      headers: withCookie(session, { 'x-csrf-token': 'x'.repeat(43) }),
    });
    expect(wrong).toMatchObject({ status: 403, body: { code: 487 } });
    // Nothing was created by either.
    const list = await http<{ data: { total: number } }>(stack.url, 'GET', '/2fa/limits/search', {
      headers: withCookie(session),
    });
    expect(list.body.data.total).toBe(0);
    const right = await http(stack.url, 'POST', '/2fa/limits', {
      body: limitBody('from-console'),
      headers: withCookie(session, { 'x-csrf-token': session.csrfToken }),
    });
    expect(right).toMatchObject({ status: 200, body: { code: 200, data: { name: 'from-console' } } });
    // Another session's token does not fit this one.
    const other = await signIn(await createAccount(stack));
    const swapped = await http(stack.url, 'POST', '/2fa/limits', {
      body: limitBody('swapped'),
      headers: withCookie(session, { 'x-csrf-token': other.csrfToken }),
    });
    expect(swapped.body).toMatchObject({ code: 487 });
  });

  it('sign-out revokes the session: the same cookie is useless afterwards', async () => {
    const session = await signIn(account);
    const withoutToken = await http(stack.url, 'DELETE', '/2fa/session', { headers: withCookie(session) });
    expect(withoutToken.body).toMatchObject({ code: 487 });
    const out = await http(stack.url, 'DELETE', '/2fa/session', {
      headers: withCookie(session, { 'x-csrf-token': session.csrfToken }),
    });
    expect(out).toMatchObject({ status: 200, body: { code: 200 } });
    expect(out.headers.get('set-cookie')).toMatch(/^smart2fa_session=; .*Max-Age=0/);
    for (const path of ['/2fa/session', '/2fa/limits/search']) {
      expect(await http(stack.url, 'GET', path, { headers: withCookie(session) })).toMatchObject({
        status: 401,
        body: { code: 401 },
      });
    }
    // Basic callers have no session to show or end.
    expect((await http(stack.url, 'GET', '/2fa/session', { auth: account })).status).toBe(401);
  });

  it('a session ends after the idle time, and at the absolute time however busy', async () => {
    const idle = await signIn(account);
    stack.clock.advance(IDLE - 5);
    expect((await http(stack.url, 'GET', '/2fa/session', { headers: withCookie(idle) })).status).toBe(200);
    // Each use moves the idle deadline on.
    stack.clock.advance(IDLE - 5);
    expect((await http(stack.url, 'GET', '/2fa/session', { headers: withCookie(idle) })).status).toBe(200);
    stack.clock.advance(IDLE + 1);
    expect((await http(stack.url, 'GET', '/2fa/session', { headers: withCookie(idle) })).status).toBe(401);

    const busy = await signIn(account);
    for (let used = 0; used + IDLE / 2 < ABSOLUTE; used += IDLE / 2) {
      stack.clock.advance(IDLE / 2);
      expect((await http(stack.url, 'GET', '/2fa/session', { headers: withCookie(busy) })).status).toBe(200);
    }
    stack.clock.advance(IDLE / 2);
    expect((await http(stack.url, 'GET', '/2fa/session', { headers: withCookie(busy) })).status).toBe(401);
  });

  it('throttles failed sign-ins per account SID, right token or not; Basic is not locked out', async () => {
    const victim = await createAccount(stack);
    for (let i = 0; i < MAX_FAILURES; i++) {
      const res = await http(stack.url, 'POST', '/2fa/session', { body: { ...victim, authToken: `wrong${i}` } });
      expect(res.status).toBe(401);
    }
    const locked = await http(stack.url, 'POST', '/2fa/session', { body: victim });
    expect(locked).toMatchObject({ status: 429, body: { code: 486, message: 'Too many failed sign-ins' } });
    expect(Number(locked.headers.get('retry-after'))).toBeGreaterThan(0);
    expect(locked.headers.get('set-cookie')).toBeNull();
    expect((await http(stack.url, 'GET', '/2fa/limits/search', { auth: victim })).status).toBe(200);
    // Another account from the same address still signs in (the address allows more failures).
    await signIn(await createAccount(stack));
  });

  it('lists the sub-accounts of the caller, never their tokens', async () => {
    const parent = await createAccount(stack);
    const sub = await createAccount(stack, parent);
    const res = await http<{ data: Record<string, unknown>[] }>(stack.url, 'GET', '/2fa/accounts', { auth: parent });
    expect(res).toMatchObject({
      status: 200,
      body: { code: 200, data: [{ accountSid: sub.accountSid, parentAccountSid: parent.accountSid }] },
    });
    expect(res.body.data[0]).not.toHaveProperty('authToken');
    expect(JSON.stringify(res.body)).not.toContain(sub.authToken);
    expect((await http<{ data: unknown[] }>(stack.url, 'GET', '/2fa/accounts', { auth: sub })).body.data).toEqual([]);
  });

  it('marks the cookie Secure (with the __Host- prefix) behind HTTPS, or when configured', async () => {
    const behindProxy = await signIn(account, { 'x-forwarded-proto': 'https' });
    expect(behindProxy.setCookie).toMatch(/^__Host-smart2fa_session=[A-Za-z0-9_-]{43}; /);
    expect(behindProxy.setCookie).toContain('Secure');
    expect((await http(stack.url, 'GET', '/2fa/session', { headers: { cookie: behindProxy.cookie } })).status).toBe(
      200,
    );
    const forced = await stack.startService(gatewayService, { SESSION_COOKIE_SECURE: 'true' });
    const port = (forced.getHttpServer().address() as { port: number }).port;
    const res = await http(`http://127.0.0.1:${port}`, 'POST', '/2fa/session', { body: account });
    expect(res.headers.get('set-cookie')).toMatch(/^__Host-smart2fa_session=.*; Secure$/);
  });
});
