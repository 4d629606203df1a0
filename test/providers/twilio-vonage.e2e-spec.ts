import { stringify } from 'yaml';
import { callbackToken } from '../../libs/dispatch/src/providers/vonage/vonage-sms.provider';
import { eventually } from '../support/eventually';
import type { Credentials } from '../support/http';
import { deliveryStatuses } from '../support/jetstream-helpers';
import { readCode, sendOtp } from '../support/otp-helpers';
import type { Stack } from '../support/stack';
import { error, FakeTwilio } from '../support/vendors/fake-twilio';
import { FakeVonage } from '../support/vendors/fake-vonage';
import {
  numberIn,
  PUBLIC_URL,
  sdrOnceDelivery,
  startWithProviders,
  statusesOf,
  writeProvidersFile,
} from './provider-helpers';

/**
 * Twilio and Vonage, each behind a local server that speaks its documented API, proven from
 * /2fa/send: what the vendor receives, signed reports (and forged ones), retries, permanent
 * errors. GB numbers go to Twilio, German ones to Vonage (so each is alone for its country).
 */
describe('Twilio and Vonage providers', () => {
  const twilio = new FakeTwilio();
  const vonage = new FakeVonage();
  let stack: Stack;
  let auth: Credentials;

  beforeAll(async () => {
    const [twilioUrl, vonageUrl] = await Promise.all([twilio.start(), vonage.start()]);
    const twilioEntry = {
      type: 'twilio',
      countries: ['GB'],
      accountSid: twilio.accountSid,
      authToken: twilio.authToken,
      from: '+447700900123',
      baseUrl: twilioUrl,
    };
    const file = writeProvidersFile(
      'providers.yaml',
      stringify({
        sms: [
          { name: 'twilio', ...twilioEntry },
          {
            name: 'vonage',
            type: 'vonage',
            countries: ['DE'],
            apiKey: vonage.apiKey,
            apiSecret: vonage.apiSecret,
            signatureSecret: vonage.signatureSecret,
            signatureMethod: 'sha256',
            from: 'ACME',
            baseUrl: vonageUrl,
          },
        ],
        call: [
          { name: 'twilio-voice', ...twilioEntry },
          {
            name: 'vonage-voice',
            type: 'vonage',
            countries: ['DE'],
            applicationId: vonage.applicationId,
            privateKey: vonage.privateKeyPem,
            signatureSecret: vonage.signatureSecret,
            from: '+493012345678',
            baseUrl: vonageUrl,
          },
        ],
      }),
    );
    ({ stack, auth } = await startWithProviders(file));
  });
  afterAll(async () => {
    await stack?.stop();
    await Promise.all([twilio.stop(), vonage.stop()]);
  });

  describe('twilio', () => {
    it('sends through the Messages API, and its signed status callback becomes delivered (a forged one 401)', async () => {
      const to = numberIn('GB');
      const requestId = await sendOtp(stack, auth, to);
      const [message] = await eventually(async () => {
        expect(twilio.createdFor(to)).toHaveLength(1);
        return twilio.createdFor(to);
      });
      const code = await readCode(stack, auth, to, requestId);
      expect(twilio.requestsTo(to)[0].headers.authorization).toBe(
        `Basic ${Buffer.from(`${twilio.accountSid}:${twilio.authToken}`).toString('base64')}`,
      );
      expect(message.fields).toEqual({
        To: to,
        From: '+447700900123',
        Body: `Your verification code is: ${code}`,
        StatusCallback: `${PUBLIC_URL}/2fa/callbacks/twilio`,
      });
      const [sent] = await statusesOf(stack, requestId, ['sent']);
      expect(sent.data).toMatchObject({ provider: 'twilio', providerMessageId: message.sid, units: 1 });

      // Signed with another token, or a parameter changed after signing: refused.
      expect(
        await twilio.statusCallback(stack.url, message, { MessageStatus: 'delivered' }, 'f'.repeat(32)),
      ).toMatchObject({ status: 401, body: { code: 401 } });
      // An interim status changes nothing; the final one is delivered.
      expect((await twilio.statusCallback(stack.url, message, { MessageStatus: 'sent' })).status).toBe(200);
      expect(await twilio.statusCallback(stack.url, message, { MessageStatus: 'delivered' })).toMatchObject({
        status: 200,
        body: { code: 200, message: 'OK' },
      });
      await statusesOf(stack, requestId, ['sent', 'delivered']);
      const sdr = await sdrOnceDelivery(stack, auth, requestId, 'delivered');
      expect(sdr.attempts[0]).toMatchObject({
        provider: 'twilio',
        providerMessageId: message.sid,
        status: 'delivered',
      });
    });

    it('retries 429 and 503 and sends the message once', async () => {
      const to = numberIn('GB');
      twilio.script.set(to, [error(429, 20429, 'Too Many Requests'), error(503, 20503, 'Service Unavailable')]);
      const requestId = await sendOtp(stack, auth, to);
      await statusesOf(stack, requestId, ['queued', 'queued', 'sent']);
      expect(twilio.requestsTo(to).map((r) => r.status)).toEqual([429, 503, 201]);
      expect(twilio.createdFor(to)).toHaveLength(1);
      const statuses = await deliveryStatuses(stack, requestId);
      expect(statuses[0].data.error).toMatchObject({ code: 'twilio_20429' });
    });

    it('fails at once on an invalid number, with Twilio’s code in the SDR', async () => {
      const to = numberIn('GB');
      twilio.script.set(to, [error(400, 21211, `The 'To' number ${to} is not a valid phone number.`)]);
      const requestId = await sendOtp(stack, auth, to);
      const [failed] = await statusesOf(stack, requestId, ['failed']);
      expect(failed.data.error).toMatchObject({ code: 'twilio_21211' });
      // The vendor's text is kept, the number is not.
      expect(failed.data.error?.message).not.toContain(to.slice(1));
      expect(twilio.requestsTo(to)).toHaveLength(1);
      const sdr = await sdrOnceDelivery(stack, auth, requestId, 'failed');
      expect(sdr.attempts[0]).toMatchObject({ provider: 'twilio', error: { code: 'twilio_21211' } });
    });

    it('places a call with inline TwiML and maps the call status callback', async () => {
      const to = numberIn('GB');
      const requestId = await sendOtp(stack, auth, to, {
        channel: 'call',
        language: 'en-GB',
        voice: 'male',
        repeat: 2,
      });
      const [call] = await eventually(async () => {
        expect(twilio.createdFor(to)).toHaveLength(1);
        return twilio.createdFor(to);
      });
      const code = await readCode(stack, auth, to, requestId);
      expect(call.kind).toBe('Calls');
      expect(call.fields).toEqual({
        To: to,
        From: '+447700900123',
        Twiml:
          '<?xml version="1.0" encoding="UTF-8"?><Response><Say voice="man" language="en-GB" loop="2">' +
          `Your verification code is: ${code.split('').join(', ')}</Say></Response>`,
        StatusCallback: `${PUBLIC_URL}/2fa/callbacks/twilio-voice`,
      });
      await statusesOf(stack, requestId, ['sent']);
      expect((await twilio.statusCallback(stack.url, call, { CallStatus: 'completed' }, 'x'.repeat(32))).status).toBe(
        401,
      );
      expect(
        (await twilio.statusCallback(stack.url, call, { CallStatus: 'completed', CallDuration: '9' })).status,
      ).toBe(200);
      const [, delivered] = await statusesOf(stack, requestId, ['sent', 'delivered']);
      expect(delivered.data).toMatchObject({ channel: 'call', provider: 'twilio-voice', providerMessageId: call.sid });
    });
  });

  describe('vonage', () => {
    it('sends through the SMS API, and its signed delivery receipt becomes delivered (a forged one 401)', async () => {
      const to = numberIn('DE');
      const requestId = await sendOtp(stack, auth, to);
      const [sms] = await eventually(async () => {
        expect(vonage.messages.filter((m) => m.fields.to === to.slice(1))).toHaveLength(1);
        return vonage.messages.filter((m) => m.fields.to === to.slice(1));
      });
      const code = await readCode(stack, auth, to, requestId);
      expect(vonage.requestsTo(to.slice(1))[0].headers['content-type']).toBe('application/json');
      expect(sms.fields).toEqual({
        api_key: vonage.apiKey,
        api_secret: vonage.apiSecret,
        from: 'ACME',
        to: to.slice(1),
        text: `Your verification code is: ${code}`,
        'client-ref': `${requestId}-1`,
        callback: `${PUBLIC_URL}/2fa/callbacks/vonage?token=${callbackToken(vonage.apiSecret)}`,
      });
      const [sent] = await statusesOf(stack, requestId, ['sent']);
      expect(sent.data).toMatchObject({ provider: 'vonage', providerMessageId: sms.messageId });

      expect((await vonage.deliveryReceipt(stack.url, sms, 'delivered', '0', 'not-the-signature-secret')).status).toBe(
        401,
      );
      expect((await vonage.deliveryReceipt(stack.url, sms, 'buffered')).status).toBe(200);
      expect((await vonage.deliveryReceipt(stack.url, sms, 'delivered')).status).toBe(200);
      await statusesOf(stack, requestId, ['sent', 'delivered']);
      await sdrOnceDelivery(stack, auth, requestId, 'delivered');
    });

    it('retries HTTP 429 and a throttled answer, and sends once', async () => {
      const to = numberIn('DE');
      vonage.script.set(to.slice(1), [
        { status: 429 },
        {
          status: 200,
          body: { 'message-count': '1', messages: [{ status: '1', 'error-text': 'Throughput Rate Exceeded' }] },
        },
      ]);
      const requestId = await sendOtp(stack, auth, to);
      await statusesOf(stack, requestId, ['queued', 'queued', 'sent']);
      expect(vonage.requestsTo(to.slice(1))).toHaveLength(3);
      expect(vonage.messages.filter((m) => m.fields.to === to.slice(1))).toHaveLength(1);
    });

    it('fails at once on a refused number, with Vonage’s status in the SDR; an undelivered receipt maps too', async () => {
      const to = numberIn('DE');
      vonage.script.set(to.slice(1), [
        {
          status: 200,
          body: { 'message-count': '1', messages: [{ status: '3', 'error-text': 'Invalid to address' }] },
        },
      ]);
      const requestId = await sendOtp(stack, auth, to);
      const [failed] = await statusesOf(stack, requestId, ['failed']);
      expect(failed.data.error).toMatchObject({ code: 'vonage_3' });
      expect(vonage.requestsTo(to.slice(1))).toHaveLength(1);
      const sdr = await sdrOnceDelivery(stack, auth, requestId, 'failed');
      expect(sdr.attempts[0]).toMatchObject({ provider: 'vonage', error: { code: 'vonage_3' } });

      const other = numberIn('DE');
      const second = await sendOtp(stack, auth, other);
      await statusesOf(stack, second, ['sent']);
      const sms = vonage.messages.find((m) => m.fields.to === other.slice(1));
      expect((await vonage.deliveryReceipt(stack.url, sms!, 'failed', '1')).status).toBe(200);
      const [, undelivered] = await statusesOf(stack, second, ['sent', 'undelivered']);
      expect(undelivered.data.error).toMatchObject({ code: 'vonage_1' });
    });

    it('places a call with an NCCO under the application JWT, and maps its signed events', async () => {
      const to = numberIn('DE');
      const requestId = await sendOtp(stack, auth, to, { channel: 'call', language: 'de-DE', repeat: 2 });
      const [call] = await eventually(async () => {
        expect(vonage.calls.filter((c) => c.body.to[0].number === to.slice(1))).toHaveLength(1);
        return vonage.calls.filter((c) => c.body.to[0].number === to.slice(1));
      });
      const code = await readCode(stack, auth, to, requestId);
      expect(call.body).toEqual({
        to: [{ type: 'phone', number: to.slice(1) }],
        from: { type: 'phone', number: '493012345678' },
        ncco: [
          {
            action: 'talk',
            text: `Your verification code is: ${code.split('').join(', ')}`,
            language: 'de-DE',
            style: 0,
            loop: 2,
          },
        ],
        event_url: [`${PUBLIC_URL}/2fa/callbacks/vonage-voice`],
        event_method: 'POST',
      });
      await statusesOf(stack, requestId, ['sent']);
      expect((await vonage.callEvent(stack.url, call, 'completed', 'wrong-secret')).status).toBe(401);
      expect((await vonage.callEvent(stack.url, call, 'answered')).status).toBe(200);
      expect((await vonage.callEvent(stack.url, call, 'completed')).status).toBe(200);
      const [, delivered] = await statusesOf(stack, requestId, ['sent', 'delivered']);
      expect(delivered.data).toMatchObject({ provider: 'vonage-voice', providerMessageId: call.uuid });
    });
  });
});
