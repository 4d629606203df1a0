import { randomInt } from 'node:crypto';
import { eventually } from '../support/eventually';
import type { Credentials } from '../support/http';
import { deliveryStatuses } from '../support/jetstream-helpers';
import { readCode, sendOtp } from '../support/otp-helpers';
import type { Stack } from '../support/stack';
import { FakeSes, FakeSns, REGION, sesError, snsError } from '../support/vendors/fake-aws';
import { deliverCallback } from '../support/vendors/vendor-server';
import {
  numberIn,
  PUBLIC_URL,
  sdrOnceDelivery,
  startWithProviders,
  statusesOf,
  writeProvidersFile,
} from './provider-helpers';

const escape = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

/**
 * Amazon SNS (SMS) and SES (email) through the AWS SDK, each against a local server speaking
 * its documented wire protocol (SNS: the Query API, form-encoded, XML answers; SES v2: REST
 * JSON), both checking the SigV4 signature of every request. SES's delivery reports arrive as
 * the SNS topic's signed notifications to /2fa/callbacks/ses.
 */
describe('Amazon SNS and SES providers', () => {
  const sns = new FakeSns();
  const ses = new FakeSes();
  let stack: Stack;
  let auth: Credentials;

  beforeAll(async () => {
    const [snsUrl, sesUrl] = await Promise.all([sns.start(), ses.start()]);
    const file = writeProvidersFile(
      'providers.json',
      JSON.stringify({
        sms: [{ type: 'sns', region: REGION, ...sns.keys, from: 'ACME', baseUrl: snsUrl }],
        email: [
          {
            type: 'ses',
            region: REGION,
            accessKeyId: ses.keys.accessKeyId,
            // As in deploy/k8s: the file names the variable, a Secret sets it.
            secretAccessKey: '${SES_SECRET_ACCESS_KEY}',
            configurationSetName: ses.configurationSetName,
            topicArn: sns.topicArn,
            // The fake SNS plays sns.<region>.amazonaws.com; only its address is trusted.
            snsUrlPattern: `^${escape(snsUrl)}/`,
            baseUrl: sesUrl,
          },
        ],
      }),
    );
    ({ stack, auth } = await startWithProviders(file, { SES_SECRET_ACCESS_KEY: ses.keys.secretAccessKey }));
  });
  afterAll(async () => {
    await stack?.stop();
    await Promise.all([sns.stop(), ses.stop()]);
  });

  describe('sns', () => {
    it('publishes to the phone number, SigV4-signed, as a transactional SMS from the sender ID', async () => {
      const to = numberIn('GB');
      const requestId = await sendOtp(stack, auth, to);
      const published = await eventually(async () => {
        expect(sns.publishedTo(to)).toHaveLength(1);
        return sns.publishedTo(to)[0];
      });
      const code = await readCode(stack, auth, to, requestId);
      expect(sns.requestsTo(to)[0].headers.authorization).toMatch(
        new RegExp(`^AWS4-HMAC-SHA256 Credential=${sns.keys.accessKeyId}/\\d{8}/${REGION}/sns/aws4_request, `),
      );
      expect(published.fields).toMatchObject({
        Action: 'Publish',
        Version: '2010-03-31',
        PhoneNumber: to,
        Message: `Your verification code is: ${code}`,
      });
      expect(published.attributes).toEqual({ 'AWS.SNS.SMS.SMSType': 'Transactional', 'AWS.SNS.SMS.SenderID': 'ACME' });
      const [sent] = await statusesOf(stack, requestId, ['sent']);
      expect(sent.data).toMatchObject({ provider: 'sns', providerMessageId: published.id });
      // SNS reports no SMS delivery over HTTP: the provider has no callback.
      expect((await deliverCallback(stack.url, `${PUBLIC_URL}/2fa/callbacks/sns`, { body: '{}' })).status).toBe(404);
    });

    it('retries Throttled and InternalError and publishes once; InvalidParameter fails at once with its code', async () => {
      const to = numberIn('GB');
      sns.script.set(to, [snsError(429, 'Throttled', 'Rate exceeded'), snsError(500, 'InternalError', 'Internal')]);
      const requestId = await sendOtp(stack, auth, to);
      await statusesOf(stack, requestId, ['queued', 'queued', 'sent']);
      expect(sns.requestsTo(to).map((r) => r.status)).toEqual([429, 500, 200]);
      expect(sns.publishedTo(to)).toHaveLength(1);

      const bad = numberIn('GB');
      sns.script.set(bad, [
        snsError(400, 'InvalidParameter', `Invalid parameter: PhoneNumber Reason: ${bad} is not valid`),
      ]);
      const failedId = await sendOtp(stack, auth, bad);
      const [failed] = await statusesOf(stack, failedId, ['failed']);
      expect(failed.data.error).toMatchObject({ code: 'sns_InvalidParameter' });
      expect(failed.data.error?.message).not.toContain(bad.slice(4));
      expect(sns.requestsTo(bad)).toHaveLength(1);
      const sdr = await sdrOnceDelivery(stack, auth, failedId, 'failed');
      expect(sdr.attempts[0]).toMatchObject({ provider: 'sns', error: { code: 'sns_InvalidParameter' } });

      const optedOut = numberIn('GB');
      sns.script.set(optedOut, [snsError(400, 'OptedOut', 'Phone number is opted out')]);
      const [refused] = await statusesOf(stack, await sendOtp(stack, auth, optedOut), ['failed']);
      expect(refused.data.error).toMatchObject({ code: 'sns_OptedOut' });
      expect(JSON.stringify([failed, refused])).not.toContain(sns.keys.secretAccessKey);
    });
  });

  describe('ses', () => {
    const address = () => `person${randomInt(1e9)}@example.com`;
    const send = (to: string) =>
      sendOtp(stack, auth, to, { channel: 'email', from: 'no-reply@acme.example', subject: 'Your ACME code' });
    const endpoint = `${PUBLIC_URL}/2fa/callbacks/ses`;

    it('confirms the SNS subscription once its signature holds, and refuses a forged confirmation', async () => {
      const forged = await sns.deliver(stack.url, endpoint, 'SubscriptionConfirmation', 'confirm', {
        tamper: (doc) => (doc.SubscribeURL = `${doc.SubscribeURL}&x=1`),
      });
      expect(forged.status).toBe(401);
      expect(sns.confirmations).toHaveLength(0);
      const res = await sns.deliver(stack.url, endpoint, 'SubscriptionConfirmation', 'You have chosen to subscribe');
      expect(res.status).toBe(200);
      expect(sns.confirmations).toHaveLength(1);
    });

    it('sends the email, SigV4-signed and tagged; a signed Delivery event becomes delivered, forgeries 401', async () => {
      const to = address();
      const requestId = await send(to);
      const sent = await eventually(async () => {
        expect(ses.sentTo(to)).toHaveLength(1);
        return ses.sentTo(to)[0];
      });
      const code = await readCode(stack, auth, to, requestId);
      expect(ses.requestsTo(to)[0].headers.authorization).toMatch(
        new RegExp(`^AWS4-HMAC-SHA256 Credential=${ses.keys.accessKeyId}/\\d{8}/${REGION}/ses/aws4_request, `),
      );
      expect(sent.fields).toEqual({
        FromEmailAddress: 'no-reply@acme.example',
        Destination: { ToAddresses: [to] },
        Content: {
          Simple: {
            Subject: { Data: 'Your ACME code', Charset: 'UTF-8' },
            Body: { Text: { Data: `Your verification code is: ${code}`, Charset: 'UTF-8' } },
          },
        },
        ConfigurationSetName: ses.configurationSetName,
        EmailTags: [{ Name: 'smart2fa-dispatch-id', Value: `${requestId}-1` }],
      });
      const [first] = await statusesOf(stack, requestId, ['sent']);
      expect(first.data).toMatchObject({ provider: 'ses', providerMessageId: sent.id });

      const delivery = ses.event(sent, 'Delivery');
      // Changed after signing; signed by SNS but for another topic; a certificate from elsewhere.
      const tampered = await sns.deliver(stack.url, endpoint, 'Notification', delivery, {
        tamper: (doc) => (doc.Message = ses.event(sent, 'Delivery', { extra: 1 })),
      });
      const otherTopic = await sns.deliver(stack.url, endpoint, 'Notification', delivery, {
        topicArn: `${sns.topicArn}-other`,
      });
      const foreignCert = await sns.deliver(stack.url, endpoint, 'Notification', delivery, {
        signingCertUrl: 'http://localhost:9/SimpleNotificationService-x.pem',
      });
      expect([tampered.status, otherTopic.status, foreignCert.status]).toEqual([401, 401, 401]);
      expect((await sns.deliver(stack.url, endpoint, 'Notification', ses.event(sent, 'Send'))).status).toBe(200);
      expect((await sns.deliver(stack.url, endpoint, 'Notification', delivery)).status).toBe(200);
      const [, delivered] = await statusesOf(stack, requestId, ['sent', 'delivered']);
      expect(delivered.data).toMatchObject({ provider: 'ses', providerMessageId: sent.id });
    });

    it('a Bounce event becomes undelivered with the bounce type in the SDR', async () => {
      const to = address();
      const requestId = await send(to);
      const sent = await eventually(async () => {
        expect(ses.sentTo(to)).toHaveLength(1);
        return ses.sentTo(to)[0];
      });
      await statusesOf(stack, requestId, ['sent']);
      expect((await sns.deliver(stack.url, endpoint, 'Notification', ses.event(sent, 'Bounce'))).status).toBe(200);
      const [, bounced] = await statusesOf(stack, requestId, ['sent', 'undelivered']);
      expect(bounced.data.error).toMatchObject({ code: 'ses_bounce_Permanent_General' });
      const sdr = await sdrOnceDelivery(stack, auth, requestId, 'undelivered');
      expect(sdr.attempts[0]).toMatchObject({ provider: 'ses', providerMessageId: sent.id });
    });

    it('retries TooManyRequests and InternalFailure and sends once; MessageRejected fails at once', async () => {
      const to = address();
      ses.script.set(to, [
        sesError(429, 'TooManyRequestsException', 'Maximum sending rate exceeded.'),
        sesError(500, 'InternalFailure', 'Internal'),
      ]);
      const requestId = await send(to);
      await statusesOf(stack, requestId, ['queued', 'queued', 'sent']);
      expect(ses.requestsTo(to).map((r) => r.status)).toEqual([429, 500, 200]);
      expect(ses.sentTo(to)).toHaveLength(1);

      const bad = address();
      ses.script.set(bad, [sesError(400, 'MessageRejected', 'Email address is not verified.')]);
      const failedId = await send(bad);
      const [failed] = await statusesOf(stack, failedId, ['failed']);
      expect(failed.data.error).toMatchObject({ code: 'ses_MessageRejected' });
      expect(ses.requestsTo(bad)).toHaveLength(1);
      const sdr = await sdrOnceDelivery(stack, auth, failedId, 'failed');
      expect(sdr.attempts[0]).toMatchObject({ provider: 'ses', error: { code: 'ses_MessageRejected' } });
      const events = await deliveryStatuses(stack, failedId);
      expect(JSON.stringify(events)).not.toContain(ses.keys.secretAccessKey);
    });
  });
});
