import { type DispatchMessage, withPrefix } from '@app/contracts';
import { decodeJson, encodeJson } from '@app/platform';
import type { INestApplication } from '@nestjs/common';
import { Client } from 'pg';
import { gatewayService } from '../../apps/gateway/src/gateway.definition';
import { limiterService } from '../../apps/limiter/src/limiter.definition';
import { otpCoreService } from '../../apps/otp-core/src/otp-core.definition';
import { OtpSweeper } from '../../apps/otp-core/src/otp-sweeper';
import { eventually } from '../support/eventually';
import { type Credentials, http } from '../support/http';
import { dispatchesOf, eventsOf, lifecycle, publishDeliveryStatus } from '../support/jetstream-helpers';
import { BODY, createAccount, uniqueNumber } from '../support/otp-helpers';
import { startStack, type Stack } from '../support/stack';

/**
 * Fallback (SPEC section 5) against real Postgres and NATS. No dispatcher runs: dispatch
 * messages stay on the DISPATCH stream where the test reads them, and the test publishes the
 * dispatchers' verdicts (`otp.v1.events.delivery_status`) itself, as a dispatcher would.
 */
describe('fallback: the same code on the next channel', () => {
  let stack: Stack;
  let auth: Credentials;
  let db: Client;
  const logs: string[] = [];
  const codesSent = new Set<string>();

  beforeAll(async () => {
    stack = await startStack({
      services: [gatewayService, otpCoreService, limiterService],
      env: { DEFAULT_LIMIT_MAX: '1000', SWEEP_INTERVAL_MS: '100', LOG_LEVEL: 'debug' },
      logStream: { write: (line: string) => logs.push(line) },
    });
    auth = await createAccount(stack);
    db = new Client({ connectionString: stack.env.DATABASE_URL });
    await db.connect();
  });
  afterAll(async () => {
    await db?.end();
    await stack?.stop();
  });

  const otpCores = (): INestApplication[] =>
    stack.apps.filter((a) => {
      try {
        return a.get(OtpSweeper, { strict: false }) !== undefined;
      } catch {
        return false;
      }
    });
  const sweepAll = () => Promise.all(otpCores().map((a) => a.get(OtpSweeper, { strict: false }).sweep()));
  const codeOf = (d: DispatchMessage) => {
    const code = d.text.slice(BODY.indexOf('{code}'));
    codesSent.add(code);
    return code;
  };

  const send = async (to: string, extra: Record<string, unknown>) => {
    // Ten digits: a code that long cannot turn up in a log line by chance (a timestamp, a port).
    const res = await http(stack.url, 'POST', '/2fa/send', {
      auth,
      body: { service: '2FA', from: '+14155550000', to, body: BODY, length: 10, ...extra },
    });
    expect(res.status).toBe(200);
    return res.body.requestID as string;
  };
  const verify = (requestId: string, code: string) =>
    http(stack.url, 'POST', '/2fa/verify', { auth, body: { requestId, code } });
  const dispatchedCount = (requestId: string, n: number) =>
    eventually(async () => {
      const sent = await dispatchesOf(stack, requestId);
      expect(sent.map((d) => d.dispatchId)).toEqual(Array.from({ length: n }, (_, i) => `${requestId}-${i + 1}`));
      return sent;
    });
  const stepState = async (dispatchId: string) =>
    (await db.query('SELECT state, sealed_message FROM otp.dispatches WHERE id = $1', [dispatchId])).rows[0] as {
      state: string;
      sealed_message: string | null;
    };

  it('sends the next channel at once when the dispatch before it failed; the late first code verifies', async () => {
    const to = uniqueNumber();
    const requestId = await send(to, {
      fallback: [
        { channel: 'call', after: 120, voice: 'female' },
        { channel: 'email', to: 'jane@example.com', from: 'otp@example.com', subject: 'Your code', after: 120 },
      ],
    });
    const [sms] = await dispatchedCount(requestId, 1);
    expect(sms).toMatchObject({ channel: 'sms', to });

    await publishDeliveryStatus(stack, sms, 'failed');
    const [, call] = await dispatchedCount(requestId, 2);
    expect(call).toMatchObject({
      dispatchId: `${requestId}-2`,
      channel: 'call',
      to,
      from: '+14155550000',
      voice: 'woman',
      repeat: 1,
      expiresAt: sms.expiresAt,
    });
    expect(codeOf(call)).toBe(codeOf(sms));

    // An undelivered receipt (not only a failure) moves on too.
    await publishDeliveryStatus(stack, call, 'undelivered');
    const [, , email] = await dispatchedCount(requestId, 3);
    expect(email).toMatchObject({
      channel: 'email',
      to: 'jane@example.com',
      from: 'otp@example.com',
      subject: 'Your code',
    });
    expect(codeOf(email)).toBe(codeOf(sms));

    const dispatched = lifecycle(await eventsOf(stack, requestId), 'dispatched');
    expect(dispatched.map((e) => [e.data.dispatchId, e.data.channel, e.data.to])).toEqual([
      [`${requestId}-1`, 'sms', to],
      [`${requestId}-2`, 'call', to],
      [`${requestId}-3`, 'email', 'jane@example.com'],
    ]);
    // The first SMS arrived late after all: its code is the same and still works.
    expect((await verify(requestId, codeOf(sms))).body).toMatchObject({ code: 200, requestID: requestId });
  });

  it('sends the next channel once `after` seconds passed without a verify, and its code verifies', async () => {
    const requestId = await send(uniqueNumber(), { fallback: [{ channel: 'call', after: 60 }] });
    const [sms] = await dispatchedCount(requestId, 1);
    // A delivery that went well does not move on by itself.
    await publishDeliveryStatus(stack, sms, 'sent');
    await publishDeliveryStatus(stack, sms, 'delivered');
    stack.clock.advance(59);
    await sweepAll();
    await eventually(async () =>
      expect(
        (await db.query('SELECT delivery_status FROM otp.dispatches WHERE id = $1', [sms.dispatchId])).rows[0]
          .delivery_status,
      ).toBe('delivered'),
    );
    expect((await stepState(`${requestId}-2`)).state).toBe('planned');

    stack.clock.advance(1);
    const [, call] = await dispatchedCount(requestId, 2);
    expect(call.channel).toBe('call');
    expect((await stepState(call.dispatchId)).sealed_message).toBeNull();
    expect((await verify(requestId, codeOf(call))).body).toMatchObject({ code: 200 });
  });

  it('never stores the code of a waiting step in clear', async () => {
    const requestId = await send(uniqueNumber(), { fallback: [{ channel: 'call', after: 60 }] });
    const [sms] = await dispatchedCount(requestId, 1);
    const rows = await db.query(
      'SELECT d.*, r.* FROM otp.dispatches d JOIN otp.otp_requests r ON r.id = d.request_id WHERE d.request_id = $1',
      [requestId],
    );
    expect(rows.rows).toHaveLength(2);
    expect(rows.rows.find((r) => r.seq === 2).sealed_message).toMatch(/^v1\./);
    expect(JSON.stringify(rows.rows)).not.toContain(codeOf(sms));
  });

  it('stops once the request is verified or canceled', async () => {
    const verified = await send(uniqueNumber(), { fallback: [{ channel: 'call', after: 30 }] });
    const canceled = await send(uniqueNumber(), { fallback: [{ channel: 'call', after: 30 }] });
    const [first] = await dispatchedCount(verified, 1);
    const [other] = await dispatchedCount(canceled, 1);
    expect((await verify(verified, codeOf(first))).status).toBe(200);
    expect((await http(stack.url, 'POST', '/2fa/cancel', { auth, body: { requestId: canceled } })).status).toBe(200);

    await publishDeliveryStatus(stack, other, 'failed');
    stack.clock.advance(31);
    await sweepAll();
    await eventually(async () => {
      expect(await stepState(`${verified}-2`)).toEqual({ state: 'skipped', sealed_message: null });
      expect(await stepState(`${canceled}-2`)).toEqual({ state: 'skipped', sealed_message: null });
    });
    await sweepAll();
    expect(await dispatchesOf(stack, verified)).toHaveLength(1);
    expect(await dispatchesOf(stack, canceled)).toHaveLength(1);
  });

  it('fails the request when the last channel failed: a failed event, and verify answers 476', async () => {
    const requestId = await send(uniqueNumber(), { fallback: [{ channel: 'call', after: 60 }] });
    const [sms] = await dispatchedCount(requestId, 1);
    await publishDeliveryStatus(stack, sms, 'failed');
    // A redelivered verdict changes nothing: still one fallback step.
    await publishDeliveryStatus(stack, sms, 'failed');
    const [, call] = await dispatchedCount(requestId, 2);
    expect(lifecycle(await eventsOf(stack, requestId), 'failed')).toHaveLength(0);

    await publishDeliveryStatus(stack, call, 'failed', 3);
    const failed = await eventually(async () => {
      const events = lifecycle(await eventsOf(stack, requestId), 'failed');
      expect(events).toHaveLength(1);
      return events[0];
    });
    expect(failed.data).toMatchObject({ requestId, status: 'failed', reason: 'delivery_failed' });
    expect(JSON.stringify(failed)).not.toContain(codeOf(sms));

    const refused = await verify(requestId, codeOf(sms));
    expect(refused.status).toBe(410);
    expect(refused.body).toEqual({ code: 476, message: 'OTP delivery failed', requestID: requestId });
    expect((await http(stack.url, 'POST', '/2fa/cancel', { auth, body: { requestId } })).body).toMatchObject({
      code: 476,
    });
    expect(lifecycle(await eventsOf(stack, requestId), 'dispatched')).toHaveLength(2);
  });

  it('fails a request without fallback when its only dispatch failed', async () => {
    const requestId = await send(uniqueNumber(), {});
    const [sms] = await dispatchedCount(requestId, 1);
    await publishDeliveryStatus(stack, sms, 'failed');
    await eventually(async () => expect((await verify(requestId, codeOf(sms))).body).toMatchObject({ code: 476 }));
  });

  it('does not fall back for a request that expired', async () => {
    const requestId = await send(uniqueNumber(), { timeout: 60, fallback: [{ channel: 'call', after: 50 }] });
    await dispatchedCount(requestId, 1);
    stack.clock.advance(61);
    await sweepAll();
    await eventually(async () => expect((await stepState(`${requestId}-2`)).state).toBe('skipped'));
    // The expiry's event is published by the relay, after the sweep.
    await eventually(async () => expect(lifecycle(await eventsOf(stack, requestId), 'expired')).toHaveLength(1));
    expect(await dispatchesOf(stack, requestId)).toHaveLength(1);
  });

  it('takes fallback and statusCallback over NATS (otp.v1.send) with the same validation', async () => {
    const nats = async (payload: unknown) =>
      decodeJson(
        (
          await stack.nc.request(withPrefix(stack.env.NATS_PREFIX, 'otp.v1.send'), encodeJson(payload), {
            timeout: 5000,
          })
        ).data,
      ) as Record<string, unknown>;
    const base = {
      accountSid: auth.accountSid,
      service: '2FA',
      from: '+14155550000',
      to: uniqueNumber(),
      body: BODY,
      length: 10,
    };
    expect(await nats({ ...base, fallback: [{ channel: 'email', after: 10 }] })).toMatchObject({
      code: 400,
      field: 'fallback.0.to',
    });
    const reply = await nats({
      ...base,
      statusCallback: 'http://127.0.0.1:9/hook',
      fallback: [{ channel: 'email', to: 'ops@example.com', from: 'otp@example.com', subject: 'Code', after: 10 }],
    });
    expect(reply).toMatchObject({ code: 200 });
    const requestId = reply.requestID as string;
    const [sms] = await dispatchedCount(requestId, 1);
    await publishDeliveryStatus(stack, sms, 'failed');
    const [, email] = await dispatchedCount(requestId, 2);
    expect(email).toMatchObject({ channel: 'email', to: 'ops@example.com', subject: 'Code' });
    expect(codeOf(email)).toBe(codeOf(sms));
  });

  it('two otp-core replicas never dispatch one step twice', async () => {
    await stack.startService(otpCoreService);
    expect(otpCores()).toHaveLength(2);
    const ids: string[] = [];
    for (let i = 0; i < 20; i++) ids.push(await send(uniqueNumber(), { fallback: [{ channel: 'call', after: 45 }] }));
    for (const id of ids) await dispatchedCount(id, 1);
    stack.clock.advance(45);
    // Both replicas sweep at once, several times over, besides their own intervals.
    await Promise.all([sweepAll(), sweepAll(), sweepAll()]);
    await eventually(
      async () => {
        expect((await db.query('SELECT count(*)::int AS n FROM otp.outbox')).rows[0].n).toBe(0);
        for (const id of ids)
          expect(lifecycle(await eventsOf(stack, id), 'dispatched').map((e) => e.data.dispatchId)).toEqual([
            `${id}-1`,
            `${id}-2`,
          ]);
      },
      20_000,
      200,
    );
  });

  it('skips a step whose sealed text cannot be opened (another OTP_SECRET, or altered), never sending it garbled', async () => {
    const requestId = await send(uniqueNumber(), { fallback: [{ channel: 'call', after: 30 }] });
    await dispatchedCount(requestId, 1);
    const sealed = (await stepState(`${requestId}-2`)).sealed_message!;
    const raw = Buffer.from(sealed.slice(3), 'base64');
    raw[raw.length - 1] ^= 1;
    await db.query('UPDATE otp.dispatches SET sealed_message = $2 WHERE id = $1', [
      `${requestId}-2`,
      `v1.${raw.toString('base64')}`,
    ]);
    stack.clock.advance(30);
    await sweepAll();
    await eventually(async () =>
      expect(await stepState(`${requestId}-2`)).toEqual({ state: 'skipped', sealed_message: null }),
    );
    expect(await dispatchesOf(stack, requestId)).toHaveLength(1);
  });

  it('logged no code of any message it sent', () => {
    expect(codesSent.size).toBeGreaterThan(5);
    expect(logs.length).toBeGreaterThan(0);
    const text = logs.join('');
    for (const code of codesSent) expect(text).not.toContain(`${code}`);
  });
});
