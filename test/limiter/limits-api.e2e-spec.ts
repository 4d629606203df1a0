import { newId, withPrefix } from '@app/contracts';
import { decodeJson, encodeJson } from '@app/platform';
import { type Credentials, http } from '../support/http';
import { createAccount } from '../support/otp-helpers';
import { startStack, type Stack } from '../support/stack';

type Body = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

const SEED_BUCKETS =
  '[{ "name":"bucket1", "max":"1", "interval":"30"},{ "name":"bucket2", "max":"2", "interval":"300"}]';
const TIMESTAMP = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}\+0000$/;

describe('limits API (SPEC 3.4, seed 001)', () => {
  let stack: Stack;
  let jane: Credentials;
  let sub: Credentials;
  let sibling: Credentials;
  let stranger: Credentials;

  beforeAll(async () => {
    stack = await startStack();
    jane = await createAccount(stack);
    sub = await createAccount(stack, jane);
    sibling = await createAccount(stack, jane);
    stranger = await createAccount(stack);
  });
  afterAll(() => stack?.stop());

  const call = (method: string, path: string, auth: Credentials, body?: unknown) =>
    http<Body>(stack.url, method, path, { auth, body });
  const create = (auth: Credentials, body: Body) => call('POST', '/2fa/limits', auth, body);

  it('creates a limit as in the seed, buckets given as a JSON string of strings', async () => {
    const res = await create(jane, {
      name: 'limit_on_phonenumber',
      buckets: SEED_BUCKETS,
      description: 'limit on Phone Number',
    });
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ code: 200, message: 'OK' });
    const data = res.body.data;
    expect(data).toEqual({
      sid: expect.stringMatching(/^LM[0-9a-f]{32}$/),
      name: 'limit_on_phonenumber',
      buckets: '[{"name":"bucket1","max":"1","interval":"30"},{"name":"bucket2","max":"2","interval":"300"}]',
      description: 'limit on Phone Number',
      accountSid: jane.accountSid,
      accountEmail: expect.stringContaining('@example.com'),
      targetAccountSid: jane.accountSid,
      targetAccountEmail: expect.stringContaining('@example.com'),
      uri: `/2fa/limits/search/${data.sid}`,
      dateCreated: expect.stringMatching(TIMESTAMP),
      dateUpdated: data.dateCreated,
    });
  });

  it('accepts buckets as an array with numbers, and as an array with numeric strings', async () => {
    const numbers = await create(jane, {
      name: 'array_numbers',
      buckets: [{ name: 'Min bucket', max: 1, interval: 10 }],
    });
    expect(numbers.status).toBe(200);
    expect(JSON.parse(numbers.body.data.buckets)).toEqual([{ name: 'Min bucket', max: '1', interval: '10' }]);
    const strings = await create(jane, {
      name: 'array_strings',
      buckets: [
        { name: 'Min bucket', max: '1', interval: '10' },
        { name: 'Max bucket', max: '10', interval: '86400' },
      ],
    });
    expect(strings.status).toBe(200);
    expect(strings.body.data.description).toBeNull();
  });

  it('refuses a name the account already has with 492, but another account may use it', async () => {
    await create(jane, { name: 'dup', buckets: SEED_BUCKETS });
    const again = await create(jane, { name: 'dup', buckets: SEED_BUCKETS });
    expect(again.status).toBe(409);
    expect(again.body).toEqual({ code: 492, message: 'Limit with that Name already exists', requestID: null });
    expect((await create(stranger, { name: 'dup', buckets: SEED_BUCKETS })).status).toBe(200);
  });

  it.each([
    [{ buckets: SEED_BUCKETS }, 'name'],
    [{ name: 'x' }, 'buckets'],
    [{ name: 'x', buckets: [] }, 'buckets'],
    [{ name: 'x', buckets: '[{"name":' }, 'buckets'],
    [{ name: 'x', buckets: Array.from({ length: 11 }, (_, i) => ({ name: `b${i}`, max: 1, interval: 1 })) }, 'buckets'],
    [{ name: 'x', buckets: [{ name: 'b', max: 0, interval: 10 }] }, 'buckets.0.max'],
    [{ name: 'x', buckets: [{ name: 'b', max: '1.5', interval: 10 }] }, 'buckets.0.max'],
    [{ name: 'x', buckets: [{ name: 'b', max: 1, interval: 31_536_001 }] }, 'buckets.0.interval'],
    [{ name: 'x', buckets: [{ name: 'b', max: 1 }] }, 'buckets.0.interval'],
    [
      {
        name: 'x',
        buckets: [
          { name: 'b', max: 1, interval: 5 },
          { name: 'b', max: 2, interval: 50 },
        ],
      },
      'buckets.1.name',
    ],
    [{ name: 'x', buckets: ['b'] }, 'buckets.0'],
    [{ name: 'x', buckets: SEED_BUCKETS, description: 42 }, 'description'],
    [{ name: 'y'.repeat(65), buckets: SEED_BUCKETS }, 'name'],
  ])('answers bad input %j with 400 naming %s', async (body, field) => {
    const res = await create(jane, body);
    expect(res.status).toBe(400);
    expect(res.body).toMatchObject({ code: 400, field, message: expect.stringMatching(/^Invalid request: /) });
  });

  it('updates buckets and description as in the seed; the name never changes', async () => {
    const created = (await create(jane, { name: 'to_update', buckets: [{ name: 'b', max: 1, interval: 10 }] })).body
      .data;
    stack.clock.advance(5);
    const res = await call('PUT', `/2fa/limits/${created.sid}`, jane, {
      buckets: '[{"name":"bucket1", "max":"1", "interval":"30"},{"name":"bucket2", "max":"2", "interval":"300"}]',
      description: 'limit on Phone Number of receiver blabla',
    });
    expect(res.status).toBe(200);
    expect(res.body.data).toMatchObject({
      sid: created.sid,
      name: 'to_update',
      buckets: '[{"name":"bucket1","max":"1","interval":"30"},{"name":"bucket2","max":"2","interval":"300"}]',
      description: 'limit on Phone Number of receiver blabla',
      dateCreated: created.dateCreated,
    });
    expect(res.body.data.dateUpdated > created.dateUpdated).toBe(true);
    // Only the description: the buckets stay.
    const described = await call('PUT', `/2fa/limits/${created.sid}`, jane, { description: 'again' });
    expect(described.body.data).toMatchObject({ description: 'again', buckets: res.body.data.buckets });
    const renamed = await call('PUT', `/2fa/limits/${created.sid}`, jane, { name: 'other' });
    expect(renamed.status).toBe(400);
    expect(renamed.body).toMatchObject({ code: 400, field: 'name' });
    expect((await call('PUT', `/2fa/limits/${created.sid}`, jane, { buckets: [] })).body).toMatchObject({
      code: 400,
      field: 'buckets',
    });
  });

  it('gets and deletes one limit, then answers 493 for it', async () => {
    const created = (await create(jane, { name: 'to_delete', buckets: SEED_BUCKETS })).body.data;
    const got = await call('GET', `/2fa/limits/search/${created.sid}`, jane);
    expect(got.status).toBe(200);
    expect(got.body.data).toEqual(created);
    const deleted = await call('DELETE', `/2fa/limits/${created.sid}`, jane);
    expect(deleted.status).toBe(200);
    expect(deleted.body).toEqual({ code: 200, message: 'OK', data: created });
    for (const [method, path, body] of [
      ['GET', `/2fa/limits/search/${created.sid}`],
      ['PUT', `/2fa/limits/${created.sid}`, { description: 'x' }],
      ['DELETE', `/2fa/limits/${created.sid}`],
    ] as const) {
      const res = await call(method, path, jane, body);
      expect(res.status).toBe(409);
      expect(res.body).toEqual({ code: 493, message: 'Invalid Limit Id', requestID: null });
    }
    // A malformed sid is a 400 naming it.
    expect((await call('GET', '/2fa/limits/search/LMnothex', jane)).body).toMatchObject({ code: 400, field: 'sid' });
  });

  it('keeps limits between accounts: a parent manages its sub-accounts\u2019 limits, nobody else sees them', async () => {
    const forSub = await create(jane, { name: 'sub_limit', buckets: SEED_BUCKETS, accountSid: sub.accountSid });
    expect(forSub.status).toBe(200);
    expect(forSub.body.data).toMatchObject({ accountSid: jane.accountSid, targetAccountSid: sub.accountSid });
    const sid = forSub.body.data.sid;
    expect((await call('GET', `/2fa/limits/search/${sid}`, sub)).status).toBe(200);
    expect((await call('GET', `/2fa/limits/search/${sid}`, jane)).status).toBe(200);
    // A sibling or a stranger learns nothing: the same 493 as for no such limit.
    for (const other of [sibling, stranger]) {
      expect((await call('GET', `/2fa/limits/search/${sid}`, other)).body).toMatchObject({ code: 493 });
      expect((await call('PUT', `/2fa/limits/${sid}`, other, { description: 'x' })).body).toMatchObject({ code: 493 });
      expect((await call('DELETE', `/2fa/limits/${sid}`, other)).body).toMatchObject({ code: 493 });
    }
    // Acting for someone else's sub-account is forbidden.
    const forbidden = await create(stranger, { name: 'x', buckets: SEED_BUCKETS, accountSid: sub.accountSid });
    expect(forbidden.status).toBe(403);
    expect(forbidden.body).toMatchObject({ code: 403 });
  });

  describe('search', () => {
    let owner: Credentials;
    let ownerSub: Credentials;
    const names = ['limit_on_phone', 'limit_on_ip', 'Limit_On_Session', 'test', 'otp_daily', 'otp_hourly', 'other'];

    beforeAll(async () => {
      owner = await createAccount(stack);
      ownerSub = await createAccount(stack, owner);
      for (const name of names) {
        stack.clock.advance(60);
        expect((await create(owner, { name, buckets: SEED_BUCKETS })).status).toBe(200);
      }
      stack.clock.advance(60);
      await create(owner, { name: 'sub_only', buckets: SEED_BUCKETS, accountSid: ownerSub.accountSid });
    });

    const search = (query: string, auth = owner) => call('GET', `/2fa/limits/search${query}`, auth);

    it('pages as in the seed: pageSize=2&page=0', async () => {
      const res = await search('?pageSize=2&page=0');
      expect(res.status).toBe(200);
      expect(res.body).toMatchObject({ code: 200, message: 'OK' });
      const { result, ...envelope } = res.body.data;
      expect(result.map((l: Body) => l.name)).toEqual(['limit_on_phone', 'limit_on_ip']);
      expect(envelope).toEqual({
        pageSize: 2,
        total: 7,
        page: 0,
        numPages: 4,
        start: 0,
        end: 1,
        firstPageUri: '/2fa/limits/search?pageSize=2&page=0',
        nextPageUri: '/2fa/limits/search?pageSize=2&page=1',
        uri: '/2fa/limits/search?pageSize=2&page=0',
      });
      const last = await search('?pageSize=2&Page=3');
      expect(last.body.data).toMatchObject({ page: 3, start: 6, end: 6, nextPageUri: null });
      expect(last.body.data.result.map((l: Body) => l.name)).toEqual(['other']);
    });

    it('defaults to page 0 of 10, and filters by partial name regardless of case', async () => {
      expect((await search('')).body.data).toMatchObject({ page: 0, pageSize: 10, total: 7 });
      const byName = await search('?name=ON_');
      expect(byName.body.data.result.map((l: Body) => l.name).sort()).toEqual([
        'Limit_On_Session',
        'limit_on_ip',
        'limit_on_phone',
      ]);
      // LIKE wildcards in the filter are taken literally.
      expect((await search('?name=%25')).body.data.total).toBe(0);
    });

    it('sorts by name or dateCreated, either way', async () => {
      const byNameDesc = await search('?SortBy=name:desc&pageSize=3');
      expect(byNameDesc.body.data.result.map((l: Body) => l.name)).toEqual(['test', 'otp_hourly', 'otp_daily']);
      const newest = await search('?SortBy=dateCreated:desc&pageSize=1');
      expect(newest.body.data.result[0].name).toBe('other');
    });

    it('filters by creation time, inclusive, a bare date meaning midnight UTC', async () => {
      const all = (await search('?pageSize=100')).body.data.result as Body[];
      const third = all[2].dateCreated as string;
      const fifth = all[4].dateCreated as string;
      const iso = (t: string) => t.replace('+0000', 'Z');
      const window = await search(
        `?startTime=${encodeURIComponent(iso(third))}&endTime=${encodeURIComponent(iso(fifth))}`,
      );
      expect(window.body.data.result.map((l: Body) => l.name)).toEqual([all[2].name, all[3].name, all[4].name]);
      const day = third.slice(0, 10);
      const tomorrow = new Date(Date.parse(`${day}T00:00:00Z`) + 86_400_000).toISOString().slice(0, 10);
      expect((await search(`?startTime=${tomorrow}T23:59:59&pageSize=100`)).body.data.total).toBeLessThan(7);
      expect((await search(`?endTime=2000-01-01`)).body.data.total).toBe(0);
    });

    it('includes sub-accounts on request, or one named sub-account, and nobody else\u2019s', async () => {
      expect((await search('?subAccounts=true&pageSize=100')).body.data.total).toBe(8);
      const onlySub = await search(`?accountSid=${ownerSub.accountSid}`);
      expect(onlySub.body.data.result.map((l: Body) => l.name)).toEqual(['sub_only']);
      expect((await search('', ownerSub)).body.data.total).toBe(1);
      expect((await search(`?accountSid=${ownerSub.accountSid}`, stranger)).status).toBe(403);
      expect((await search('?pageSize=100', stranger)).body.data.result.some((l: Body) => names.includes(l.name))).toBe(
        false,
      );
    });

    it.each([
      ['?page=-1', 'page'],
      ['?pageSize=0', 'pageSize'],
      ['?pageSize=1001', 'pageSize'],
      ['?pageSize=ten', 'pageSize'],
      ['?SortBy=email', 'SortBy'],
      ['?startTime=yesterday', 'startTime'],
      ['?subAccounts=maybe', 'subAccounts'],
      ['?page=1&page=2', 'page'],
    ])('answers %s with 400 naming %s', async (query, field) => {
      const res = await search(query);
      expect(res.status).toBe(400);
      expect(res.body).toMatchObject({ code: 400, field });
    });
  });

  it('serves the same commands over NATS, validated on receipt', async () => {
    const request = async (subject: string, payload: unknown) =>
      decodeJson(
        (await stack.nc.request(withPrefix(stack.config.nats.prefix, subject), encodeJson(payload), { timeout: 5000 }))
          .data,
      ) as Body;
    const accountSid = newId('account');
    const created = await request('limiter.v1.create', {
      accountSid,
      name: 'from_nats',
      buckets: [{ name: 'b', max: 3, interval: 60 }],
    });
    expect(created).toMatchObject({ code: 200, data: { name: 'from_nats', targetAccountSid: accountSid, accountSid } });
    const found = await request('limiter.v1.search', { accountSids: [accountSid] });
    expect(found.data).toMatchObject({ total: 1, result: [{ sid: created.data.sid }] });
    expect(await request('limiter.v1.get', { accountSids: [newId('account')], sid: created.data.sid })).toMatchObject({
      code: 493,
    });
    expect(await request('limiter.v1.create', { accountSid, name: 'bad', buckets: 'nope' })).toMatchObject({
      code: 400,
      field: 'buckets',
    });
    expect(await request('limiter.v1.search', { accountSids: [] })).toMatchObject({ code: 400, field: 'accountSids' });
  });
});
