import { randomInt } from 'node:crypto';
import type { AnyOtpEvent } from '@app/contracts';
import { eventually } from '../support/eventually';
import { eventsOf as eventsOfRequest } from '../support/jetstream-helpers';
import { type Credentials, http } from '../support/http';
import { BODY, createAccount, uniqueNumber } from '../support/otp-helpers';
import { TestSmtpServer } from '../support/smtp-server';
import { startStack, type Stack } from '../support/stack';
import { WebhookServer } from '../support/webhook-server';

const SMS_SECRET = 'sms-webhook-secret-for-tests';
const VOICE_SECRET = 'voice-webhook-secret-for-tests';
const PREFIX = BODY.slice(0, BODY.indexOf('{code}'));

/**
 * Fallback end to end through the real dispatchers of the all-in-one: SMS and voice go to
 * webhook endpoints, email to an SMTP server, all on loopback. Each test reads the code where
 * the person would (the SMS text, the RCML read aloud, the email body) and verifies it.
 */
describe('fallback through the real dispatchers: SMS, then voice, then email', () => {
  const smsHook = new WebhookServer();
  const voiceHook = new WebhookServer();
  const smtp = new TestSmtpServer();
  let stack: Stack;
  let auth: Credentials;

  beforeAll(async () => {
    const [smsUrl, voiceUrl, smtpUrl] = await Promise.all([smsHook.start(), voiceHook.start(), smtp.start()]);
    stack = await startStack({
      env: {
        DEFAULT_LIMIT_MAX: '1000',
        SWEEP_INTERVAL_MS: '100',
        SMS_PROVIDER: 'webhook',
        SMS_WEBHOOK_URL: smsUrl,
        SMS_WEBHOOK_SECRET: SMS_SECRET,
        VOICE_PROVIDER: 'webhook',
        VOICE_WEBHOOK_URL: voiceUrl,
        VOICE_WEBHOOK_SECRET: VOICE_SECRET,
        EMAIL_PROVIDER: 'smtp',
        SMTP_URL: smtpUrl,
        DISPATCH_MAX_ATTEMPTS: '2',
        DISPATCH_RETRY_BASE_MS: '50',
      },
    });
    auth = await createAccount(stack);
  });
  afterAll(async () => {
    await stack?.stop();
    await Promise.all([smsHook.stop(), voiceHook.stop(), smtp.stop()]);
  });

  const uniqueAddress = () => `person${randomInt(1e9)}@example.com`;
  const send = async (to: string, fallback: unknown[]) => {
    const res = await http(stack.url, 'POST', '/2fa/send', {
      auth,
      body: { service: 'login', from: '+14155550000', to, body: BODY, length: 8, timeout: 900, fallback },
    });
    expect(res).toMatchObject({ status: 200, body: { code: 200 } });
    return res.body.requestID as string;
  };
  const verify = (requestId: string, code: string) =>
    http(stack.url, 'POST', '/2fa/verify', { auth, body: { requestId, code } });
  const eventsOf = (requestId: string): Promise<AnyOtpEvent[]> => eventsOfRequest(stack, requestId);
  const smsCode = (to: string) => String(smsHook.to(to)[0].body.text).slice(PREFIX.length);
  /** The RCML reads the code digit by digit, separated by pauses: "1, 2, 3". */
  const spokenCode = (to: string) =>
    /<Say[^>]*>([^<]*)<\/Say>/
      .exec(String(voiceHook.to(to)[0].body.rcml))![1]
      .slice(PREFIX.length)
      .split(', ')
      .join('');
  const emailCode = (address: string) => smtp.to(address)[0].body.trim().slice(PREFIX.length).trim();

  it('moves on when a provider fails: the SMS fails, the call fails, the email delivers the same code, which verifies', async () => {
    const to = uniqueNumber();
    const address = uniqueAddress();
    // 422: a permanent refusal, failed at once (no retry).
    smsHook.script.set(to, [422]);
    voiceHook.script.set(to, [422]);
    const requestId = await send(to, [
      { channel: 'call', after: 300 },
      { channel: 'email', to: address, from: 'otp@example.com', subject: 'Your login code', after: 300 },
    ]);

    const code = await eventually(() => {
      expect(smtp.to(address)).toHaveLength(1);
      return emailCode(address);
    }, 20_000);
    expect(code).toMatch(/^\d{8}$/);
    // The same code went out on every channel.
    expect(smsCode(to)).toBe(code);
    expect(spokenCode(to)).toBe(code);
    expect(smtp.to(address)[0].headers.subject).toBe('Your login code');
    expect(smtp.to(address)[0].envelopeFrom).toBe('otp@example.com');

    const events = await eventually(async () => {
      const all = await eventsOf(requestId);
      expect(all.filter((e) => e.type === 'delivery_status' && e.data.status === 'sent')).toHaveLength(1);
      return all;
    });
    const dispatched = events.filter((e) => e.type === 'dispatched').map((e) => [e.data.dispatchId, e.data.channel]);
    expect(dispatched).toEqual([
      [`${requestId}-1`, 'sms'],
      [`${requestId}-2`, 'call'],
      [`${requestId}-3`, 'email'],
    ]);
    const statuses = events.flatMap((e) =>
      e.type === 'delivery_status' ? [[e.data.dispatchId, e.data.status, e.data.error?.code ?? null]] : [],
    );
    expect(statuses).toEqual([
      [`${requestId}-1`, 'failed', 'http_422'],
      [`${requestId}-2`, 'failed', 'http_422'],
      [`${requestId}-3`, 'sent', null],
    ]);

    expect((await verify(requestId, code)).body).toMatchObject({ code: 200, requestID: requestId });
  });

  it('moves on after `after` seconds without a verify; the late first code verifies too, and nothing more is sent', async () => {
    const to = uniqueNumber();
    const address = uniqueAddress();
    const requestId = await send(to, [
      { channel: 'email', to: address, from: 'otp@example.com', subject: 'Your code', after: 45 },
    ]);
    const code = await eventually(() => {
      expect(smsHook.accepted(to)).toHaveLength(1);
      return smsCode(to);
    });

    stack.clock.advance(44);
    await new Promise((r) => setTimeout(r, 500)); // several sweeps at 100 ms: still too early
    expect(smtp.to(address)).toHaveLength(0);

    stack.clock.advance(1);
    await eventually(() => expect(smtp.to(address)).toHaveLength(1), 20_000);
    expect(emailCode(address)).toBe(code);

    // The SMS arrived late after all: its code is the email's, and it verifies.
    expect((await verify(requestId, code)).body).toMatchObject({ code: 200 });
    expect(smsHook.to(to)).toHaveLength(1);
  });

  it('fails the request when every channel failed: the failed event, then 476 on verify', async () => {
    const to = uniqueNumber();
    const address = uniqueAddress();
    smsHook.script.set(to, [422]);
    smtp.refusals.set(address, [550]);
    const requestId = await send(to, [
      { channel: 'email', to: address, from: 'otp@example.com', subject: 'Your code', after: 300 },
    ]);

    const failed = await eventually(async () => {
      const event = (await eventsOf(requestId)).find((e) => e.type === 'failed');
      expect(event).toBeDefined();
      return event!;
    }, 20_000);
    expect(failed.data).toMatchObject({ status: 'failed', reason: 'delivery_failed' });
    const code = smsCode(to);
    expect(await verify(requestId, code)).toMatchObject({ status: 410, body: { code: 476, requestID: requestId } });
  });
});
