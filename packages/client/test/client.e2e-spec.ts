import { checkContract } from '../../../test/support/contract';
import { eventually } from '../../../test/support/eventually';
import { BODY, createAccount, uniqueNumber } from '../../../test/support/otp-helpers';
import { startStack, type Stack } from '../../../test/support/stack';
import { Smart2fa, Smart2faError } from '../src';

/** The client against the real stack, every response also checked against the document. */
describe('@smart2fa/client over HTTP', () => {
  let stack: Stack;
  let client: Smart2fa;
  let options: { baseUrl: string; accountSid: string; authToken: string };

  /** A fetch that checks each response against the OpenAPI document, as the e2e tests' helper does. */
  const checkedFetch: typeof fetch = async (input, init) => {
    const res = await fetch(input, init);
    const text = await res.clone().text();
    checkContract(init?.method ?? 'GET', String(input), {
      status: res.status,
      headers: res.headers,
      body: JSON.parse(text),
    });
    return res;
  };

  beforeAll(async () => {
    stack = await startStack({ env: { DEFAULT_LIMIT_MAX: '1' } });
    const auth = await createAccount(stack);
    options = { baseUrl: stack.url, ...auth };
    client = new Smart2fa({ ...options, fetch: checkedFetch });
  });
  afterAll(() => stack?.stop());

  async function codeFor(to: string, requestId: string): Promise<string> {
    return eventually(async () => {
      const { data } = await client.dev.outbox({ to });
      const entry = data.find((e) => e.requestID === requestId);
      if (!entry) throw new Error('not delivered yet');
      return entry.body.slice(BODY.indexOf('{code}'));
    });
  }

  it('sends, verifies and reads the record back', async () => {
    const to = uniqueNumber();
    const sent = await client.send({ service: 'login', from: '+14155550000', to, body: BODY });
    expect(sent).toEqual({ code: 200, message: 'OK', requestID: expect.stringMatching(/^OTP/) });
    const verified = await client.verify({ requestId: sent.requestID, code: await codeFor(to, sent.requestID) });
    expect(verified.requestID).toBe(sent.requestID);
    const record = await eventually(async () => {
      const { data } = await client.records.get(sent.requestID);
      if (data.status !== 'verified') throw new Error(`still ${data.status}`);
      return data;
    });
    expect(record).toMatchObject({ requestId: sent.requestID, service: 'login', to });
  });

  it('throws typed errors carrying the catalog code and field', async () => {
    const error = await client.verify({ requestId: `OTP${'0'.repeat(32)}`, code: '1' }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(Smart2faError);
    expect(error).toMatchObject({ code: 470, status: 404, message: 'Invalid OTP Unique Id' });
    const invalid = await client.send({ service: 'x', from: 'Acme', to: '+1', body: BODY }).catch((e: unknown) => e);
    expect(invalid).toMatchObject({ code: 400, status: 400, field: 'to' });
  });

  it('manages limits and iterates over every page of a search', async () => {
    const names = Array.from({ length: 5 }, (_, i) => `client-${i}`);
    for (const name of names) {
      await client.limits.create({ name, buckets: [{ name: 'per-minute', max: 2, interval: 60 }] });
    }
    const seen: string[] = [];
    for await (const limit of client.limits.all({ pageSize: 2, name: 'client-' })) seen.push(limit.name);
    expect(seen.sort()).toEqual(names);
    const first = (await client.limits.search({ name: 'client-0' })).data.result[0];
    const updated = await client.limits.update(first.sid, { description: 'two a minute' });
    expect(updated.data.description).toBe('two a minute');
    expect((await client.limits.get(first.sid)).data.name).toBe('client-0');
    await client.limits.delete(first.sid);
    await expect(client.limits.get(first.sid)).rejects.toMatchObject({ code: 493 });
  });

  it('creates a sub-account that can use the client in turn', async () => {
    const { data } = await client.accounts.create({ email: 'team@example.com' });
    const sub = new Smart2fa({ baseUrl: stack.url, accountSid: data.accountSid, authToken: data.authToken });
    const usage = await sub.usage({ granularity: 'month' });
    expect(usage.data).toMatchObject({ granularity: 'month', periods: [] });
  });

  it('manages the fraud guard', async () => {
    expect((await client.fraud.updateSettings({ mode: 'monitor' })).data.mode).toBe('monitor');
    expect((await client.fraud.settings()).data.mode).toBe('monitor');
    const geo = await client.fraud.updateGeoPermission('cu', { sms: 'block' });
    expect(geo.data).toMatchObject({ countryCode: 'CU', sms: 'block' });
    expect((await client.fraud.geoPermissions()).data.map((g) => g.countryCode)).toContain('CU');
    const entry = await client.fraud.addSafeListEntry({ number: '+14155550199', ttl: 3600 });
    expect((await client.fraud.safeList()).data.map((e) => e.id)).toEqual([entry.data.id]);
    await client.fraud.deleteSafeListEntry(entry.data.id);
    expect((await client.fraud.blocks()).data).toEqual([]);
    await expect(client.fraud.unblock(`FB${'0'.repeat(32)}`)).rejects.toMatchObject({ code: 482, status: 404 });
  });

  it('retries after Retry-After only when asked to', async () => {
    await client.limits.create({ name: 'per-second', buckets: [{ name: 'one', max: 1, interval: 1 }] });
    const to = uniqueNumber();
    const send = (c: Smart2fa) =>
      c.send({ service: 'login', from: '+14155550000', to, body: BODY, limits: { 'per-second': to } });
    await send(client);
    expect(client.lastRateLimit).toEqual({ limit: 1, remaining: 0, reset: expect.any(Number) });
    // Without retry: the full bucket is a 454 carrying Retry-After.
    const refused = await send(client).catch((e: unknown) => e);
    expect(refused).toMatchObject({ code: 454, status: 429, retryAfter: expect.any(Number) });
    // Opted in, but the wait is longer than the client accepts: the same error, at once.
    await expect(send(new Smart2fa({ ...options, retry: { maxDelayMs: 0 } }))).rejects.toMatchObject({ code: 454 });
    // Opted in: it waits as long as the API said and the send goes through. The services run
    // on the test's manual clock, so the wait the client sleeps is also passed on to them.
    const waited: number[] = [];
    const clockFollowingFetch: typeof fetch = async (input, init) => {
      const res = await checkedFetch(input, init);
      const retryAfter = res.headers.get('retry-after');
      if (retryAfter !== null) {
        waited.push(Number(retryAfter));
        stack.clock.advance(Number(retryAfter));
      }
      return res;
    };
    const sent = await send(new Smart2fa({ ...options, fetch: clockFollowingFetch, retry: { attempts: 3 } }));
    expect(sent.code).toBe(200);
    expect(waited).toEqual([expect.any(Number)]);
  });
});
