import { eventually } from '../support/eventually';
import { http } from '../support/http';
import { eventsOf, lifecycle } from '../support/jetstream-helpers';
import { createAccount, readCode, sendBody, sendOtp, uniqueNumber } from '../support/otp-helpers';
import type { Credentials } from '../support/http';
import { startStack, type Stack } from '../support/stack';

describe('bad input, limits and the catalog at the HTTP edge (default limit: 1 per 60 s)', () => {
  let stack: Stack;
  let auth: Credentials;

  beforeAll(async () => {
    // The operator's default sender of POST /otp/generate (seed 003: sender is optional).
    stack = await startStack({ env: { DEFAULT_SENDER: 'OPERATOR' } });
    auth = await createAccount(stack);
  });
  afterAll(() => stack?.stop());

  const send = (body: unknown, headers?: Record<string, string>) =>
    http(stack.url, 'POST', '/2fa/send', { auth, body, headers });

  it('refuses a second send to the same destination within 60 s with 453, per account', async () => {
    const to = uniqueNumber();
    expect((await send(sendBody(to))).status).toBe(200);
    const refused = await send(sendBody(to));
    expect(refused.status).toBe(404);
    expect(refused.body).toEqual({
      code: 453,
      message: 'Too many OTP request to same destination Number',
      requestID: null,
    });
    expect(Number(refused.headers.get('retry-after'))).toBeGreaterThan(0);
    // Another account has a window of its own.
    const other = await createAccount(stack);
    expect((await http(stack.url, 'POST', '/2fa/send', { auth: other, body: sendBody(to) })).status).toBe(200);
  });

  const without = (key: string) => ({ [key]: undefined });
  it.each([
    ['service missing', without('service'), 'service'],
    ['to missing', without('to'), 'to'],
    ['from missing', without('from'), 'from'],
    ['body missing', without('body'), 'body'],
    ['body without {code}', { body: 'no placeholder' }, 'body'],
    ['service of the wrong type', { service: 42 }, 'service'],
    ['length not a number', { length: 'six' }, 'length'],
    ['length below 4', { length: 3 }, 'length'],
    ['length above 32', { length: 33 }, 'length'],
    ['timeout below 30', { timeout: 29 }, 'timeout'],
    ['maxWrongAttempts above 20', { maxWrongAttempts: 21 }, 'maxWrongAttempts'],
    ['unknown channel', { channel: 'fax' }, 'channel'],
    ['invalid phone number', { to: '+1555' }, 'to'],
    ['number not in E.164 form', { to: '4155552671' }, 'to'],
    ['email channel without subject', { channel: 'email', to: 'a@example.com', from: 'otp@example.com' }, 'subject'],
    ['email channel with a phone number', { channel: 'email', from: 'otp@example.com', subject: 'x' }, 'to'],
    ['alphanumeric sender on a call', { channel: 'call', from: 'ACME' }, 'from'],
    ['sms body over 1224 characters', { body: `${'x'.repeat(1224)}{code}` }, 'body'],
    ['bad recipientIp', { recipientIp: '999.1.1.1' }, 'recipientIp'],
    ['bad voice', { channel: 'call', voice: 'robot' }, 'voice'],
    ['repeat above 5', { channel: 'call', repeat: 6 }, 'repeat'],
    ['no alphabet left', { allowDigits: false }, 'allowDigits'],
    ['accountSid malformed', { accountSid: 'AC123' }, 'accountSid'],
    [
      'email channel with a phone number as from',
      { channel: 'email', to: 'a@example.com', from: '+14155550000', subject: 'x' },
      'from',
    ],
    [
      'email body over 10000 characters',
      {
        channel: 'email',
        to: 'a@example.com',
        from: 'otp@example.com',
        subject: 'x',
        body: `${'x'.repeat(10_000)}{code}`,
      },
      'body',
    ],
    ['call body over 1224 characters', { channel: 'call', body: `${'x'.repeat(1224)}{code}` }, 'body'],
    ['call to an invalid number', { channel: 'call', to: '+1555' }, 'to'],
    ['sms sender ID too long', { from: 'ACME12345678' }, 'from'],
    ['bad language', { channel: 'call', language: 'english' }, 'language'],
    ['repeat below 1', { channel: 'call', repeat: 0 }, 'repeat'],
    ['repeat on sms', { repeat: 2 }, 'repeat'],
    [
      'voice on email',
      { channel: 'email', to: 'a@example.com', from: 'otp@example.com', subject: 'x', voice: 'man' },
      'voice',
    ],
    ['language on sms', { language: 'en-US' }, 'language'],
    ['subject on sms', { subject: 'x' }, 'subject'],
    ['fallback not an array', { fallback: 'call' }, 'fallback'],
    ['fallback with four steps', { fallback: [1, 2, 3, 4].map(() => ({ channel: 'call', after: 10 })) }, 'fallback'],
    ['fallback to an unknown channel', { fallback: [{ channel: 'fax', after: 10 }] }, 'fallback.0.channel'],
    ['fallback without after', { fallback: [{ channel: 'call' }] }, 'fallback.0.after'],
    [
      'fallback after beyond the expiry',
      { timeout: 60, fallback: [{ channel: 'call', after: 60 }] },
      'fallback.0.after',
    ],
    [
      'fallback to email without an address',
      { fallback: [{ channel: 'email', from: 'otp@example.com', subject: 'x', after: 10 }] },
      'fallback.0.to',
    ],
    [
      'fallback to email without a subject',
      { fallback: [{ channel: 'email', to: 'a@example.com', from: 'otp@example.com', after: 10 }] },
      'fallback.0.subject',
    ],
    ['fallback call from a sender ID', { from: 'ACME', fallback: [{ channel: 'call', after: 10 }] }, 'fallback.0.from'],
    ['statusCallback not http(s)', { statusCallback: 'ftp://example.com/' }, 'statusCallback'],
  ])('answers 400 naming the field: %s', async (_case, overrides, field) => {
    const res = await send({ ...sendBody(uniqueNumber()), ...overrides });
    expect(res.status).toBe(400);
    expect(res.body).toMatchObject({ code: 400, field });
    expect(res.body.message).toMatch(/^Invalid request: /);
  });

  it('counts nothing for a refused send: a valid one to the same number goes through', async () => {
    const to = uniqueNumber();
    expect((await send({ ...sendBody(to), length: 99 })).status).toBe(400);
    expect((await send(sendBody(to))).status).toBe(200);
  });

  it('answers malformed JSON, non-object bodies and oversized bodies with 400 and the field', async () => {
    const malformed = await http(stack.url, 'POST', '/2fa/send', { auth, rawBody: '{"service": "2FA",' });
    expect(malformed).toMatchObject({
      status: 400,
      body: { code: 400, field: 'body', message: 'Invalid request: body is not valid JSON' },
    });
    const array = await http(stack.url, 'POST', '/2fa/send', { auth, rawBody: '[1,2]' });
    expect(array).toMatchObject({ status: 400, body: { code: 400, field: 'body' } });
    const scalar = await http(stack.url, 'POST', '/2fa/verify', { auth, rawBody: '"x"' });
    expect(scalar).toMatchObject({ status: 400, body: { code: 400, field: 'body' } });
    const huge = await http(stack.url, 'POST', '/2fa/send', {
      auth,
      body: { ...sendBody(uniqueNumber()), body: `${'x'.repeat(70_000)}{code}` },
    });
    expect(huge).toMatchObject({ status: 400, body: { code: 400, field: 'body' } });
  });

  it('answers a NUL character anywhere in a body or query with 400 naming where it is, never a 500', async () => {
    const nul = 'x\u0000y';
    const cases: [string, string, Record<string, unknown> | undefined, string][] = [
      ['POST', '/2fa/send', { ...sendBody(uniqueNumber()), service: nul }, 'service'],
      ['POST', '/2fa/send', { ...sendBody(uniqueNumber()), limits: { [nul]: 'k' } }, 'limits.x\u0000y'],
      ['POST', '/2fa/verify', { service: '2FA', number: uniqueNumber(), code: nul }, 'code'],
      ['POST', '/2fa/accounts', { email: 'a@example.com', friendlyName: nul }, 'friendlyName'],
      ['POST', '/2fa/limits', { name: nul, buckets: [{ name: 'b', max: 1, interval: 1 }] }, 'name'],
      ['GET', `/2fa/limits/search?name=${encodeURIComponent(nul)}`, undefined, 'name'],
      ['GET', `/2fa/sdr/search?to=${encodeURIComponent(nul)}`, undefined, 'to'],
    ];
    for (const [method, path, body, field] of cases) {
      const res = await http(stack.url, method, path, { auth, body });
      expect({ path, status: res.status, body: res.body }).toMatchObject({
        path,
        status: 400,
        body: { code: 400, field },
      });
    }
  });

  it('takes a body nested thousands of levels deep without a 500', async () => {
    const deep = `{"extra":${'['.repeat(5000)}${']'.repeat(5000)},"service":"2FA"}`;
    const res = await http(stack.url, 'POST', '/2fa/verify', { auth, rawBody: deep });
    expect(res).toMatchObject({
      status: 400,
      body: { code: 400, field: 'body', message: 'Invalid request: body nests deeper than 32 levels' },
    });
  });

  it('validates verify and cancel too', async () => {
    const verify = (body: unknown) => http(stack.url, 'POST', '/2fa/verify', { auth, body });
    expect(await verify({ code: '123456' })).toMatchObject({ status: 400, body: { field: 'requestId' } });
    expect(await verify({ number: '+14155552671', code: '123456' })).toMatchObject({
      status: 400,
      body: { field: 'service' },
    });
    expect(await verify({ requestId: 'OTP0123456789abcdef0123456789abcdef' })).toMatchObject({
      status: 400,
      body: { field: 'code' },
    });
    expect(await verify({ requestId: 'nope', code: '1' })).toMatchObject({ status: 400, body: { field: 'requestId' } });
    expect(await verify({ requestId: 'OTP0123456789abcdef0123456789abcdef', code: { $ne: 1 } })).toMatchObject({
      status: 400,
      body: { field: 'code' },
    });
    const cancel = await http(stack.url, 'POST', '/2fa/cancel', { auth, body: {} });
    expect(cancel).toMatchObject({ status: 400, body: { code: 400, field: 'requestId' } });
  });

  it('refuses a limit name the account does not have with 495 before counting anything', async () => {
    const to = uniqueNumber();
    const res = await send({ ...sendBody(to), limits: '{ "limit_on_phone": "+14155552671" }' });
    expect(res).toMatchObject({ status: 409, body: { code: 495, message: 'Invalid Limit Name: limit_on_phone' } });
    expect((await send(sendBody(to))).status).toBe(200);
  });

  it('refuses an overlong Idempotency-Key', async () => {
    const res = await send(sendBody(uniqueNumber()), { 'idempotency-key': 'k'.repeat(256) });
    expect(res).toMatchObject({ status: 400, body: { field: 'Idempotency-Key' } });
  });

  it('answers 401 without, or with wrong, credentials, and names the scheme', async () => {
    const none = await http(stack.url, 'POST', '/2fa/send', { body: sendBody(uniqueNumber()) });
    expect(none).toMatchObject({ status: 401, body: { code: 401, message: 'Unauthorized' } });
    expect(none.headers.get('www-authenticate')).toMatch(/^Basic/);
    const wrong = await http(stack.url, 'POST', '/2fa/send', {
      auth: { ...auth, authToken: 'x'.repeat(64) },
      body: sendBody(uniqueNumber()),
    });
    expect(wrong).toMatchObject({ status: 401, body: { code: 401 } });
    const unknown = await http(stack.url, 'POST', '/2fa/send', {
      auth: { accountSid: 'AC0123456789abcdef0123456789abcdef', authToken: auth.authToken },
      body: {},
    });
    expect(unknown.status).toBe(401);
    const garbage = await http(stack.url, 'POST', '/2fa/send', { headers: { authorization: 'Basic ???' }, body: {} });
    expect(garbage.status).toBe(401);
  });

  it('answers unknown routes with the catalog 404, sets security headers and echoes the request id', async () => {
    const res = await http(stack.url, 'GET', '/2fa/nothing-here', {
      auth,
      headers: { 'x-request-id': 'trace-abc-123' },
    });
    expect(res).toMatchObject({ status: 404, body: { code: 404, message: 'Not Found' } });
    expect(res.headers.get('x-request-id')).toBe('trace-abc-123');
    expect(res.headers.get('x-content-type-options')).toBe('nosniff');
    expect(res.headers.get('x-powered-by')).toBeNull();
  });

  it('serves probes and metrics without credentials', async () => {
    expect((await http(stack.url, 'GET', '/healthz')).status).toBe(200);
    const ready = await http(stack.url, 'GET', '/readyz');
    expect(ready.status).toBe(200);
    expect(ready.body).toMatchObject({
      status: 'ok',
      checks: { nats: 'ok', redis: 'ok', 'postgres:otp': 'ok', 'postgres:gateway': 'ok' },
    });
    const metrics = await http<string>(stack.url, 'GET', '/metrics');
    expect(metrics.status).toBe(200);
    expect(metrics.body).toContain('otp_sends_total');
    expect(metrics.body).toContain('http_request_duration_seconds');
  });

  describe('the second vendor shape (seed 003)', () => {
    const vendorHeaders = () => ({ 'api-login': auth.accountSid, 'api-key': auth.authToken });

    it('generates and validates through /otp/generate and /otp/validate', async () => {
      const to = uniqueNumber();
      const generated = await http(stack.url, 'POST', '/otp/generate', {
        headers: vendorHeaders(),
        body: {
          phone_number: to,
          text: 'Your code is',
          sender: 'ACME',
          code_length: 8,
          allow_upper_case: true,
          validity_period: 120,
          max_wrong_attempts: 2,
        },
      });
      expect(generated.status).toBe(200);
      expect(generated.body).toEqual({
        code: 0,
        message: 'OK',
        ticket_number: expect.stringMatching(/^OTP/),
        otp_request_token: expect.stringMatching(/^OTP/),
      });
      const token = generated.body.otp_request_token as string;
      const entry = await eventually(async () => {
        const outbox = await http<{ data: { requestID: string; body: string; from: string }[] }>(
          stack.url,
          'GET',
          `/2fa/dev/outbox?to=${encodeURIComponent(to)}`,
          { auth },
        );
        const found = outbox.body.data.find((e) => e.requestID === token);
        if (!found) throw new Error('not delivered yet');
        return found;
      });
      expect(entry.from).toBe('ACME');
      const code = entry.body.replace('Your code is ', '');
      expect(code).toMatch(/^[A-Z]{8}$/);

      const wrong = await http(stack.url, 'POST', '/otp/validate', {
        headers: vendorHeaders(),
        body: { otp_request_token: token, code: 'AAAAAAAA' === code ? 'BBBBBBBB' : 'AAAAAAAA' },
      });
      expect(wrong).toMatchObject({ status: 401, body: { code: 474 } });
      const ok = await http(stack.url, 'POST', '/otp/validate', {
        headers: vendorHeaders(),
        body: { otp_request_token: token, code },
      });
      expect(ok).toMatchObject({ status: 200, body: { code: 0, message: 'OK' } });
    });

    it('maps voice_sms to a call with the voice options, and lets an sms ignore them', async () => {
      const to = uniqueNumber();
      const call = await http(stack.url, 'POST', '/otp/generate', {
        headers: vendorHeaders(),
        body: {
          phone_number: to,
          text: 'Your code is',
          sender: '+14155550000',
          channel: 'voice_sms',
          voice_language: 'en-GB',
          voice_gender: 'female',
        },
      });
      expect(call).toMatchObject({ status: 200, body: { code: 0 } });
      const requestId = call.body.otp_request_token as string;
      const dispatched = await eventually(async () => {
        const found = lifecycle(await eventsOf(stack, requestId), 'dispatched');
        if (!found.length) throw new Error('not dispatched yet');
        return found[0];
      });
      expect(dispatched.data).toMatchObject({ channel: 'call', to, dispatchId: `${requestId}-1` });
      const badVoice = await http(stack.url, 'POST', '/otp/generate', {
        headers: vendorHeaders(),
        body: {
          phone_number: uniqueNumber(),
          text: 'x',
          sender: '+14155550000',
          channel: 'voice_sms',
          voice_gender: 'robot',
        },
      });
      // Seed 003: a value that cannot be used is ignored (its default applies) and listed, not refused.
      expect(badVoice).toMatchObject({
        status: 200,
        body: {
          code: 0,
          warnings: [{ field: 'voice_gender', message: expect.stringMatching(/^voice_gender .*: ignored$/) }],
        },
      });
      const sms = await http(stack.url, 'POST', '/otp/generate', {
        headers: vendorHeaders(),
        body: {
          phone_number: uniqueNumber(),
          text: 'x',
          sender: 'ACME',
          voice_language: 'en-GB',
          voice_gender: 'male',
        },
      });
      expect(sms).toMatchObject({ status: 200, body: { code: 0 } });
    });

    it('names the vendor field on bad input and refuses wrong keys', async () => {
      const bad = await http(stack.url, 'POST', '/otp/generate', {
        headers: vendorHeaders(),
        body: { phone_number: '+1555', text: 'x', sender: 'ACME' },
      });
      expect(bad).toMatchObject({ status: 400, body: { code: 400, field: 'phone_number' } });
      expect(bad.body.message).toContain('phone_number');
      const channel = await http(stack.url, 'POST', '/otp/generate', {
        headers: vendorHeaders(),
        body: { phone_number: uniqueNumber(), text: 'x', sender: 'ACME', channel: 'pigeon' },
      });
      expect(channel).toMatchObject({ status: 200, body: { code: 0, warnings: [{ field: 'channel' }] } });
      const unauthorized = await http(stack.url, 'POST', '/otp/generate', {
        headers: { 'api-login': auth.accountSid, 'api-key': 'nope' },
        body: {},
      });
      expect(unauthorized.status).toBe(401);
      // Basic auth is not the vendor's scheme.
      expect((await http(stack.url, 'POST', '/otp/generate', { auth, body: {} })).status).toBe(401);
    });

    it('takes seed 003 leniently: sender optional, values cast, what cannot be used ignored and listed', async () => {
      const account = await createAccount(stack);
      const headers = { 'api-login': account.accountSid, 'api-key': account.authToken };
      const generate = (body: Record<string, unknown>) => http(stack.url, 'POST', '/otp/generate', { headers, body });
      const sentFrom = async (to: string, requestId: string) =>
        eventually(async () => {
          const outbox = await http<{ data: { requestID: string; from: string; body: string }[] }>(
            stack.url,
            'GET',
            `/2fa/dev/outbox?to=${encodeURIComponent(to)}`,
            { auth: account },
          );
          const entry = outbox.body.data?.find((e) => e.requestID === requestId);
          if (!entry) throw new Error('not sent yet');
          return entry;
        });

      // No sender, and none set for the account: the operator's DEFAULT_SENDER.
      const first = uniqueNumber();
      const operator = await generate({ phone_number: first, text: 'Your code is' });
      expect(operator.status).toBe(200);
      expect(operator.body).toEqual({
        code: 0,
        message: 'OK',
        ticket_number: expect.stringMatching(/^OTP/),
        otp_request_token: expect.stringMatching(/^OTP/),
      });
      expect((await sentFrom(first, operator.body.otp_request_token as string)).from).toBe('OPERATOR');

      // The account's own default, set over the API, comes first.
      expect(await http(stack.url, 'GET', '/otp/sender', { headers })).toMatchObject({
        status: 200,
        body: { code: 0, sender: null },
      });
      const refused = await http(stack.url, 'PUT', '/otp/sender', { headers, body: { sender: 'A!' } });
      expect(refused).toMatchObject({ status: 400, body: { code: 400, field: 'sender' } });
      const set = await http(stack.url, 'PUT', '/otp/sender', { headers, body: { sender: 'ACME' } });
      expect(set).toMatchObject({ status: 200, body: { code: 0, sender: 'ACME' } });
      expect((await http(stack.url, 'GET', '/otp/sender', { headers })).body).toMatchObject({ sender: 'ACME' });

      // Wrong types cast, a sender formatted, unusable optional values ignored and listed.
      const second = uniqueNumber();
      const lenient = await generate({
        phone_number: second,
        text: 'Your code is',
        sender: 'Big-Shop!',
        channel: 'SMS',
        code_length: '8',
        allow_digits: 1,
        allow_upper_case: 'true',
        validity_period: '120',
        max_wrong_attempts: 'many',
        recipient_ip: 'not-an-ip',
        voice_gender: 'robot',
      });
      expect(lenient.status).toBe(200);
      expect(lenient.body).toMatchObject({ code: 0, otp_request_token: expect.stringMatching(/^OTP/) });
      const warnings = lenient.body.warnings as { field: string; message: string }[];
      expect(warnings.map((w) => w.field).sort()).toEqual(['max_wrong_attempts', 'recipient_ip']);
      for (const w of warnings) expect(w.message).toMatch(new RegExp(`^${w.field} .*: ignored$`));
      const entry = await sentFrom(second, lenient.body.otp_request_token as string);
      expect(entry.from).toBe('BigShop');
      expect(entry.body).toMatch(/^Your code is [0-9A-Z]{8}$/);

      // A sender that cannot be used at all: the account's default stands in, and it is listed.
      const third = uniqueNumber();
      const noSender = await generate({ phone_number: third, text: 'Code', sender: '--' });
      expect(noSender.body).toMatchObject({ code: 0, warnings: [{ field: 'sender' }] });
      expect((await sentFrom(third, noSender.body.otp_request_token as string)).from).toBe('ACME');

      // phone_number and text stay strict.
      expect(await generate({ phone_number: '+1555', text: 'x' })).toMatchObject({
        status: 400,
        body: { field: 'phone_number' },
      });
      expect(await generate({ phone_number: uniqueNumber() })).toMatchObject({ status: 400, body: { field: 'text' } });
    });
  });

  it('a code sent to one account verifies for it and not by guessing from another sender', async () => {
    const to = uniqueNumber();
    const requestId = await sendOtp(stack, auth, to);
    const code = await readCode(stack, auth, to, requestId);
    expect((await http(stack.url, 'POST', '/2fa/verify', { auth, body: { requestId, code } })).body).toMatchObject({
      code: 200,
    });
  });
});
