import { createHash } from 'node:crypto';
import { Writable } from 'node:stream';
import { Client } from 'pg';
import { http, type Credentials } from '../support/http';
import { createAccount, readCode, sendBody, sendOtp, uniqueNumber } from '../support/otp-helpers';
import { startStack, type Stack } from '../support/stack';

describe('accounts, sub-accounts and isolation', () => {
  let stack: Stack;
  let parent: Credentials;
  let sub: Credentials;
  let sibling: Credentials;
  let stranger: Credentials;

  const createSub = async (owner: Credentials) => {
    const res = await http<{ data: { accountSid: string; authToken: string } }>(stack.url, 'POST', '/2fa/accounts', {
      auth: owner,
      body: { email: 'team@example.com', friendlyName: 'Team' },
    });
    expect(res.status).toBe(200);
    return { accountSid: res.body.data.accountSid, authToken: res.body.data.authToken };
  };

  beforeAll(async () => {
    stack = await startStack({ env: { DEFAULT_LIMIT_MAX: '1000' } });
    parent = await createAccount(stack);
    stranger = await createAccount(stack);
    sub = await createSub(parent);
    sibling = await createSub(parent);
  });
  afterAll(() => stack?.stop());

  it('creates sub-accounts over HTTP with a token shown once, and only one level deep', async () => {
    const res = await http(stack.url, 'POST', '/2fa/accounts', { auth: parent, body: { email: 'ops@example.com' } });
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({
      code: 200,
      message: 'OK',
      data: {
        accountSid: expect.stringMatching(/^AC[0-9a-f]{32}$/),
        authToken: expect.stringMatching(/^[0-9a-f]{64}$/),
        parentAccountSid: parent.accountSid,
      },
    });
    expect(
      await http(stack.url, 'POST', '/2fa/accounts', { auth: sub, body: { email: 'x@example.com' } }),
    ).toMatchObject({ status: 403, body: { code: 403 } });
    expect(
      await http(stack.url, 'POST', '/2fa/accounts', { auth: parent, body: { email: 'not-an-email' } }),
    ).toMatchObject({ status: 400, body: { field: 'email' } });
  });

  it('stores tokens only as their SHA-256', async () => {
    const db = new Client({ connectionString: stack.env.DATABASE_URL });
    await db.connect();
    try {
      const { rows } = await db.query('SELECT token_hash FROM gateway.accounts WHERE sid = $1', [parent.accountSid]);
      expect(rows[0].token_hash).toBe(createHash('sha256').update(parent.authToken).digest('hex'));
      const leaked = await db.query('SELECT count(*)::int AS n FROM gateway.accounts WHERE token_hash = $1', [
        parent.authToken,
      ]);
      expect(leaked.rows[0].n).toBe(0);
    } finally {
      await db.end();
    }
  });

  it('a parent acts for its sub-account; the request belongs to the sub-account', async () => {
    const to = uniqueNumber();
    const requestId = await sendOtp(stack, parent, to, { accountSid: sub.accountSid });
    // The sub-account reads and verifies it with its own credentials.
    const code = await readCode(stack, sub, to, requestId);
    expect((await http(stack.url, 'POST', '/2fa/verify', { auth: sub, body: { requestId, code } })).body).toMatchObject(
      { code: 200 },
    );
  });

  it('a parent sees and acts on what its sub-account created', async () => {
    const to = uniqueNumber();
    const requestId = await sendOtp(stack, sub, to);
    const code = await readCode(stack, parent, to, requestId);
    expect(
      (await http(stack.url, 'POST', '/2fa/verify', { auth: parent, body: { requestId, code } })).body,
    ).toMatchObject({ code: 200 });
    const other = await sendOtp(stack, sub, uniqueNumber());
    expect(
      (
        await http(stack.url, 'POST', '/2fa/cancel', {
          auth: parent,
          body: { requestId: other, accountSid: sub.accountSid },
        })
      ).body,
    ).toMatchObject({ code: 200 });
  });

  it('a stranger or a sibling learns nothing: the same 470/490 as for no such id, 403 for accountSid', async () => {
    const to = uniqueNumber();
    const requestId = await sendOtp(stack, sub, to);
    const code = await readCode(stack, sub, to, requestId);
    for (const other of [stranger, sibling]) {
      expect(await http(stack.url, 'POST', '/2fa/verify', { auth: other, body: { requestId, code } })).toMatchObject({
        status: 404,
        body: { code: 470 },
      });
      expect(
        await http(stack.url, 'POST', '/2fa/verify', { auth: other, body: { service: '2FA', number: to, code } }),
      ).toMatchObject({ status: 404, body: { code: 470 } });
      expect(await http(stack.url, 'POST', '/2fa/cancel', { auth: other, body: { requestId } })).toMatchObject({
        status: 404,
        body: { code: 490 },
      });
      expect(
        await http(stack.url, 'POST', '/2fa/send', {
          auth: other,
          body: sendBody(uniqueNumber(), { accountSid: sub.accountSid }),
        }),
      ).toMatchObject({ status: 403, body: { code: 403, message: 'Forbidden' } });
      const outbox = await http<{ data: unknown[] }>(stack.url, 'GET', `/2fa/dev/outbox?to=${encodeURIComponent(to)}`, {
        auth: other,
      });
      expect(outbox.status).toBe(200);
      expect(outbox.body.data).toEqual([]);
    }
    // A sub-account cannot act for its parent either.
    expect(
      await http(stack.url, 'POST', '/2fa/send', {
        auth: sub,
        body: sendBody(uniqueNumber(), { accountSid: parent.accountSid }),
      }),
    ).toMatchObject({ status: 403 });
    // And the request was untouched by all that: it still verifies.
    expect((await http(stack.url, 'POST', '/2fa/verify', { auth: sub, body: { requestId, code } })).body).toMatchObject(
      { code: 200 },
    );
  });

  it("a sub-account does not see its parent's requests", async () => {
    const to = uniqueNumber();
    const requestId = await sendOtp(stack, parent, to);
    expect(await http(stack.url, 'POST', '/2fa/cancel', { auth: sub, body: { requestId } })).toMatchObject({
      status: 404,
      body: { code: 490 },
    });
  });
});

