import { eventually } from '../support/eventually';
import type { Credentials } from '../support/http';
import { readCode, sendOtp } from '../support/otp-helpers';
import type { Stack } from '../support/stack';
import { FakeInfobip, FakePlivo, FakeTelnyx } from '../support/vendors/fake-plivo-telnyx-infobip';
import {
  numberIn,
  PUBLIC_URL,
  sdrOnceDelivery,
  startWithProviders,
  statusesOf,
  writeProvidersFile,
} from './provider-helpers';

/**
 * Plivo (GB numbers), Telnyx (US) and Infobip (DE), each alone for its country behind a local
 * server speaking its documented API, proven from /2fa/send.
 */
describe('Plivo, Telnyx and Infobip providers', () => {
  const plivo = new FakePlivo();
  const telnyx = new FakeTelnyx();
  const infobip = new FakeInfobip();
  let stack: Stack;
  let auth: Credentials;

  beforeAll(async () => {
    const [plivoUrl, telnyxUrl, infobipUrl] = await Promise.all([plivo.start(), telnyx.start(), infobip.start()]);
    const file = writeProvidersFile(
      'providers.json',
      JSON.stringify({
        sms: [
          {
            type: 'plivo',
            countries: ['GB'],
            authId: plivo.authId,
            authToken: plivo.authToken,
            from: 'ACME',
            baseUrl: plivoUrl,
          },
          {
            type: 'telnyx',
            countries: ['US'],
            apiKey: telnyx.apiKey,
            publicKey: telnyx.publicKeyBase64,
            from: '+14155550100',
            baseUrl: telnyxUrl,
          },
          { type: 'infobip', countries: ['DE'], apiKey: infobip.apiKey, from: 'ACME', baseUrl: infobipUrl },
        ],
      }),
    );
    ({ stack, auth } = await startWithProviders(file));
  });
  afterAll(async () => {
    await stack?.stop();
    await Promise.all([plivo.stop(), telnyx.stop(), infobip.stop()]);
  });

  const acceptedOnce = async (fake: FakePlivo | FakeTelnyx | FakeInfobip, to: string) =>
    eventually(async () => {
      expect(fake.acceptedFor(to)).toHaveLength(1);
      return fake.acceptedFor(to)[0];
    });

  describe('plivo', () => {
    it('sends the message, and a V3-signed callback becomes delivered (a forged one 401)', async () => {
      const to = numberIn('GB');
      const requestId = await sendOtp(stack, auth, to);
      const message = await acceptedOnce(plivo, to.slice(1));
      const code = await readCode(stack, auth, to, requestId);
      expect(plivo.requestsTo(to.slice(1))[0].headers.authorization).toBe(
        `Basic ${Buffer.from(`${plivo.authId}:${plivo.authToken}`).toString('base64')}`,
      );
      expect(message.fields).toEqual({
        src: 'ACME',
        dst: to.slice(1),
        text: `Your verification code is: ${code}`,
        url: `${PUBLIC_URL}/2fa/callbacks/plivo`,
        method: 'POST',
      });
      const [sent] = await statusesOf(stack, requestId, ['sent']);
      expect(sent.data).toMatchObject({ provider: 'plivo', providerMessageId: message.id });
      expect((await plivo.callback(stack.url, message, 'delivered', '', 'not-the-token')).status).toBe(401);
      expect((await plivo.callback(stack.url, message, 'sent')).status).toBe(200);
      expect((await plivo.callback(stack.url, message, 'delivered', '000')).status).toBe(200);
      await statusesOf(stack, requestId, ['sent', 'delivered']);
    });

    it('retries 429 and 500 and sends once; a 400 fails at once with Plivo’s status in the SDR', async () => {
      const to = numberIn('GB');
      plivo.script.set(to.slice(1), [
        { status: 429, body: { api_id: 'x', error: 'too many requests' } },
        { status: 500, body: { api_id: 'x', error: 'internal error' } },
      ]);
      const requestId = await sendOtp(stack, auth, to);
      await statusesOf(stack, requestId, ['queued', 'queued', 'sent']);
      expect(plivo.requestsTo(to.slice(1)).map((r) => r.status)).toEqual([429, 500, 202]);

      const bad = numberIn('GB');
      plivo.script.set(bad.slice(1), [{ status: 400, body: { api_id: 'x', error: `invalid dst: ${bad.slice(1)}` } }]);
      const failedId = await sendOtp(stack, auth, bad);
      const [failed] = await statusesOf(stack, failedId, ['failed']);
      expect(failed.data.error).toMatchObject({ code: 'plivo_http_400' });
      expect(failed.data.error?.message).not.toContain(bad.slice(1));
      expect(plivo.requestsTo(bad.slice(1))).toHaveLength(1);
      const sdr = await sdrOnceDelivery(stack, auth, failedId, 'failed');
      expect(sdr.attempts[0]).toMatchObject({ provider: 'plivo', error: { code: 'plivo_http_400' } });
    });
  });

  describe('telnyx', () => {
    it('sends the message, and an Ed25519-signed webhook becomes delivered (a forged one 401)', async () => {
      const to = numberIn('US');
      const requestId = await sendOtp(stack, auth, to);
      const message = await acceptedOnce(telnyx, to);
      const code = await readCode(stack, auth, to, requestId);
      expect(telnyx.requestsTo(to)[0].headers.authorization).toBe(`Bearer ${telnyx.apiKey}`);
      expect(message.fields).toEqual({
        from: '+14155550100',
        to,
        text: `Your verification code is: ${code}`,
        webhook_url: `${PUBLIC_URL}/2fa/callbacks/telnyx`,
      });
      const [sent] = await statusesOf(stack, requestId, ['sent']);
      expect(sent.data).toMatchObject({ provider: 'telnyx', providerMessageId: message.id });
      expect((await telnyx.webhook(stack.url, message, 'message.finalized', 'delivered', true)).status).toBe(401);
      expect((await telnyx.webhook(stack.url, message, 'message.sent', 'sent')).status).toBe(200);
      expect((await telnyx.webhook(stack.url, message, 'message.finalized', 'delivered')).status).toBe(200);
      await statusesOf(stack, requestId, ['sent', 'delivered']);
    });

    it('retries 429 and 503 and sends once; an invalid number fails at once with Telnyx’s code', async () => {
      const to = numberIn('US');
      telnyx.script.set(to, [
        { status: 429, body: { errors: [{ code: '10011', title: 'Too many requests' }] } },
        { status: 503, body: { errors: [{ code: '10010', title: 'Service unavailable' }] } },
      ]);
      const requestId = await sendOtp(stack, auth, to);
      await statusesOf(stack, requestId, ['queued', 'queued', 'sent']);
      expect(telnyx.acceptedFor(to)).toHaveLength(1);

      const bad = numberIn('US');
      telnyx.script.set(bad, [
        {
          status: 400,
          body: { errors: [{ code: '40310', title: "Invalid 'to' address", detail: `${bad} is invalid` }] },
        },
      ]);
      const failedId = await sendOtp(stack, auth, bad);
      const [failed] = await statusesOf(stack, failedId, ['failed']);
      expect(failed.data.error).toMatchObject({ code: 'telnyx_40310' });
      expect(telnyx.requestsTo(bad)).toHaveLength(1);
      const sdr = await sdrOnceDelivery(stack, auth, failedId, 'failed');
      expect(sdr.attempts[0]).toMatchObject({ provider: 'telnyx', error: { code: 'telnyx_40310' } });
    });
  });

  describe('infobip', () => {
    it('sends the message under our dispatch id, and its report becomes delivered (without the token 401)', async () => {
      const to = numberIn('DE');
      const requestId = await sendOtp(stack, auth, to);
      const message = await acceptedOnce(infobip, to.slice(1));
      const code = await readCode(stack, auth, to, requestId);
      expect(infobip.requestsTo(to.slice(1))[0].headers.authorization).toBe(`App ${infobip.apiKey}`);
      expect(message.fields).toEqual({
        messages: [
          {
            sender: 'ACME',
            destinations: [{ to: to.slice(1), messageId: `${requestId}-1` }],
            content: { text: `Your verification code is: ${code}` },
            webhooks: {
              delivery: {
                url: expect.stringMatching(new RegExp(`^${PUBLIC_URL}/2fa/callbacks/infobip\\?token=[0-9a-f]{32}$`)),
              },
              contentType: 'application/json',
            },
          },
        ],
      });
      await statusesOf(stack, requestId, ['sent']);
      const forged = `${PUBLIC_URL}/2fa/callbacks/infobip?token=${'0'.repeat(32)}`;
      expect((await infobip.report(stack.url, message, 'DELIVERED', 'DELIVERED_TO_HANDSET', forged)).status).toBe(401);
      expect((await infobip.report(stack.url, message, 'DELIVERED', 'DELIVERED_TO_HANDSET')).status).toBe(200);
      const [, delivered] = await statusesOf(stack, requestId, ['sent', 'delivered']);
      expect(delivered.data).toMatchObject({ provider: 'infobip', providerMessageId: `${requestId}-1` });
    });

    it('retries 429 and 500 and sends once; a rejected message fails at once with Infobip’s status name', async () => {
      const to = numberIn('DE');
      infobip.script.set(to.slice(1), [
        { status: 429, body: { errorCode: 'E429', description: 'Too many requests' } },
        { status: 500 },
      ]);
      const requestId = await sendOtp(stack, auth, to);
      await statusesOf(stack, requestId, ['queued', 'queued', 'sent']);
      expect(infobip.acceptedFor(to.slice(1))).toHaveLength(1);

      const bad = numberIn('DE');
      infobip.script.set(bad.slice(1), [
        {
          status: 200,
          body: {
            messages: [
              {
                messageId: 'x',
                status: {
                  groupId: 5,
                  groupName: 'REJECTED',
                  id: 51,
                  name: 'REJECTED_DESTINATION',
                  description: 'Invalid destination',
                },
              },
            ],
          },
        },
      ]);
      const failedId = await sendOtp(stack, auth, bad);
      const [failed] = await statusesOf(stack, failedId, ['failed']);
      expect(failed.data.error).toMatchObject({ code: 'infobip_REJECTED_DESTINATION' });
      const sdr = await sdrOnceDelivery(stack, auth, failedId, 'failed');
      expect(sdr.attempts[0]).toMatchObject({ provider: 'infobip', error: { code: 'infobip_REJECTED_DESTINATION' } });
    });
  });
});
