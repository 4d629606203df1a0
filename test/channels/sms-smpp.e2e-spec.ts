import { eventually } from '../support/eventually';
import { deliveryStatuses } from '../support/jetstream-helpers';
import { type Credentials, http } from '../support/http';
import { createAccount, readCode, sendOtp, uniqueNumber } from '../support/otp-helpers';
import { startStack, type Stack } from '../support/stack';
import { TestSmsc } from '../support/test-smsc';

describe('SMS over SMPP 3.4, through /2fa/send', () => {
  const smsc = new TestSmsc('acme', 'pa55word');
  let stack: Stack;
  let auth: Credentials;

  beforeAll(async () => {
    const url = await smsc.start();
    stack = await startStack({
      env: {
        SMS_PROVIDER: 'smpp',
        SMPP_URL: url,
        DEFAULT_LIMIT_MAX: '1000',
        DISPATCH_MAX_ATTEMPTS: '3',
        DISPATCH_RETRY_BASE_MS: '100',
      },
    });
    auth = await createAccount(stack);
  });
  afterAll(async () => {
    await stack?.stop();
    await smsc.stop();
  });

  /** The statuses of a request; `queued` (a retry) left out when told, for steps that may race a reconnect. */
  const statusesOf = (requestId: string, expected: string[], withoutQueued = false) =>
    eventually(async () => {
      const s = (await deliveryStatuses(stack, requestId)).filter((e) => !withoutQueued || e.data.status !== 'queued');
      expect(s.map((e) => e.data.status)).toEqual(expected);
      return s;
    });
  const submitsTo = (to: string, count: number) =>
    eventually(async () => {
      expect(smsc.to(to.slice(1))).toHaveLength(count);
      return smsc.to(to.slice(1));
    });

  it('submits the SMS with source, destination, text and a receipt requested; a DELIVRD receipt becomes delivered', async () => {
    const to = uniqueNumber();
    const requestId = await sendOtp(stack, auth, to);
    const [submit] = await submitsTo(to, 1);
    const code = await readCode(stack, auth, to, requestId);
    expect(submit.pdu).toMatchObject({
      source_addr: '14155550000',
      source_addr_ton: 1,
      source_addr_npi: 1,
      destination_addr: to.slice(1),
      dest_addr_ton: 1,
      dest_addr_npi: 1,
      registered_delivery: 1,
      data_coding: 0,
    });
    expect(submit.text).toBe(`Your verification code is: ${code}`);
    expect(submit.udh).toBeNull();

    const [sent] = await statusesOf(requestId, ['sent']);
    expect(sent.data).toMatchObject({ provider: 'smpp', providerMessageId: submit.messageId, units: 1, attempt: 1 });

    const resp = await smsc.receipt(submit.messageId, 'DELIVRD');
    expect(resp.command_status).toBe(0);
    const [, delivered] = await statusesOf(requestId, ['sent', 'delivered']);
    expect(delivered.data).toMatchObject({
      status: 'delivered',
      dispatchId: `${requestId}-1`,
      providerMessageId: submit.messageId,
      to,
      error: null,
    });
  });

  it('segments a long message into concatenated parts, each counted', async () => {
    const to = uniqueNumber();
    const filler =
      'Use this code to sign in to your ACME account. Never share it with anyone, not even ACME staff. '.repeat(4);
    const requestId = await sendOtp(stack, auth, to, { body: `${filler}Code: {code}` });
    const parts = await submitsTo(to, 3);
    const full = await eventually(async () => {
      const outbox = await http<{ data: { requestID: string; body: string }[] }>(
        stack.url,
        'GET',
        `/2fa/dev/outbox?to=${encodeURIComponent(to)}`,
        { auth },
      );
      const body = outbox.body.data.find((e) => e.requestID === requestId)?.body;
      expect(body).toMatch(/Code: \d{6}$/);
      return body as string;
    });
    expect(full?.startsWith(filler)).toBe(true);
    // The parts, in order, are the whole text.
    expect(parts.map((p) => p.text).join('')).toBe(full);
    const [ref] = parts.map((p) => p.udh?.[2]);
    parts.forEach((p, i) => {
      // IEI 0x00 (concatenation, 8-bit reference), same reference, 3 parts, part i+1.
      expect([...(p.udh as Buffer)]).toEqual([0x00, 0x03, ref, 3, i + 1]);
      expect((p.pdu.esm_class as number) & 0x40).toBe(0x40);
      expect(p.pdu.registered_delivery).toBe(1);
      expect(p.text.length).toBeLessThanOrEqual(153);
    });
    const [sent] = await statusesOf(requestId, ['sent']);
    expect(sent.data.units).toBe(3);
  });

  it('fails at once when the SMSC refuses the destination, and maps an UNDELIV receipt to undelivered', async () => {
    const invalid = uniqueNumber();
    smsc.script.set(invalid.slice(1), [0x0b]);
    const failedRequest = await sendOtp(stack, auth, invalid);
    const [failed] = await statusesOf(failedRequest, ['failed']);
    expect(failed.data).toMatchObject({ attempt: 1, error: { code: 'smpp_0x0b' } });

    const to = uniqueNumber();
    const requestId = await sendOtp(stack, auth, to);
    const [submit] = await submitsTo(to, 1);
    await statusesOf(requestId, ['sent']);
    await smsc.receipt(submit.messageId, 'UNDELIV', '011');
    const [, undelivered] = await statusesOf(requestId, ['sent', 'undelivered']);
    expect(undelivered.data.error).toEqual({ code: 'smpp_undeliv', message: 'SMSC receipt UNDELIV err:011' });
  });

  it('reconnects after the SMSC drops the connection and keeps delivering', async () => {
    const before = smsc.binds;
    smsc.dropAll();
    const to = uniqueNumber();
    const requestId = await sendOtp(stack, auth, to);
    const [submit] = await submitsTo(to, 1);
    expect(smsc.binds).toBeGreaterThan(before);
    // A send racing the reconnect may be retried once (`queued`), never sent twice.
    await statusesOf(requestId, ['sent'], true);
    // Receipts arrive on the new session too.
    await smsc.receipt(submit.messageId, 'DELIVRD');
    await statusesOf(requestId, ['sent', 'delivered'], true);
    expect(smsc.to(to.slice(1))).toHaveLength(1);
  });
});
