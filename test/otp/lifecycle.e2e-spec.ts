import { OtpSweeper } from '../../apps/otp-core/src/otp-sweeper';
import { http } from '../support/http';
import { createAccount, readCode, sendBody, sendOtp, uniqueNumber, wrongCode } from '../support/otp-helpers';
import type { Credentials } from '../support/http';
import { startStack, type Stack } from '../support/stack';

const OTP_ID = /^OTP[0-9a-f]{32}$/;

describe('send, verify and cancel over HTTP', () => {
  let stack: Stack;
  let auth: Credentials;

  beforeAll(async () => {
    // A generous default limit: these tests send to one destination several times.
    stack = await startStack({ env: { DEFAULT_LIMIT_MAX: '1000' } });
    auth = await createAccount(stack);
  });
  afterAll(() => stack?.stop());

  const verify = (body: Record<string, unknown>, as: Credentials = auth) =>
    http(stack.url, 'POST', '/2fa/verify', { auth: as, body });
  const cancel = (body: Record<string, unknown>, as: Credentials = auth) =>
    http(stack.url, 'POST', '/2fa/cancel', { auth: as, body });

  it('sends a code that the person receives and that verifies once', async () => {
    const to = uniqueNumber();
    const sent = await http(stack.url, 'POST', '/2fa/send', { auth, body: sendBody(to) });
    expect(sent.status).toBe(200);
    expect(sent.body).toEqual({ code: 200, message: 'OK', requestID: expect.stringMatching(OTP_ID) });
    const requestId = sent.body.requestID as string;

    const code = await readCode(stack, auth, to, requestId);
    expect(code).toMatch(/^\d{6}$/);

    const ok = await verify({ service: '2FA', requestId, code });
    expect(ok.status).toBe(200);
    expect(ok.body).toEqual({ code: 200, message: 'OK', requestID: requestId });

    const again = await verify({ service: '2FA', requestId, code });
    expect(again.status).toBe(409);
    expect(again.body).toMatchObject({ code: 471, message: 'OTP is already verified', requestID: requestId });
  });

  it('verifies by service and number, ignoring a requestId passed along', async () => {
    const to = uniqueNumber();
    const requestId = await sendOtp(stack, auth, to);
    const code = await readCode(stack, auth, to, requestId);
    const res = await verify({ service: '2FA', number: to, requestId: 'OTP00000000000000000000000000000000', code });
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ code: 200, requestID: requestId });
  });

  it('answers unknown request ids with 470 on verify and 490 on cancel', async () => {
    const unknown = 'OTP0123456789abcdef0123456789abcdef';
    expect(await verify({ requestId: unknown, code: '123456' })).toMatchObject({
      status: 404,
      body: { code: 470, message: 'Invalid OTP Unique Id' },
    });
    expect(await verify({ service: '2FA', number: uniqueNumber(), code: '123456' })).toMatchObject({
      status: 404,
      body: { code: 470 },
    });
    expect(await cancel({ requestId: unknown })).toMatchObject({
      status: 404,
      body: { code: 490, message: 'Invalid OTP Unique Id' },
    });
  });

  it('counts wrong codes and locks the request after maxWrongAttempts, even for the right code', async () => {
    const to = uniqueNumber();
    const requestId = await sendOtp(stack, auth, to, { maxWrongAttempts: 3 });
    const code = await readCode(stack, auth, to, requestId);
    for (let i = 0; i < 3; i++) {
      const res = await verify({ requestId, code: wrongCode(code) });
      expect(res.status).toBe(401);
      expect(res.body).toEqual({
        code: 474,
        message: 'Invalid OTP Code',
        requestID: requestId,
        attemptsRemaining: 2 - i,
      });
    }
    const locked = await verify({ requestId, code });
    expect(locked.status).toBe(429);
    expect(locked.body).toMatchObject({ code: 475, message: 'Too many wrong attempts', requestID: requestId });
  });

  it('accepts the right code after fewer wrong ones than the limit', async () => {
    const to = uniqueNumber();
    const requestId = await sendOtp(stack, auth, to, { maxWrongAttempts: 2 });
    const code = await readCode(stack, auth, to, requestId);
    expect((await verify({ requestId, code: wrongCode(code) })).body).toMatchObject({ code: 474 });
    expect((await verify({ requestId, code })).body).toMatchObject({ code: 200 });
  });

  it('cancels a pending request; a canceled one answers 473, a verified one 471', async () => {
    const to = uniqueNumber();
    const requestId = await sendOtp(stack, auth, to);
    const code = await readCode(stack, auth, to, requestId);
    const res = await cancel({ requestId });
    expect(res.status).toBe(200);
    expect(res.body).toEqual({ code: 200, message: 'canceled', requestID: requestId });
    expect(await verify({ requestId, code })).toMatchObject({
      status: 410,
      body: { code: 473, message: 'OTP is canceled' },
    });
    expect(await cancel({ requestId })).toMatchObject({ status: 410, body: { code: 473 } });

    const to2 = uniqueNumber();
    const verifiedId = await sendOtp(stack, auth, to2);
    await verify({ requestId: verifiedId, code: await readCode(stack, auth, to2, verifiedId) });
    expect(await cancel({ requestId: verifiedId })).toMatchObject({
      status: 409,
      body: { code: 471, message: 'OTP is already verified' },
    });
  });

  it('expires to the second by the clock, whether or not the sweeper ran', async () => {
    const to = uniqueNumber();
    const requestId = await sendOtp(stack, auth, to, { timeout: 60 });
    const code = await readCode(stack, auth, to, requestId);
    stack.clock.advance(59.9);
    // Still pending just before the deadline: a wrong code is counted, not refused as expired.
    expect((await verify({ requestId, code: wrongCode(code) })).body).toMatchObject({ code: 474 });
    stack.clock.advance(0.1);
    expect(await verify({ requestId, code })).toMatchObject({
      status: 410,
      body: { code: 472, message: 'OTP is expired', requestID: requestId },
    });
    expect(await cancel({ requestId })).toMatchObject({ status: 410, body: { code: 472 } });
    // The sweeper records it; the answer stays the same.
    await stack.app.get(OtpSweeper, { strict: false }).sweep();
    expect((await verify({ requestId, code })).body).toMatchObject({ code: 472 });
  });

  it('accepts validityPeriod as the timeout (seed 003 name)', async () => {
    const to = uniqueNumber();
    const requestId = await sendOtp(stack, auth, to, { validityPeriod: 30 });
    const code = await readCode(stack, auth, to, requestId);
    stack.clock.advance(30);
    expect((await verify({ requestId, code })).body).toMatchObject({ code: 472 });
  });

  it('a new send cancels the pending one for the same service and destination', async () => {
    const to = uniqueNumber();
    const first = await sendOtp(stack, auth, to);
    const firstCode = await readCode(stack, auth, to, first);
    const second = await sendOtp(stack, auth, to);
    const secondCode = await readCode(stack, auth, to, second);
    expect((await verify({ requestId: first, code: firstCode })).body).toMatchObject({ code: 473 });
    expect((await verify({ requestId: second, code: secondCode })).body).toMatchObject({ code: 200 });
  });

  it('another service to the same destination is not superseded', async () => {
    const to = uniqueNumber();
    const first = await sendOtp(stack, auth, to);
    const firstCode = await readCode(stack, auth, to, first);
    await sendOtp(stack, auth, to, { service: 'other' });
    expect((await verify({ requestId: first, code: firstCode })).body).toMatchObject({ code: 200 });
  });

  it('with guardTime the earlier code stays valid for that long, and verify by number accepts either', async () => {
    const to = uniqueNumber();
    const first = await sendOtp(stack, auth, to);
    const firstCode = await readCode(stack, auth, to, first);
    const second = await sendOtp(stack, auth, to, { guardTime: 30 });
    await readCode(stack, auth, to, second);
    // The late first message still works, by number...
    const res = await verify({ service: '2FA', number: to, code: firstCode });
    expect(res.body).toMatchObject({ code: 200, requestID: first });
    // ...and the person has proved possession: the newer code ends with it.
    expect((await verify({ requestId: second, code: '000000' })).body).toMatchObject({ code: 473 });
  });

  it('after guardTime has passed the earlier code is canceled and the newer one still verifies', async () => {
    const to = uniqueNumber();
    const first = await sendOtp(stack, auth, to);
    const firstCode = await readCode(stack, auth, to, first);
    const second = await sendOtp(stack, auth, to, { guardTime: 30 });
    const secondCode = await readCode(stack, auth, to, second);
    stack.clock.advance(29);
    expect((await verify({ requestId: first, code: wrongCode(firstCode) })).body).toMatchObject({ code: 474 });
    stack.clock.advance(1);
    expect((await verify({ requestId: first, code: firstCode })).body).toMatchObject({ code: 473 });
    expect((await verify({ service: '2FA', number: to, code: secondCode })).body).toMatchObject({
      code: 200,
      requestID: second,
    });
  });

  it('of many concurrent verifies with the right code exactly one succeeds', async () => {
    const to = uniqueNumber();
    const requestId = await sendOtp(stack, auth, to, { maxWrongAttempts: 20 });
    const code = await readCode(stack, auth, to, requestId);
    const results = await Promise.all(Array.from({ length: 25 }, () => verify({ requestId, code })));
    const codes = results.map((r) => r.body.code);
    expect(codes.filter((c) => c === 200)).toHaveLength(1);
    for (const c of codes.filter((c) => c !== 200)) expect([471, 475]).toContain(c);
  });

  it('generates codes of the requested length and alphabet', async () => {
    const cases: [Record<string, unknown>, RegExp][] = [
      [{ length: 4 }, /^\d{4}$/],
      [{ codeLength: 8, allowUpperCase: true }, /^[A-Z]{8}$/],
      [{ length: 32, allowDigits: true, allowLowerCase: true }, /^[0-9a-z]{32}$/],
      [{ length: 12, allowSpecialChars: 'true' }, /^[!#$%&*+\-=?@^_]{12}$/],
    ];
    for (const [options, pattern] of cases) {
      const to = uniqueNumber();
      const requestId = await sendOtp(stack, auth, to, options);
      const code = await readCode(stack, auth, to, requestId);
      expect(code).toMatch(pattern);
      expect((await verify({ requestId, code })).body).toMatchObject({ code: 200 });
    }
  });

  it('the same Idempotency-Key returns the first answer and sends once; another body is refused', async () => {
    const to = uniqueNumber();
    const headers = { 'idempotency-key': `key-${to}` };
    const first = await http(stack.url, 'POST', '/2fa/send', { auth, body: sendBody(to), headers });
    const [again, concurrent] = await Promise.all([
      http(stack.url, 'POST', '/2fa/send', { auth, body: sendBody(to), headers }),
      http(stack.url, 'POST', '/2fa/send', { auth, body: sendBody(to), headers }),
    ]);
    expect(first.status).toBe(200);
    expect(again.body).toEqual(first.body);
    expect(concurrent.body).toEqual(first.body);
    await readCode(stack, auth, to, first.body.requestID as string);
    const outbox = await http<{ data: unknown[] }>(stack.url, 'GET', `/2fa/dev/outbox?to=${encodeURIComponent(to)}`, {
      auth,
    });
    expect(outbox.body.data).toHaveLength(1);

    const other = await http(stack.url, 'POST', '/2fa/send', {
      auth,
      body: sendBody(to, { service: 'changed' }),
      headers,
    });
    expect(other.status).toBe(409);
    expect(other.body).toMatchObject({ code: 497, requestID: first.body.requestID });
  });

  it('an Idempotency-Key stops binding after 24 hours', async () => {
    const to = uniqueNumber();
    const headers = { 'idempotency-key': `old-${to}` };
    const first = await http(stack.url, 'POST', '/2fa/send', { auth, body: sendBody(to), headers });
    stack.clock.advance(24 * 3600 + 1);
    const later = await http(stack.url, 'POST', '/2fa/send', { auth, body: sendBody(to), headers });
    expect(later.status).toBe(200);
    expect(later.body.requestID).not.toEqual(first.body.requestID);
  });
});
