import { newId, type OtpEvent, streamName, Streams, withPrefix } from '@app/contracts';
import { decodeJson, encodeJson } from '@app/platform';
import { OtpSweeper } from '../../apps/otp-core/src/otp-sweeper';
import { eventually } from '../support/eventually';
import { createAccount, uniqueNumber } from '../support/otp-helpers';
import { startStack, type Stack } from '../support/stack';

describe('NATS commands for internal services, and lifecycle events', () => {
  let stack: Stack;
  let accountSid: string;

  beforeAll(async () => {
    stack = await startStack({ env: { DEFAULT_LIMIT_MAX: '1000' } });
    accountSid = (await createAccount(stack)).accountSid;
  });
  afterAll(() => stack?.stop());

  const request = async (subject: string, payload: unknown, raw?: Uint8Array) => {
    const msg = await stack.nc.request(withPrefix(stack.config.nats.prefix, subject), raw ?? encodeJson(payload), {
      timeout: 5000,
    });
    return decodeJson(msg.data) as Record<string, unknown> & { data?: { requestID: string; body: string }[] };
  };

  const codeFromOutbox = (to: string, requestId: string) =>
    eventually(async () => {
      const reply = await request('dev.v1.outbox.sms', { accountSid, to });
      const entry = reply.data?.find((e) => e.requestID === requestId);
      if (!entry) throw new Error('not delivered yet');
      return entry.body.split(': ')[1];
    });

  /** Every lifecycle event of the run's stream, read from the start by an ordered consumer. */
  const events = async (): Promise<OtpEvent[]> => {
    const js = stack.nc.jetstream();
    // An ordered consumer reads the whole stream from the start and acknowledges nothing.
    const consumer = await js.consumers.get(streamName(stack.config.nats.prefix, Streams.otpEvents));
    const out: OtpEvent[] = [];
    const batch = await consumer.fetch({ max_messages: 1000, expires: 1000 });
    for await (const m of batch) {
      out.push(decodeJson(m.data) as OtpEvent);
      if (m.info.pending === 0) break;
    }
    // Lifecycle events only: the dispatchers' delivery_status events share the stream.
    return out.filter((e) => (e.type as string) !== 'delivery_status');
  };

  it('sends, verifies and cancels over otp.v1.* with the same catalog replies', async () => {
    const to = uniqueNumber();
    const sent = await request('otp.v1.send', {
      accountSid,
      service: 'internal',
      from: 'ACME',
      to,
      body: 'Code: {code}',
      length: 12,
      allowUpperCase: true,
    });
    expect(sent).toMatchObject({ code: 200, message: 'OK', requestID: expect.stringMatching(/^OTP/) });
    const requestId = sent.requestID as string;
    const code = await codeFromOutbox(to, requestId);
    expect(code).toMatch(/^[A-Z]{12}$/);

    expect(await request('otp.v1.verify', { accountSid, requestId, code: 'WRONGWRONGXX' })).toMatchObject({
      code: 474,
      requestID: requestId,
    });
    expect(await request('otp.v1.verify', { accountSid, requestId, code })).toEqual({
      code: 200,
      message: 'OK',
      requestID: requestId,
    });
    expect(await request('otp.v1.cancel', { accountSid, requestId })).toMatchObject({ code: 471 });
    // Another account cannot touch it.
    expect(await request('otp.v1.cancel', { accountSid: newId('account'), requestId })).toMatchObject({ code: 490 });

    const toCancel = await request('otp.v1.send', {
      accountSid,
      service: 'internal',
      from: 'ACME',
      to: uniqueNumber(),
      body: 'Code: {code}',
    });
    expect(await request('otp.v1.cancel', { accountSid, requestId: toCancel.requestID })).toEqual({
      code: 200,
      message: 'canceled',
      requestID: toCancel.requestID,
    });

    // The events tell the story, in order, and never carry the code.
    const mine = await eventually(async () => {
      const all = (await events()).filter((e) => e.data.requestId === requestId);
      expect(all.map((e) => e.type)).toEqual(['created', 'dispatched', 'verify_failed', 'verified']);
      return all;
    });
    for (const event of mine) {
      expect(JSON.stringify(event)).not.toContain(code);
      expect(event).toMatchObject({
        version: 1,
        metadata: { eventId: expect.any(String), occurredAt: expect.any(String) },
      });
      expect(event.data).toMatchObject({ accountSid, service: 'internal', channel: 'sms', to });
    }
    expect(mine[3].data.status).toBe('verified');
  });

  it('validates NATS payloads on receipt like HTTP bodies', async () => {
    expect(
      await request('otp.v1.send', { accountSid, service: 'x', from: 'ACME', to: '+1555', body: '{code}' }),
    ).toMatchObject({ code: 400, field: 'to' });
    expect(
      await request('otp.v1.send', { service: 'x', from: 'ACME', to: uniqueNumber(), body: '{code}' }),
    ).toMatchObject({ code: 400, field: 'accountSid' });
    expect(await request('otp.v1.verify', null, new TextEncoder().encode('not json'))).toMatchObject({
      code: 400,
      field: 'body',
    });
    expect(await request('otp.v1.cancel', { accountSid, requestId: 'OTPnope' })).toMatchObject({
      code: 400,
      field: 'requestId',
    });
    // PostgreSQL text cannot hold a NUL: refused on receipt, not a 500 from the database.
    expect(
      await request('otp.v1.send', {
        accountSid,
        service: 'x\u0000',
        from: 'ACME',
        to: uniqueNumber(),
        body: '{code}',
      }),
    ).toMatchObject({ code: 400, field: 'service' });
  });

  it('publishes canceled (superseded) and expired events, the latter when the sweeper runs', async () => {
    const to = uniqueNumber();
    const first = await request('otp.v1.send', {
      accountSid,
      service: 'sweep',
      from: 'ACME',
      to,
      body: 'Code: {code}',
      timeout: 30,
    });
    const second = await request('otp.v1.send', {
      accountSid,
      service: 'sweep',
      from: 'ACME',
      to,
      body: 'Code: {code}',
      timeout: 30,
    });
    stack.clock.advance(31);
    await stack.app.get(OtpSweeper, { strict: false }).sweep();
    await eventually(async () => {
      const all = await events();
      const ofFirst = all.filter((e) => e.data.requestId === first.requestID).map((e) => [e.type, e.data.reason]);
      const ofSecond = all.filter((e) => e.data.requestId === second.requestID).map((e) => e.type);
      expect(ofFirst).toEqual([
        ['created', undefined],
        ['dispatched', undefined],
        ['canceled', 'superseded'],
      ]);
      expect(ofSecond).toEqual(['created', 'dispatched', 'expired']);
    });
  });

  it('events carry the request id that came in with the command', async () => {
    const { headers } = await import('nats');
    const h = headers();
    h.set('x-request-id', 'corr-42');
    const msg = await stack.nc.request(
      withPrefix(stack.config.nats.prefix, 'otp.v1.send'),
      encodeJson({ accountSid, service: 'corr', from: 'ACME', to: uniqueNumber(), body: 'Code: {code}' }),
      { timeout: 5000, headers: h },
    );
    const { requestID } = decodeJson(msg.data) as { requestID: string };
    await eventually(async () => {
      const created = (await events()).find((e) => e.data.requestId === requestID && e.type === 'created');
      expect(created?.metadata.correlationId).toBe('corr-42');
    });
  });
});