describe('npm run accounts -- create', () => {
  it('prints exactly one JSON line with the sid and a token that authenticates', async () => {
    const stack = await startStack();
    try {
      const { runAccountsCli } = await import('../../apps/gateway/src/cli/accounts.cli');
      let stdout = '';
      let stderr = '';
      const out = new Writable({ write: (chunk, _e, cb) => ((stdout += chunk), cb()) });
      const err = new Writable({ write: (chunk, _e, cb) => ((stderr += chunk), cb()) });
      const env = { ...stack.env };
      expect(await runAccountsCli(['create', '--email', 'jane@company.com'], env, out, err)).toBe(0);
      const lines = stdout.split('\n').filter(Boolean);
      expect(lines).toHaveLength(1);
      const created = JSON.parse(lines[0]);
      expect(Object.keys(created).sort()).toEqual(['accountSid', 'authToken']);
      const res = await http(stack.url, 'POST', '/2fa/send', { auth: created, body: sendBody(uniqueNumber()) });
      expect(res.status).toBe(200);

      stdout = '';
      expect(
        await runAccountsCli(['create', '--email', 'alice@company.com', '--parent', created.accountSid], env, out, err),
      ).toBe(0);
      const child = JSON.parse(stdout.trim());
      const acting = await http(stack.url, 'POST', '/2fa/send', {
        auth: created,
        body: sendBody(uniqueNumber(), { accountSid: child.accountSid }),
      });
      expect(acting.status).toBe(200);

      stdout = '';
      expect(await runAccountsCli(['create'], env, out, err)).toBe(2);
      expect(stdout).toBe('');
      expect(stderr).toContain('usage');
    } finally {
      await stack.stop();
    }
  });
});
