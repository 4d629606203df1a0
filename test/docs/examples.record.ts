import { spawnSync } from 'node:child_process';
import { randomInt } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { OperationExamples } from '../../apps/gateway/src/docs/examples';
import { eventually } from '../support/eventually';
import { type Credentials, http, type HttpResult } from '../support/http';
import { createAccount, readCode, sendBody, uniqueNumber, wrongCode } from '../support/otp-helpers';
import { startStack, type Stack } from '../support/stack';

/**
 * `npm run docs:examples`: not a test, a recording. It runs the real stack, calls every route a
 * new user would, and writes what was sent and answered, per operationId, into
 * apps/gateway/src/docs/examples.json, which the OpenAPI document shows as its examples (the
 * first success of each operation with its request, and the first answer of each error status).
 * Every call goes through the contract-checked test client. apps/gateway/src/docs/examples.spec.ts
 * then checks that what is committed still validates against the document's schemas.
 */
const OUTPUT = join(__dirname, '../../apps/gateway/src/docs/examples.json');

describe('record the OpenAPI examples from a real run', () => {
  let stack: Stack;
  let auth: Credentials;
  const recorded: Record<string, OperationExamples> = {};

  beforeAll(async () => {
    stack = await startStack({ env: { DEFAULT_LIMIT_MAX: '1000', FRAUD_GUARD: 'true' } });
    auth = await createAccount(stack);
  });
  afterAll(() => stack?.stop());

  type Options = Parameters<typeof http>[3];
  async function call<T = Record<string, unknown>>(
    operationId: string,
    method: string,
    path: string,
    options: Options = {},
  ): Promise<HttpResult<T>> {
    const res = await http<T>(stack.url, method, path, options);
    const entry = (recorded[operationId] ??= {});
    if (res.status === 200) {
      if (entry.response === undefined) {
        if (options?.body !== undefined) entry.request = options.body;
        entry.response = res.body;
      }
    } else {
      entry.errors ??= {};
      entry.errors[res.status] ??= res.body;
    }
    return res;
  }
  const basic = (extra: Options = {}): Options => ({ auth, ...extra });

  it('records every route', async () => {
    await call('healthz', 'GET', '/healthz');
    await call('readyz', 'GET', '/readyz');

    // OTP: send, verify (a wrong code first), cancel; each error a new user meets first.
    const to = uniqueNumber();
    const sent = await call<{ requestID: string }>('send', 'POST', '/2fa/send', basic({ body: sendBody(to) }));
    const requestId = sent.body.requestID;
    await call('send', 'POST', '/2fa/send', basic({ body: { ...sendBody(to), to: '+1' } }));
    await call('send', 'POST', '/2fa/send', { body: sendBody(to) });
    const code = await readCode(stack, auth, to, requestId);
    await call('devOutbox', 'GET', `/2fa/dev/outbox?to=${encodeURIComponent(to)}`, basic());
    await call('devOutbox', 'GET', '/2fa/dev/outbox', basic());
    await call('verify', 'POST', '/2fa/verify', basic({ body: { requestId, code: wrongCode(code) } }));
    await call('verify', 'POST', '/2fa/verify', basic({ body: { requestId, code } }));
    await call('verify', 'POST', '/2fa/verify', basic({ body: { requestId, code } }));
    await call('verify', 'POST', '/2fa/verify', basic({ body: { requestId: `OTP${'0'.repeat(32)}`, code } }));
    const toCancel = await call<{ requestID: string }>(
      'send',
      'POST',
      '/2fa/send',
      basic({ body: sendBody(uniqueNumber()) }),
    );
    await call('cancel', 'POST', '/2fa/cancel', basic({ body: { requestId: toCancel.body.requestID } }));
    await call('cancel', 'POST', '/2fa/cancel', basic({ body: { requestId: toCancel.body.requestID } }));
    await call('verify', 'POST', '/2fa/verify', basic({ body: { requestId: toCancel.body.requestID, code } }));
    await call('cancel', 'POST', '/2fa/cancel', basic({ body: { requestId: `OTP${'0'.repeat(32)}` } }));

    // Limits.
    const limit = {
      name: 'per-user',
      description: 'Three codes a minute and ten an hour per user',
      buckets: [
        { name: 'minute', max: 3, interval: 60 },
        { name: 'hour', max: 10, interval: 3600 },
      ],
    };
    const created = await call<{ data: { sid: string } }>('createLimit', 'POST', '/2fa/limits', basic({ body: limit }));
    await call('createLimit', 'POST', '/2fa/limits', basic({ body: limit }));
    const sid = created.body.data.sid;
    await call(
      'updateLimit',
      'PUT',
      `/2fa/limits/${sid}`,
      basic({ body: { description: 'Three a minute, ten an hour' } }),
    );
    await call('searchLimits', 'GET', '/2fa/limits/search?name=per&pageSize=10', basic());
    await call('getLimit', 'GET', `/2fa/limits/search/${sid}`, basic());
    await call('getLimit', 'GET', `/2fa/limits/search/LM${'0'.repeat(32)}`, basic());
    const limited = uniqueNumber();
    for (let i = 0; i < 4; i++) {
      await call(
        'send',
        'POST',
        '/2fa/send',
        basic({ body: sendBody(limited, { limits: { 'per-user': 'user-42' } }) }),
      );
    }
    await call('send', 'POST', '/2fa/send', basic({ body: sendBody(uniqueNumber(), { limits: { nope: 'x' } }) }));

    // Records and usage, once the projection has caught up.
    await eventually(async () => {
      const res = await http(stack.url, 'GET', `/2fa/sdr/search/${requestId}`, { auth });
      if (res.status !== 200 || (res.body.data as { status?: string }).status !== 'verified')
        throw new Error('not projected yet');
    });
    await call('getRecord', 'GET', `/2fa/sdr/search/${requestId}`, basic());
    await call('getRecord', 'GET', `/2fa/sdr/search/OTP${'0'.repeat(32)}`, basic());
    await call('searchRecords', 'GET', '/2fa/sdr/search?pageSize=2&status=verified', basic());
    await call('usage', 'GET', '/2fa/usage?granularity=day', basic());
    await call('usage', 'GET', '/2fa/usage?granularity=week', basic());
    await call('deleteLimit', 'DELETE', `/2fa/limits/${sid}`, basic());
    await call('deleteLimit', 'DELETE', `/2fa/limits/${sid}`, basic());

    // The fraud guard.
    await call('getFraudSettings', 'GET', '/2fa/fraud/settings', basic());
    await call(
      'updateFraudSettings',
      'PUT',
      '/2fa/fraud/settings',
      basic({ body: { mode: 'block', level: 'standard' } }),
    );
    await call('updateFraudSettings', 'PUT', '/2fa/fraud/settings', basic({ body: { mode: 'off' } }));
    await call('listFraudGeoPermissions', 'GET', '/2fa/fraud/geo-permissions', basic());
    await call(
      'updateFraudGeoPermission',
      'PUT',
      '/2fa/fraud/geo-permissions/cu',
      basic({ body: { sms: 'block', call: 'block' } }),
    );
    await call('updateFraudGeoPermission', 'PUT', '/2fa/fraud/geo-permissions/XYZ', basic({ body: { sms: 'block' } }));
    await call('send', 'POST', '/2fa/send', basic({ body: sendBody('+5351234567') }));
    const safe = await call<{ data: { id: string } }>(
      'addFraudSafeListEntry',
      'POST',
      '/2fa/fraud/safe-list',
      basic({ body: { number: '+14155550199', ttl: 3600 } }),
    );
    await call('addFraudSafeListEntry', 'POST', '/2fa/fraud/safe-list', basic({ body: { prefix: '12ab' } }));
    await call('listFraudSafeList', 'GET', '/2fa/fraud/safe-list', basic());
    await call('deleteFraudSafeListEntry', 'DELETE', `/2fa/fraud/safe-list/${safe.body.data.id}`, basic());
    await call('deleteFraudSafeListEntry', 'DELETE', `/2fa/fraud/safe-list/${safe.body.data.id}`, basic());
    // A burst to one prefix: the guard blocks it (prefix_velocity), lists the block, and lifts it.
    const prefix = `+1415${randomInt(200, 999)}`;
    for (let i = 0; i < 9; i++)
      await call('send', 'POST', '/2fa/send', basic({ body: sendBody(`${prefix}${1000 + i}`) }));
    const blocks = await call<{ data: { id: string }[] }>('listFraudBlocks', 'GET', '/2fa/fraud/blocks', basic());
    expect(blocks.body.data.length).toBeGreaterThan(0);
    await call('unblockFraudBlock', 'DELETE', `/2fa/fraud/blocks/${blocks.body.data[0].id}`, basic());
    await call('unblockFraudBlock', 'DELETE', `/2fa/fraud/blocks/FB${'0'.repeat(32)}`, basic());

    // Accounts.
    await call('createAccount', 'POST', '/2fa/accounts', basic({ body: { email: 'team@example.com' } }));
    await call('listAccounts', 'GET', '/2fa/accounts', basic());

    // The second vendor's shape.
    const vendor = { 'api-login': auth.accountSid, 'api-key': auth.authToken };
    const vendorTo = uniqueNumber();
    const generated = await call<{ otp_request_token: string }>('vendorGenerate', 'POST', '/otp/generate', {
      headers: vendor,
      body: { phone_number: vendorTo, text: 'Your code is', sender: 'ACME', code_length: 6, validity_period: 120 },
    });
    const token = generated.body.otp_request_token;
    const vendorCode = await eventually(async () => {
      const res = await http<{ data: { requestID: string; body: string }[] }>(
        stack.url,
        'GET',
        `/2fa/dev/outbox?to=${encodeURIComponent(vendorTo)}`,
        { auth },
      );
      const entry = res.body.data.find((e) => e.requestID === token);
      if (!entry) throw new Error('not delivered yet');
      return entry.body.replace('Your code is ', '');
    });
    await call('vendorValidate', 'POST', '/otp/validate', {
      headers: vendor,
      body: { otp_request_token: token, code: wrongCode(vendorCode) },
    });
    await call('vendorValidate', 'POST', '/otp/validate', {
      headers: vendor,
      body: { otp_request_token: token, code: vendorCode },
    });
    await call('vendorSetSender', 'PUT', '/otp/sender', { headers: vendor, body: { sender: 'ACME' } });
    await call('vendorSetSender', 'PUT', '/otp/sender', { headers: vendor, body: { sender: 'A!' } });
    await call('vendorGetSender', 'GET', '/otp/sender', { headers: vendor });
    await call('vendorGenerate', 'POST', '/otp/generate', { headers: { ...vendor, 'api-key': 'wrong' }, body: {} });

    // Provider callbacks: a name no provider has.
    await call('providerCallback', 'POST', '/2fa/callbacks/nobody', { body: { status: 'delivered' } });
    await call('providerCallbackGet', 'GET', '/2fa/callbacks/nobody?status=delivered');

    // The console's session.
    const signedIn = await call<{ data: { csrfToken: string } }>('signIn', 'POST', '/2fa/session', { body: auth });
    await call('signIn', 'POST', '/2fa/session', { body: { ...auth, authToken: 'wrong' } });
    const cookie = signedIn.headers.get('set-cookie')!.split(';')[0];
    await call('currentSession', 'GET', '/2fa/session', { headers: { cookie } });
    await call('signOut', 'DELETE', '/2fa/session', { headers: { cookie } });
    await call('signOut', 'DELETE', '/2fa/session', {
      headers: { cookie, 'x-csrf-token': signedIn.body.data.csrfToken },
    });
    await call('currentSession', 'GET', '/2fa/session', { headers: { cookie } });

    // Every guarded route without credentials; every route with a body, given nothing it needs.
    const guarded: [string, string, string][] = [
      ['verify', 'POST', '/2fa/verify'],
      ['cancel', 'POST', '/2fa/cancel'],
      ['createLimit', 'POST', '/2fa/limits'],
      ['updateLimit', 'PUT', `/2fa/limits/${sid}`],
      ['deleteLimit', 'DELETE', `/2fa/limits/${sid}`],
      ['searchLimits', 'GET', '/2fa/limits/search'],
      ['getLimit', 'GET', `/2fa/limits/search/${sid}`],
      ['searchRecords', 'GET', '/2fa/sdr/search'],
      ['getRecord', 'GET', `/2fa/sdr/search/${requestId}`],
      ['usage', 'GET', '/2fa/usage'],
      ['createAccount', 'POST', '/2fa/accounts'],
      ['listAccounts', 'GET', '/2fa/accounts'],
      ['devOutbox', 'GET', `/2fa/dev/outbox?to=${encodeURIComponent(to)}`],
    ];
    for (const [operationId, method, path] of guarded) {
      await call(operationId, method, path, method === 'GET' || method === 'DELETE' ? {} : { body: {} });
    }
    for (const [operationId, method, path] of guarded.filter(([, m]) => m === 'POST' || m === 'PUT')) {
      await call(operationId, method, path, basic({ body: { nonsense: true, buckets: 'x' } }));
    }
    await call('searchLimits', 'GET', '/2fa/limits/search?pageSize=0', basic());
    await call('searchRecords', 'GET', '/2fa/sdr/search?status=nope', basic());

    writeFileSync(OUTPUT, JSON.stringify(redacted(sorted(recorded))));
    // In the repository's own format, so that a re-recording diffs only where a route changed.
    const prettier = spawnSync(process.execPath, [require.resolve('prettier/bin/prettier.cjs'), '--write', OUTPUT], {
      encoding: 'utf8',
    });
    expect(prettier.stderr).toBe('');
  });
});

function sorted(recorded: Record<string, OperationExamples>): Record<string, OperationExamples> {
  return Object.fromEntries(
    Object.keys(recorded)
      .sort()
      .map((k) => [k, recorded[k]]),
  );
}

/** A token shown once (a new sub-account's) is replaced by one of the same shape: it is a secret, even of a run. */
function redacted<T>(value: T): T {
  return JSON.parse(
    JSON.stringify(value, (key, v: unknown) =>
      (key === 'authToken' || key === 'csrfToken') && typeof v === 'string' ? v.replace(/[0-9a-zA-Z]/g, '0') : v,
    ),
  ) as T;
}
