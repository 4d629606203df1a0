import {
  CALLBACK_REPLY_HEADER,
  COMMAND_SCHEMAS,
  type DeliveryReceipt,
  isCommandSubject,
  OTP_EVENT_TYPES,
  type ProviderCallbackRequest,
  Subjects,
  withPrefix,
} from '@app/contracts';
import { decodeJson, encodeJson } from '@app/platform';
import { createInbox, headers, type Msg, type Subscription } from 'nats';
import { dispatcherEmailService } from '../../apps/dispatcher-email/src/dispatcher-email.definition';
import { dispatcherSmsService } from '../../apps/dispatcher-sms/src/dispatcher-sms.definition';
import { dispatcherVoiceService } from '../../apps/dispatcher-voice/src/dispatcher-voice.definition';
import { gatewayService } from '../../apps/gateway/src/gateway.definition';
import { limiterService } from '../../apps/limiter/src/limiter.definition';
import { otpCoreService } from '../../apps/otp-core/src/otp-core.definition';
import { OtpSweeper } from '../../apps/otp-core/src/otp-sweeper';
import { sdrService } from '../../apps/sdr/src/sdr.definition';
import { type AsyncApiContract, contractSubjects, loadAsyncApi } from '../support/asyncapi';
import { eventually } from '../support/eventually';
import { type Credentials, http } from '../support/http';
import { dispatchesOf, eventsOf } from '../support/jetstream-helpers';
import { createAccount, readCode, sendBody, sendOtp, uniqueNumber, wrongCode } from '../support/otp-helpers';
import { startStack, type Stack } from '../support/stack';

/**
 * What really crosses NATS, checked against docs/asyncapi.yaml: the test listens on every
 * subject of its stack (and on the inboxes the replies go to) while the gateway is driven
 * through every command, and every event type is made to happen. Each message seen is
 * validated against the document's schema for its subject, each reply against its
 * operation's reply, and both against the zod schemas of the contracts.
 */
