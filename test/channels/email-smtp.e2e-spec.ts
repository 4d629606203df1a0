import { randomInt } from 'node:crypto';
import { eventually } from '../support/eventually';
import { deliveryStatuses } from '../support/jetstream-helpers';
import { type Credentials, http } from '../support/http';
import { createAccount, readCode } from '../support/otp-helpers';
import { TestSmtpServer } from '../support/smtp-server';
import { startStack, type Stack } from '../support/stack';

const uniqueAddress = () => `person${randomInt(1e9)}@example.com`;

describe('email over SMTP, through /2fa/send', () => {
  const smtp = new TestSmtpServer();
  let stack: Stack;
  let auth: Credentials;

  beforeAll(async () => {
    const url = await smtp.start();
    stack = await startStack({
      env: {
        EMAIL_PROVIDER: 'smtp',
        SMTP_URL: url,
        DEFAULT_LIMIT_MAX: '1000',
        DISPATCH_MAX_ATTEMPTS: '3',
        DISPATCH_RETRY_BASE_MS: '100',
      },
    });
    auth = await createAccount(stack);
  });
  afterAll(async () => {
    await stack?.stop();
    await smtp.stop();
  });

  const send = async (to: string) => {
    const res = await http(stack.url, 'POST', '/2fa/send', {
      auth,
      body: {
        channel: 'email',
        service: '2FA',
        from: 'no-reply@acme.example',
        to,
        subject: 'Your ACME code',
        body: 'Your verification code is: {code}',
      },
    });
    expect(res.status).toBe(200);
    return res.body.requestID as string;
  };

  it('delivers the email with its from, to, subject and the code, and publishes sent', async () => {
    const to = uniqueAddress();
    const requestId = await send(to);
    const [mail] = await eventually(async () => {
      const got = smtp.to(to);
      expect(got).toHaveLength(1);
      return got;
    });
    const code = await readCode(stack, auth, to, requestId);
    expect(mail.envelopeFrom).toBe('no-reply@acme.example');
    expect(mail.envelopeTo).toEqual([to]);
    expect(mail.headers.from).toBe('no-reply@acme.example');
    expect(mail.headers.to).toBe(to);
    expect(mail.headers.subject).toBe('Your ACME code');
    // Derived from the dispatch id, so a re-send after a crash is recognisably the same mail.
    expect(mail.headers['message-id']).toBe(`<${requestId}-1@acme.example>`);
    expect(mail.body.trim()).toBe(`Your verification code is: ${code}`);

    const [sent] = await eventually(async () => {
      const statuses = await deliveryStatuses(stack, requestId);
      expect(statuses.map((e) => e.data.status)).toEqual(['sent']);
      return statuses;
    });
    expect(sent.data).toMatchObject({
      channel: 'email',
      to,
      provider: 'smtp',
      attempt: 1,
      units: 1,
      error: null,
      dispatchId: `${requestId}-1`,
    });
    expect(sent.data.providerMessageId).toEqual(expect.any(String));
    expect(JSON.stringify(sent)).not.toContain(code);
  });

  it('retries a server that answers 4xx and delivers once when it recovers', async () => {
    const to = uniqueAddress();
    smtp.refusals.set(to, [451, 421]);
    const requestId = await send(to);
    await eventually(async () => expect(smtp.to(to)).toHaveLength(1));
    const statuses = await eventually(async () => {
      const s = await deliveryStatuses(stack, requestId);
      expect(s.map((e) => e.data.status)).toEqual(['queued', 'queued', 'sent']);
      return s;
    });
    expect(statuses.map((e) => e.data.attempt)).toEqual([1, 2, 3]);
    expect(statuses[0].data.error).toEqual({ code: 'smtp_451', message: expect.stringContaining('451') });
    // Nothing more arrives later.
    await new Promise((r) => setTimeout(r, 500));
    expect(smtp.to(to)).toHaveLength(1);
  });

  it('fails at once on a 5xx, without retrying', async () => {
    const to = uniqueAddress();
    smtp.refusals.set(to, [550, 550, 550]);
    const requestId = await send(to);
    const [failed] = await eventually(async () => {
      const s = await deliveryStatuses(stack, requestId);
      expect(s.map((e) => e.data.status)).toEqual(['failed']);
      return s;
    });
    expect(failed.data).toMatchObject({
      attempt: 1,
      provider: 'smtp',
      providerMessageId: null,
      error: { code: 'smtp_550', message: expect.stringContaining('550') },
    });
    expect(smtp.refusals.get(to)).toHaveLength(2);
    expect(smtp.to(to)).toEqual([]);
  });

  it('gives up with failed after DISPATCH_MAX_ATTEMPTS on a server that keeps refusing', async () => {
    const to = uniqueAddress();
    smtp.refusals.set(to, [451, 451, 451, 451, 451]);
    const requestId = await send(to);
    const statuses = await eventually(async () => {
      const s = await deliveryStatuses(stack, requestId);
      expect(s.map((e) => e.data.status)).toEqual(['queued', 'queued', 'failed']);
      return s;
    });
    expect(statuses[2].data).toMatchObject({ attempt: 3, error: { code: 'smtp_451' } });
    // Three attempts and no more.
    await new Promise((r) => setTimeout(r, 800));
    expect(smtp.refusals.get(to)).toHaveLength(2);
    expect(smtp.to(to)).toEqual([]);
  });
});
