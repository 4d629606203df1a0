import type { DispatchMessage } from '@app/contracts';
import { SendEmailCommand, SESv2Client } from '@aws-sdk/client-sesv2';
import { z } from 'zod';
import { type Accepted, type CallbackRequest, type CallbackVerdict, withTimeout } from '../../provider';
import type { ProviderContext } from '../../provider-settings';
import { awsClientConfig, awsFailure, AwsSettings } from '../aws/aws-client';
import { parseSnsMessage, SNS_URL_PATTERN, SnsSignatureVerifier } from '../aws/sns-message';
import { reportOf, type StatusMap, VendorProvider } from '../vendor-provider';

/** The message tag that carries our dispatch id into SES's event notifications (`mail.tags`). */
export const DISPATCH_TAG = 'smart2fa-dispatch-id';

const SesSettings = AwsSettings.and(
  z.object({
    /** `FromEmailAddress`: a verified identity; the send's `from` when absent. */
    from: z.string().min(3).optional(),
    /** The configuration set whose event destination (an SNS topic) reports deliveries. */
    configurationSetName: z.string().min(1).optional(),
    /** The topic(s) of those reports: a signed message from any other topic is refused. */
    topicArn: z.union([z.string().startsWith('arn:'), z.array(z.string().startsWith('arn:')).min(1)]).optional(),
    /** What SigningCertURL and SubscribeURL must match (SNS's own HTTPS hosts unless told otherwise). */
    snsUrlPattern: z.string().default(SNS_URL_PATTERN),
  }),
);

/**
 * SendEmail codes about this message (SES v2's SendEmail errors): SES refused its content or
 * a recipient (`MessageRejected`) or the request is malformed (`BadRequestException`, an
 * invalid address). The rest — a suspended or paused account, an unverified MAIL FROM domain,
 * the sending quota, throttling — is about the account, for a retry or the next provider.
 */
const PERMANENT_CODES = new Set(['MessageRejected', 'BadRequestException']);

/** The events that settle a message; `Send`, `DeliveryDelay`, `Complaint`, `Open`, `Click` do not. */
const SES_STATUSES: StatusMap = {
  Delivery: 'delivered',
  Bounce: 'undelivered',
  Reject: 'failed',
  RenderingFailure: 'failed',
};

interface SesEvent {
  eventType?: string;
  notificationType?: string;
  mail?: { messageId?: string; tags?: Record<string, string[]> };
  bounce?: { bounceType?: string; bounceSubType?: string; bouncedRecipients?: { status?: string }[] };
  reject?: { reason?: string };
}

/**
 * Email through Amazon SES: `SendEmail` of the SES API v2 (`POST /v2/email/outbound-emails`,
 * JSON, signed with Signature Version 4) through the AWS SDK, a Simple message (subject and
 * text, UTF-8), tagged with our dispatch id; SES answers the `MessageId`. Delivery reports are
 * SES's event notifications: the configuration set's event destination is an SNS topic with an
 * HTTPS subscription to `/2fa/callbacks/{name}`. Each SNS message is checked (the signature of
 * the certificate at an SNS-hosted SigningCertURL, the topic); a subscription confirmation is
 * confirmed by visiting its SubscribeURL (an SNS URL too). Events: `Delivery` → delivered,
 * `Bounce` → undelivered (`ses_bounce_<type>_<subtype>`), `Reject` and `RenderingFailure` →
 * failed; `Send`, `DeliveryDelay`, `Complaint`, `Open`, `Click` change nothing. Identity
 * notifications (`notificationType`) are read the same way.
 */
export class SesEmailProvider extends VendorProvider<typeof SesSettings> {
  private readonly client: SESv2Client;
  private readonly sns: SnsSignatureVerifier;
  private readonly topics: ReadonlySet<string>;