describe('NATS traffic against docs/asyncapi.yaml', () => {
  let stack: Stack;
  let auth: Credentials;
  let doc: AsyncApiContract;
  let prefix: string;
  const seen: { subject: string; msg: Msg }[] = [];
  const inbox: Msg[] = [];
  const subscriptions: Subscription[] = [];

  beforeAll(async () => {
    doc = await loadAsyncApi();
    // Each service an application of its own, as in production: the all-in-one answers a command
    // it serves itself in place, and this test is about what crosses NATS.
    stack = await startStack({
      services: [
        gatewayService,
        otpCoreService,
        limiterService,
        sdrService,
        dispatcherSmsService,
        dispatcherVoiceService,
        dispatcherEmailService,
      ],
      env: { DEFAULT_LIMIT_MAX: '100', FRAUD_GUARD: 'true' },
    });
    prefix = stack.env.NATS_PREFIX;
    // A connection of its own, so that the test's own requests are seen like the services'.
    subscriptions.push(
      stack.nc.subscribe(`${prefix}.>`, {
        callback: (_, msg) => seen.push({ subject: msg.subject.slice(prefix.length + 1), msg }),
      }),
      stack.nc.subscribe('_INBOX.>', { callback: (_, msg) => inbox.push(msg) }),
    );
    await stack.nc.flush();
    auth = await createAccount(stack);
  });
  afterAll(async () => {
    for (const s of subscriptions) s.unsubscribe();
    await stack?.stop();
  });

  it('every command, dispatch, receipt, callback and event is what the document says', async () => {
    const get = (path: string) => http(stack.url, 'GET', path, { auth });
    // limiter.v1.create|update|search|get|delete
    const created = await http<{ data: { sid: string } }>(stack.url, 'POST', '/2fa/limits', {
      auth,
      body: { name: 'per-user', buckets: [{ name: 'minute', max: 5, interval: 60 }] },
    });
    expect(created.status).toBe(200);
    const sid = created.body.data.sid;
    expect(
      (await http(stack.url, 'PUT', `/2fa/limits/${sid}`, { auth, body: { description: 'five a minute' } })).status,
    ).toBe(200);
    expect((await get('/2fa/limits/search?name=per')).status).toBe(200);
    expect((await get(`/2fa/limits/search/${sid}`)).status).toBe(200);

    // otp.v1.send (and limiter.v1.consume), dispatch.v1.sms, created, dispatched, delivery_status;
    // dev.v1.outbox.sms; otp.v1.verify: verify_failed, then verified.
    const to = uniqueNumber();
    // With a status callback, every event of these requests is copied to otp.v1.status_callbacks.*
    // too (the loopback address is refused, STATUS_CALLBACK_ALLOW_PRIVATE being off: no POST leaves).
    const statusCallback = 'http://127.0.0.1:9/hooks/otp';
    const verifiedId = await sendOtp(stack, auth, to, { limits: { 'per-user': 'user-1' }, statusCallback });
    const code = await readCode(stack, auth, to, verifiedId);
    const verify = (c: string) =>
      http(stack.url, 'POST', '/2fa/verify', { auth, body: { requestId: verifiedId, code: c } });
    expect((await verify(wrongCode(code))).status).toBe(401);
    expect((await verify(code)).status).toBe(200);
    // otp.v1.cancel: canceled.
    const canceledId = await sendOtp(stack, auth, uniqueNumber(), { statusCallback });
    expect((await http(stack.url, 'POST', '/2fa/cancel', { auth, body: { requestId: canceledId } })).status).toBe(200);
    // expired: past its validity, once the sweeper has run.
    const expiredId = await sendOtp(stack, auth, uniqueNumber(), { timeout: 30, statusCallback });
    // failed: a provider's receipt (dispatch.v1.receipts.sms) says the only dispatch failed.
    const failedId = await sendOtp(stack, auth, uniqueNumber(), { statusCallback });
    const [dispatch] = await eventually(async () => {
      const found = await dispatchesOf(stack, failedId);
      if (!found.length) throw new Error('not dispatched yet');
      return found;
    });
    await eventually(async () => {
      if (!(await eventsOf(stack, failedId)).some((e) => e.type === 'delivery_status')) throw new Error('not sent yet');
    });
    const receipt: DeliveryReceipt = {
      channel: 'sms',
      dispatchId: dispatch.dispatchId,
      status: 'failed',
      error: { code: 'E1', message: 'unreachable' },
    };
    const js = stack.nc.jetstream();
    await js.publish(withPrefix(prefix, Subjects.receipt('sms')), encodeJson(receipt));
    // dispatch.v1.callbacks.sms.<name>: a report for a provider the channel does not have (404).
    const verdictInbox = createInbox();
    const verdict = stack.nc.subscribe(verdictInbox, { max: 1, timeout: 15_000 });
    const callback: ProviderCallbackRequest = {
      name: 'nobody',
      method: 'POST',
      url: 'https://2fa.example.com/2fa/callbacks/nobody',
      headers: { 'content-type': 'application/json' },
      body: Buffer.from('{}').toString('base64'),
      receivedAt: new Date().toISOString(),
    };
    const h = headers();
    h.set(CALLBACK_REPLY_HEADER, verdictInbox);
    await js.publish(withPrefix(prefix, Subjects.providerCallback('sms', 'nobody')), encodeJson(callback), {
      headers: h,
    });
    for await (const m of verdict) {
      expect(decodeJson(m.data)).toEqual({ status: 404 });
      doc.checkReply(Subjects.providerCallback('sms', 'nobody'), decodeJson(m.data));
    }

    stack.clock.advance(31);
    await stack.apps[1].get(OtpSweeper, { strict: false }).sweep();
    await eventually(async () => {
      const events = await Promise.all([expiredId, failedId].map((id) => eventsOf(stack, id)));
      if (!events[0].some((e) => e.type === 'expired')) throw new Error('not expired yet');
      if (!events[1].some((e) => e.type === 'failed')) throw new Error('not failed yet');
    });
    // fraud.v1.*, and a send the guard refuses (blocked).
    const put = (path: string, body: unknown) => http(stack.url, 'PUT', path, { auth, body });
    expect((await get('/2fa/fraud/settings')).status).toBe(200);
    expect((await put('/2fa/fraud/settings', { mode: 'block' })).status).toBe(200);
    expect((await get('/2fa/fraud/geo-permissions')).status).toBe(200);
    expect((await put('/2fa/fraud/geo-permissions/cu', { sms: 'block' })).status).toBe(200);
    const safe = await http<{ data: { id: string } }>(stack.url, 'POST', '/2fa/fraud/safe-list', {
      auth,
      body: { number: '+14155550199', ttl: 3600 },
    });
    expect(safe.status).toBe(200);
    expect((await get('/2fa/fraud/safe-list')).status).toBe(200);
    expect((await http(stack.url, 'DELETE', `/2fa/fraud/safe-list/${safe.body.data.id}`, { auth })).status).toBe(200);
    expect((await get('/2fa/fraud/blocks')).status).toBe(200);
    expect((await http(stack.url, 'DELETE', `/2fa/fraud/blocks/FB${'0'.repeat(32)}`, { auth })).status).toBe(404);
    const blocked = await http(stack.url, 'POST', '/2fa/send', { auth, body: sendBody('+5351234567') });
    expect(blocked.body).toMatchObject({ code: 456, reason: 'geo_permission' });

    // sdr.v1.search|get|usage, once the records are there; then limiter.v1.delete.
    await eventually(async () => {
      const res = await get(`/2fa/sdr/search/${verifiedId}`);
      if (res.status !== 200) throw new Error(`no record yet (${res.status})`);
    });
    expect((await get('/2fa/sdr/search?pageSize=2')).status).toBe(200);
    expect((await get('/2fa/usage?granularity=day')).status).toBe(200);
    expect((await http(stack.url, 'DELETE', `/2fa/limits/${sid}`, { auth })).status).toBe(200);
    await stack.nc.flush();

    // Every subject of the contracts was exercised.
    const wanted = [
      ...Object.keys(COMMAND_SCHEMAS),
      Subjects.dispatch('sms'),
      Subjects.receipt('sms'),
      Subjects.providerCallback('sms', 'nobody'),
      ...OTP_EVENT_TYPES.map((t) => Subjects.otpEvent(t)),
      // A blocked request keeps no callback: its event is never copied.
      ...OTP_EVENT_TYPES.filter((t) => t !== 'blocked').map((t) => Subjects.statusCallbackEvent(t)),
    ];
    const subjectsSeen = new Set(seen.map((s) => s.subject));
    expect(wanted.filter((s) => !subjectsSeen.has(s))).toEqual([]);

    const schemas = contractSubjects();
    const schemaOf = (subject: string) =>
      schemas.find((s) => s.subject === subject)?.schema ??
      schemas.find(
        (s) => s.subject.startsWith('dispatch.v1.callbacks.') && subject.startsWith('dispatch.v1.callbacks.'),
      )?.schema;
    const problems: string[] = [];
    let replies = 0;
    for (const { subject, msg } of seen) {
      const payload = decodeJson(msg.data);
      const schema = schemaOf(subject);
      if (!schema) {
        problems.push(`${subject} is not a subject of the contracts`);
        continue;
      }
      if (!schema.safeParse(payload).success) problems.push(`${subject}: does not match its zod schema`);
      try {
        doc.checkMessage(subject, payload);
      } catch (error) {
        problems.push((error as Error).message);
      }
      if (!isCommandSubject(subject) || !msg.reply) continue;
      const reply = inbox.find((m) => m.subject === msg.reply);
      if (!reply) {
        problems.push(`${subject}: no reply seen`);
        continue;
      }
      replies++;
      try {
        doc.checkReply(subject, decodeJson(reply.data));
      } catch (error) {
        problems.push((error as Error).message);
      }
    }
    expect(problems).toEqual([]);
    expect(replies).toBeGreaterThanOrEqual(Object.keys(COMMAND_SCHEMAS).length);
  });
});
