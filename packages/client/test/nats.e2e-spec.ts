import { type AsyncApiContract, loadAsyncApi } from '../../../test/support/asyncapi';
import { eventually } from '../../../test/support/eventually';
import { BODY, createAccount, uniqueNumber } from '../../../test/support/otp-helpers';
import { startStack, type Stack } from '../../../test/support/stack';
import { Smart2faError } from '../src';
import { smart2faNats, type Smart2faNatsClient } from '../src/nats';

/**
 * The NATS client against the real stack (real NATS, every service in-process), as an internal
 * service would use it; every reply is also checked against docs/asyncapi.yaml.
 */
describe('@smart2fa/client over NATS', () => {
  let stack: Stack;
  let nats: Smart2faNatsClient;
  let accountSid: string;
  let doc: AsyncApiContract;

  beforeAll(async () => {
    doc = await loadAsyncApi();
    stack = await startStack({ env: { DEFAULT_LIMIT_MAX: '100', FRAUD_GUARD: 'true' } });
    accountSid = (await createAccount(stack)).accountSid;
    nats = smart2faNats(stack.nc, { prefix: stack.env.NATS_PREFIX, timeoutMs: 15_000 });
  });
  afterAll(() => stack?.stop());

  /** The reply as it came, checked against the document's reply for the subject. */
  const checked = <T>(subject: string, reply: T): T => {
    doc.checkReply(subject, reply);
    return reply;
  };

  it('sends, reads the code from the outbox, verifies and reads the record', async () => {
    const to = uniqueNumber();
    const sent = checked(
      'otp.v1.send',
      await nats.otp.send({ accountSid, service: 'login', from: '+14155550000', to, body: BODY }),
    );
    expect(sent).toMatchObject({ code: 200, message: 'OK', requestID: expect.stringMatching(/^OTP/) });
    const code = await eventually(async () => {
      const { data } = checked('dev.v1.outbox.sms', await nats.dev.outboxSms({ accountSid, to }));
      const entry = data.find((e) => e.requestID === sent.requestID);
      if (!entry) throw new Error('not delivered yet');
      return entry.body.slice(BODY.indexOf('{code}'));
    });
    const verified = await nats.otp.verify(
      { accountSid, requestId: sent.requestID, code },
      { requestId: 'nats-e2e-1' },
    );
    expect(checked('otp.v1.verify', verified).requestID).toBe(sent.requestID);
    const record = await eventually(async () => {
      const { data } = await nats.sdr.get({
        accountSids: [accountSid],
        callerSid: accountSid,
        requestId: sent.requestID,
      });
      if (data.status !== 'verified') throw new Error(`still ${data.status}`);
      return checked('sdr.v1.get', { code: 200, message: 'OK', data }).data;
    });
    expect(record).toMatchObject({ requestId: sent.requestID, service: 'login', to });
    const usage = await nats.sdr.usage({ accountSids: [accountSid], granularity: 'month' });
    expect(checked('sdr.v1.usage', usage).data.granularity).toBe('month');
    const page = await nats.sdr.search({ accountSids: [accountSid], callerSid: accountSid });
    expect(checked('sdr.v1.search', page).data.result.map((r) => r.requestId)).toContain(sent.requestID);
  });

  it('throws error replies as the HTTP client does: the catalog code, its HTTP status, the field', async () => {
    const unknown = await nats.otp.verify({ accountSid, requestId: `OTP${'0'.repeat(32)}`, code: '1' }).catch((e) => e);
    expect(unknown).toBeInstanceOf(Smart2faError);
    expect(unknown).toMatchObject({ code: 470, status: 404, message: 'Invalid OTP Unique Id' });
    doc.checkReply('otp.v1.verify', unknown.body);
    const invalid = await nats.otp
      .send({ accountSid, service: 'x', from: 'Acme', to: '+1', body: BODY })
      .catch((e) => e);
    expect(invalid).toMatchObject({ code: 400, status: 400, field: 'to' });
  });

  it('manages and consumes limits; a full bucket is a 454 carrying retryAfter', async () => {
    const created = await nats.limiter.create({
      accountSid,
      name: 'per-user',
      buckets: [{ name: 'minute', max: 1, interval: 60 }],
    });
    const sid = checked('limiter.v1.create', created).data.sid;
    const scope = { accountSids: [accountSid], sid };
    expect((await nats.limiter.update({ ...scope, description: 'one a minute' })).data.description).toBe(
      'one a minute',
    );
    expect((await nats.limiter.get(scope)).data.name).toBe('per-user');
    const found = await nats.limiter.search({ accountSids: [accountSid], name: 'per' });
    expect(checked('limiter.v1.search', found).data.result.map((l) => l.sid)).toEqual([sid]);
    const consume = () => nats.limiter.consume({ accountSid, destination: 'x', limits: { 'per-user': 'user-1' } });
    expect(checked('limiter.v1.consume', await consume())).toMatchObject({ code: 200, remaining: 0, limit: 1 });
    await expect(consume()).rejects.toMatchObject({ code: 454, status: 429, retryAfter: expect.any(Number) });
    checked('limiter.v1.delete', await nats.limiter.delete(scope));
    await expect(nats.limiter.get(scope)).rejects.toMatchObject({ code: 493, status: 409 });
  });

  it('reads and changes the fraud guard (fraud.v1.*)', async () => {
    const settings = checked('fraud.v1.settings.put', await nats.fraud.settingsPut({ accountSid, mode: 'monitor' }));
    expect(settings.data.mode).toBe('monitor');
    expect((await nats.fraud.settingsGet({ accountSid })).data.mode).toBe('monitor');
    const unknown = await nats.fraud.blocksDelete({ accountSid, id: `FB${'0'.repeat(32)}` }).catch((e) => e);
    expect(unknown).toMatchObject({ code: 482, status: 404 });
  });

  it("answers the other channels' outboxes; nobody serving a subject (another prefix) is a 503", async () => {
    const outbox = await nats.dev.outboxCall({ accountSid, to: '+14155550123' });
    expect(checked('dev.v1.outbox.call', outbox)).toEqual({ code: 200, message: 'OK', data: [] });
    const elsewhere = smart2faNats(stack.nc, { prefix: `${stack.env.NATS_PREFIX}-other` });
    const refused = await elsewhere.request('sdr.v1.usage', { accountSids: [accountSid] }).catch((e) => e);
    expect(refused).toBeInstanceOf(Smart2faError);
    expect(refused).toMatchObject({ code: 503, status: 503 });
  });
});