  constructor(ctx: ProviderContext) {
    super(ctx, SesSettings, 'sdk');
    this.client = new SESv2Client(awsClientConfig(ctx, this.settings, this.baseUrl));
    this.sns = new SnsSignatureVerifier(this.settings.snsUrlPattern, ctx.timeoutMs);
    const topic = this.settings.topicArn;
    this.topics = new Set(topic === undefined ? [] : Array.isArray(topic) ? topic : [topic]);
  }

  async send(message: DispatchMessage): Promise<Accepted> {
    const { from, configurationSetName } = this.settings;
    const command = new SendEmailCommand({
      FromEmailAddress: from ?? message.from,
      Destination: { ToAddresses: [message.to] },
      Content: {
        Simple: {
          Subject: { Data: message.subject ?? '', Charset: 'UTF-8' },
          Body: { Text: { Data: message.text, Charset: 'UTF-8' } },
        },
      },
      ...(configurationSetName ? { ConfigurationSetName: configurationSetName } : {}),
      // Tag values take letters, digits, _ and - only; our ids are made of those.
      ...(/^[A-Za-z0-9_-]{1,256}$/.test(message.dispatchId)
        ? { EmailTags: [{ Name: DISPATCH_TAG, Value: message.dispatchId }] }
        : {}),
    });
    try {
      const answer = await withTimeout(this.client.send(command), this.ctx.timeoutMs);
      if (!answer.MessageId) throw new Error('SES answered without a MessageId');
      return { providerMessageId: answer.MessageId, units: 1 };
    } catch (error) {
      throw awsFailure('ses', error, PERMANENT_CODES);
    }
  }

  async handleCallback(request: CallbackRequest): Promise<CallbackVerdict> {
    const m = parseSnsMessage(request.body);
    if (!m) return { kind: 'forged', reason: 'not a signed SNS message' };
    if (!(await this.sns.verify(m))) return { kind: 'forged', reason: 'the SNS signature does not verify' };
    if (!this.topics.has(m.TopicArn)) return { kind: 'forged', reason: 'the SNS topic is not the configured topicArn' };
    if (m.Type === 'SubscriptionConfirmation') return this.confirm(m.SubscribeURL as string);
    if (m.Type !== 'Notification') return { kind: 'accepted', reports: [] };
    let event: SesEvent;
    try {
      event = JSON.parse(m.Message) as SesEvent;
    } catch {
      return { kind: 'invalid', message: 'Message is not an SES event', field: 'Message' };
    }
    const id = event.mail?.messageId;
    if (!id) return { kind: 'invalid', message: 'mail.messageId is required', field: 'Message' };
    const ids = { providerMessageId: id, dispatchId: event.mail?.tags?.[DISPATCH_TAG]?.[0] };
    const type = event.eventType ?? event.notificationType ?? '';
    const code =
      type === 'Bounce'
        ? `ses_bounce_${event.bounce?.bounceType ?? 'Undetermined'}_${event.bounce?.bounceSubType ?? 'Undetermined'}`
        : `ses_${type}`;
    const detail = event.bounce?.bouncedRecipients?.[0]?.status ?? event.reject?.reason;
    return reportOf(ids, SES_STATUSES, type, {
      code,
      message: `SES reported ${type}${detail ? ` (${String(detail).slice(0, 100)})` : ''}`,
    });
  }

  /** Confirms the topic's subscription to our callback URL, once its message proved to be SNS's. */
  private async confirm(subscribeUrl: string): Promise<CallbackVerdict> {
    if (!this.sns.trusts(subscribeUrl)) return { kind: 'forged', reason: 'SubscribeURL is not an SNS URL' };
    try {
      const res = await fetch(subscribeUrl, { signal: AbortSignal.timeout(this.ctx.timeoutMs), redirect: 'error' });
      if (!res.ok) throw new Error(`answered ${res.status}`);
    } catch (error) {
      return {
        kind: 'invalid',
        message: `the subscription could not be confirmed: ${(error as Error).message}`,
        field: 'SubscribeURL',
      };
    }
    return { kind: 'accepted', reports: [] };
  }

  async close(): Promise<void> {
    this.client.destroy();
  }
}
