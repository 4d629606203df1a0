import { signBody, streamName, Streams, Subjects, verifyBody, withPrefix } from '@app/contracts';
import { encodeJson } from '@app/platform';
import { randomBytes, randomUUID } from 'node:crypto';
import { eventually } from '../support/eventually';
import { deliveryStatuses } from '../support/jetstream-helpers';
import { type Credentials, http } from '../support/http';
import { createAccount, readCode, sendOtp, uniqueNumber } from '../support/otp-helpers';
import { startStack, type Stack } from '../support/stack';
import { WebhookServer } from '../support/webhook-server';

const SMS_SECRET = randomBytes(24).toString('hex');
const VOICE_SECRET = randomBytes(24).toString('hex');

describe('SMS and voice through HTTP providers, and their signed callbacks', () => {
  const smsHook = new WebhookServer();
  const voiceHook = new WebhookServer();
  let stack: Stack;
  let auth: Credentials;

  beforeAll(async () => {
    const [smsUrl, voiceUrl] = await Promise.all([smsHook.start(), voiceHook.start()]);
    stack = await startStack({
      env: {
        SMS_PROVIDER: 'webhook',
        SMS_WEBHOOK_URL: smsUrl,
        SMS_WEBHOOK_SECRET: SMS_SECRET,
        VOICE_PROVIDER: 'webhook',
        VOICE_WEBHOOK_URL: voiceUrl,
        VOICE_WEBHOOK_SECRET: VOICE_SECRET,
        DEFAULT_LIMIT_MAX: '1000',
        DISPATCH_MAX_ATTEMPTS: '3',
        DISPATCH_RETRY_BASE_MS: '100',
      },
    });
    auth = await createAccount(stack);
  });
  afterAll(async () => {
    await stack?.stop();
    await Promise.all([smsHook.stop(), voiceHook.stop()]);
  });

  const nowSeconds = () => Math.floor(stack.clock.now().getTime() / 1000);
  /** Posts a provider callback as the provider would, signed with `secret` unless told otherwise. */
  const callback = (channel: string, body: unknown, secret: string | null, signature?: string) => {
    const raw = JSON.stringify(body);
    const headers: Record<string, string> = {};
    if (secret !== null || signature)
      headers['x-smart2fa-signature'] = signature ?? signBody(secret as string, raw, nowSeconds());
    return http(stack.url, 'POST', `/2fa/callbacks/${channel}`, { rawBody: raw, headers });
  };

  const statusesOf = (requestId: string, expected: string[]) =>
    eventually(async () => {
      const s = await deliveryStatuses(stack, requestId);
      expect(s.map((e) => e.data.status)).toEqual(expected);
      return s;
    });

  it('posts the SMS as signed JSON, and a delivered callback becomes a delivery_status event', async () => {
    const to = uniqueNumber();
    const requestId = await sendOtp(stack, auth, to);
    const [request] = await eventually(async () => {
      expect(smsHook.to(to)).toHaveLength(1);
      return smsHook.to(to);
    });
    const code = await readCode(stack, auth, to, requestId);
    expect(request.headers['content-type']).toBe('application/json');
    expect(
      verifyBody(
        SMS_SECRET,
        request.raw,
        request.headers['x-smart2fa-signature'] as string,
        Math.floor(Date.now() / 1000),
      ),
    ).toBe(true);
    // The provider's de-duplication key: the same on a re-send after a crash.
    expect(request.headers['idempotency-key']).toBe(`${requestId}-1`);
    expect(request.body).toEqual({
      reference: `${requestId}-1`,
      from: '+14155550000',
      to,
      text: `Your verification code is: ${code}`,
      segments: 1,
    });

    const [sent] = await statusesOf(requestId, ['sent']);
    expect(sent.data).toMatchObject({
      channel: 'sms',
      provider: 'webhook',
      providerMessageId: expect.stringMatching(/^prov-/),
      units: 1,
      attempt: 1,
    });

    const res = await callback(
      'sms',
      { reference: `${requestId}-1`, messageId: sent.data.providerMessageId, status: 'delivered' },
      SMS_SECRET,
    );
    expect(res).toMatchObject({ status: 200, body: { code: 200, message: 'OK' } });
    const [, delivered] = await statusesOf(requestId, ['sent', 'delivered']);
    expect(delivered.data).toMatchObject({
      status: 'delivered',
      dispatchId: `${requestId}-1`,
      to,
      accountSid: auth.accountSid,
      providerMessageId: sent.data.providerMessageId,
      error: null,
    });
    // The provider retrying its callback changes nothing.
    expect(
      (
        await callback(
          'sms',
          { reference: `${requestId}-1`, messageId: sent.data.providerMessageId, status: 'delivered' },
          SMS_SECRET,
        )
      ).status,
    ).toBe(200);
    await new Promise((r) => setTimeout(r, 300));
    expect((await deliveryStatuses(stack, requestId)).map((e) => e.data.status)).toEqual(['sent', 'delivered']);
  });

  it('turns an undelivered callback with its error into an event', async () => {
    const to = uniqueNumber();
    const requestId = await sendOtp(stack, auth, to);
    await statusesOf(requestId, ['sent']);
    const error = { code: '30005', message: 'unknown destination handset' };
    expect(
      (await callback('sms', { reference: `${requestId}-1`, status: 'undelivered', error }, SMS_SECRET)).status,
    ).toBe(200);
    const [, undelivered] = await statusesOf(requestId, ['sent', 'undelivered']);
    expect(undelivered.data.error).toEqual(error);
  });

  it('refuses callbacks with a bad or missing signature (401) and bad bodies (400 naming the field)', async () => {
    const to = uniqueNumber();
    const requestId = await sendOtp(stack, auth, to);
    await statusesOf(requestId, ['sent']);
    const body = { reference: `${requestId}-1`, status: 'delivered' };
    expect(await callback('sms', body, 'not-the-secret-at-all')).toMatchObject({ status: 401, body: { code: 401 } });
    expect(await callback('sms', body, null)).toMatchObject({ status: 401, body: { code: 401 } });
    expect((await callback('sms', body, null, 'sha256=zz')).status).toBe(401);
    // A replayed callback: the right signature, but from more than five minutes ago.
    expect(
      (await callback('sms', body, null, signBody(SMS_SECRET, JSON.stringify(body), nowSeconds() - 301))).status,
    ).toBe(401);
    // The voice secret does not sign SMS callbacks.
    expect((await callback('sms', body, VOICE_SECRET)).status).toBe(401);
    expect(await callback('sms', { reference: `${requestId}-1`, status: 'bogus' }, SMS_SECRET)).toMatchObject({
      status: 400,
      body: { code: 400, field: 'status' },
    });
    expect(await callback('sms', { status: 'delivered' }, SMS_SECRET)).toMatchObject({
      status: 400,
      body: { code: 400, field: 'reference' },
    });
    expect((await callback('email', body, SMS_SECRET)).status).toBe(404);
    await new Promise((r) => setTimeout(r, 300));
    expect((await deliveryStatuses(stack, requestId)).map((e) => e.data.status)).toEqual(['sent']);
  });

  it('places a call with RCML reading the code digit by digit, and takes the call callback', async () => {
    const to = uniqueNumber();
    const requestId = await sendOtp(stack, auth, to, {
      channel: 'call',
      language: 'awspolly.ja-JP',
      voice: 'male',
      repeat: 3,
    });
    const [request] = await eventually(async () => {
      expect(voiceHook.to(to)).toHaveLength(1);
      return voiceHook.to(to);
    });
    const code = await readCode(stack, auth, to, requestId);
    expect(
      verifyBody(
        VOICE_SECRET,
        request.raw,
        request.headers['x-smart2fa-signature'] as string,
        Math.floor(Date.now() / 1000),
      ),
    ).toBe(true);
    expect(request.headers['idempotency-key']).toBe(`${requestId}-1`);
    expect(request.body).toMatchObject({ reference: `${requestId}-1`, from: '+14155550000', to });
    expect(request.body.rcml).toBe(
      '<?xml version="1.0" encoding="UTF-8"?><Response><Say voice="man" language="ja-JP" loop="3">' +
        `Your verification code is: ${code.split('').join(', ')}</Say></Response>`,
    );
    const [sent] = await statusesOf(requestId, ['sent']);
    expect(sent.data).toMatchObject({ channel: 'call', provider: 'webhook', units: 1 });

    expect((await callback('call', { reference: `${requestId}-1`, status: 'delivered' }, SMS_SECRET)).status).toBe(401);
    expect((await callback('call', { reference: `${requestId}-1`, status: 'delivered' }, VOICE_SECRET)).status).toBe(
      200,
    );
    await statusesOf(requestId, ['sent', 'delivered']);
  });

  it('retries a provider answering 503 and delivers once when it recovers', async () => {
    const to = uniqueNumber();
    smsHook.script.set(to, [503, 503]);
    const requestId = await sendOtp(stack, auth, to);
    const statuses = await statusesOf(requestId, ['queued', 'queued', 'sent']);
    expect(statuses[0].data.error).toEqual({ code: 'http_503', message: expect.stringContaining('503') });
    await new Promise((r) => setTimeout(r, 500));
    expect(smsHook.to(to).map((r) => r.status)).toEqual([503, 503, 200]);
  });

  it('ends in failed with the error after the bounded attempts, and at once on a 4xx', async () => {
    const keepsFailing = uniqueNumber();
    smsHook.script.set(keepsFailing, [500, 500, 500, 500, 500]);
    const refused = uniqueNumber();
    smsHook.script.set(refused, [422, 422]);
    const [a, b] = [await sendOtp(stack, auth, keepsFailing), await sendOtp(stack, auth, refused)];

    const failing = await statusesOf(a, ['queued', 'queued', 'failed']);
    expect(failing[2].data).toMatchObject({
      attempt: 3,
      providerMessageId: null,
      error: { code: 'http_500', message: expect.stringContaining('500') },
    });
    const [failed] = await statusesOf(b, ['failed']);
    expect(failed.data).toMatchObject({ attempt: 1, error: { code: 'http_422' } });
    await new Promise((r) => setTimeout(r, 800));
    expect(smsHook.to(keepsFailing)).toHaveLength(3);
    expect(smsHook.to(refused)).toHaveLength(1);
  });

  it('drops poison receipts at once and receipts for unknown dispatches after a bounded wait, never for ever', async () => {
    const prefix = stack.config.nats.prefix;
    const jsm = await stack.nc.jetstreamManager();
    const consumer = () => jsm.consumers.info(streamName(prefix, Streams.dispatch), 'dispatcher-sms-receipts');
    const settled = () =>
      eventually(async () => {
        const info = await consumer();
        expect({ pending: info.num_pending, ackPending: info.num_ack_pending }).toEqual({ pending: 0, ackPending: 0 });
        return info;
      }, 20_000);
    const before = (await settled()).delivered.consumer_seq;
    const subject = withPrefix(prefix, Subjects.receipt('sms'));
    await stack.nc.jetstream().publish(subject, new TextEncoder().encode('not json'), { msgID: randomUUID() });
    await stack.nc
      .jetstream()
      .publish(subject, encodeJson({ channel: 'sms', status: 'delivered' }), { msgID: randomUUID() });
    await stack.nc
      .jetstream()
      .publish(subject, encodeJson({ channel: 'sms', dispatchId: 'OTPnobody-1', status: 'delivered' }), {
        msgID: randomUUID(),
      });

    const after = await settled();
    // Two poison messages seen once each; the unknown dispatch tried a bounded number of times (10).
    expect(after.delivered.consumer_seq - before).toBe(2 + 10);
    expect((await deliveryStatuses(stack)).filter((e) => e.data.dispatchId === 'OTPnobody-1')).toEqual([]);
  });
});
