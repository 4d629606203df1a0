import { execFileSync } from 'node:child_process';
import { createHash, createHmac, randomBytes, randomUUID, sign } from 'node:crypto';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { deliverCallback, Script, type VendorAnswer, type VendorRequest, VendorServer } from './vendor-server';

export const REGION = 'eu-west-1';
const ACCOUNT = '123456789012';

/** An access key pair as IAM issues them. */
export function awsKeys(): { accessKeyId: string; secretAccessKey: string } {
  return {
    accessKeyId: `AKIA${randomBytes(8).toString('hex').toUpperCase()}`,
    secretAccessKey: randomBytes(30).toString('base64'),
  };
}

const hmac = (key: string | Buffer, data: string) => createHmac('sha256', key).update(data, 'utf8').digest();
const sha256 = (data: string) => createHash('sha256').update(data, 'utf8').digest('hex');
const uriEncode = (s: string) => encodeURIComponent(s).replace(/[!'()*]/g, (c) => `%${c.charCodeAt(0).toString(16)}`);

/**
 * Checks a request's Signature Version 4 as AWS does (the canonical request of method, path,
 * sorted query, the signed headers and the payload's SHA-256; the string to sign over the
 * credential scope; the signing key derived from the secret, date, region and service).
 */
export function sigV4Holds(
  r: VendorRequest,
  keys: { accessKeyId: string; secretAccessKey: string },
  service: string,
): boolean {
  const m =
    /^AWS4-HMAC-SHA256 Credential=([^/]+)\/(\d{8})\/([^/]+)\/([^/]+)\/aws4_request, SignedHeaders=([^,]+), Signature=([0-9a-f]{64})$/.exec(
      String(r.headers.authorization ?? ''),
    );
  if (!m) return false;
  const [, keyId, date, region, signedService, signedHeaders, signature] = m;
  if (keyId !== keys.accessKeyId || region !== REGION || signedService !== service) return false;
  const payloadHash = sha256(r.raw);
  const declared = r.headers['x-amz-content-sha256'];
  if (declared !== undefined && declared !== payloadHash) return false;
  const names = signedHeaders.split(';');
  if (!names.includes('host') || !names.includes('x-amz-date')) return false;
  const canonicalHeaders = names
    .map(
      (h) =>
        `${h}:${String(r.headers[h] ?? '')
          .trim()
          .replace(/\s+/g, ' ')}\n`,
    )
    .join('');
  const canonicalQuery = [...r.query.entries()]
    .map(([k, v]) => [uriEncode(k), uriEncode(v)])
    .sort(([a, x], [b, y]) => (a === b ? (x < y ? -1 : 1) : a < b ? -1 : 1))
    .map(([k, v]) => `${k}=${v}`)
    .join('&');
  const canonical = [r.method, r.path, canonicalQuery, canonicalHeaders, signedHeaders, payloadHash].join('\n');
  const amzDate = String(r.headers['x-amz-date']);
  const scope = `${date}/${region}/${service}/aws4_request`;
  const toSign = ['AWS4-HMAC-SHA256', amzDate, scope, sha256(canonical)].join('\n');
  const key = hmac(hmac(hmac(hmac(`AWS4${keys.secretAccessKey}`, date), region), service), 'aws4_request');
  return hmac(key, toSign).toString('hex') === signature;
}

const xmlEscape = (s: string) =>
  s.replace(/[<>&'"]/g, (c) => ({ '<': '&lt;', '>': '&gt;', '&': '&amp;', "'": '&apos;', '"': '&quot;' })[c] as string);

/** A Query API error as SNS answers it (`ErrorResponse`, XML). */
export function snsError(status: number, code: string, message: string): VendorAnswer {
  const type = status >= 500 ? 'Receiver' : 'Sender';
  return {
    status,
    contentType: 'text/xml',
    text: `<ErrorResponse xmlns="http://sns.amazonaws.com/doc/2010-03-31/"><Error><Type>${type}</Type><Code>${code}</Code><Message>${xmlEscape(message)}</Message></Error><RequestId>${randomUUID()}</RequestId></ErrorResponse>`,
  };
}

/** A REST-JSON error as SES v2 answers it (the code in `x-amzn-ErrorType`, the text in `message`). */
export function sesError(status: number, code: string, message: string): VendorAnswer {
  return {
    status,
    headers: { 'x-amzn-errortype': `${code}:http://internal.amazon.com/coral/com.amazonaws.sesv2/` },
    body: { message },
  };
}

export interface SnsPublish {
  id: string;
  fields: Record<string, string>;
  /** `MessageAttributes.entry.N.Name/Value.StringValue` as a name → value map. */
  attributes: Record<string, string>;
}

/**
 * Amazon SNS on loopback, as its API reference documents it: the Query API (`POST /`, a
 * form-encoded `Action=Publish&Version=2010-03-31&PhoneNumber=…&Message=…` with
 * `MessageAttributes.entry.N` attributes, signed with SigV4 for service `sns`), answered in XML
 * (`PublishResponse/PublishResult/MessageId`, or `ErrorResponse`). It also plays a topic with
 * an HTTPS subscription: it signs the messages it delivers (SignatureVersion 2, SHA256withRSA)
 * with the key of a certificate it serves at its SigningCertURL, and answers the
 * `ConfirmSubscription` a SubscribeURL asks for.
 */
export class FakeSns {
  readonly keys = awsKeys();
  readonly topicArn = `arn:aws:sns:${REGION}:${ACCOUNT}:ses-events-${randomBytes(3).toString('hex')}`;
  readonly script = new Script();
  readonly published: SnsPublish[] = [];
  readonly confirmations: string[] = [];
  readonly server = new VendorServer((r) => this.route(r));
  url = '';
  private readonly certPath = `/SimpleNotificationService-${randomBytes(16).toString('hex')}.pem`;
  private readonly signing: { key: string; cert: string };

  constructor() {
    // A self-signed certificate, as SNS's are served: node:crypto verifies but cannot issue one.
    const dir = mkdtempSync(join(tmpdir(), 'fake-sns-'));
    execFileSync(
      'openssl',
      [
        'req',
        '-x509',
        '-newkey',
        'rsa:2048',
        '-nodes',
        '-days',
        '1',
        '-subj',
        '/CN=sns.amazonaws.com',
        '-keyout',
        join(dir, 'key.pem'),
        '-out',
        join(dir, 'cert.pem'),
      ],
      { stdio: 'ignore' },
    );
    this.signing = {
      key: readFileSync(join(dir, 'key.pem'), 'utf8'),
      cert: readFileSync(join(dir, 'cert.pem'), 'utf8'),
    };
  }

  async start(): Promise<string> {
    this.url = await this.server.start();
    return this.url;
  }

  stop(): Promise<void> {
    return this.server.stop();
  }

  requestsTo(phoneNumber: string): VendorRequest[] {
    return this.server.requests.filter((r) => r.fields.Action === 'Publish' && r.fields.PhoneNumber === phoneNumber);
  }

  publishedTo(phoneNumber: string): SnsPublish[] {
    return this.published.filter((p) => p.fields.PhoneNumber === phoneNumber);
  }

  private route(r: VendorRequest): VendorAnswer {
    if (r.method === 'GET' && r.path === this.certPath)
      return { status: 200, contentType: 'application/x-x509-ca-cert', text: this.signing.cert };
    if (r.method === 'GET' && r.path === '/' && r.query.get('Action') === 'ConfirmSubscription') {
      this.confirmations.push(String(r.query.get('Token')));
      return {
        status: 200,
        contentType: 'text/xml',
        text: `<ConfirmSubscriptionResponse xmlns="http://sns.amazonaws.com/doc/2010-03-31/"><ConfirmSubscriptionResult><SubscriptionArn>${this.topicArn}:${randomUUID()}</SubscriptionArn></ConfirmSubscriptionResult><ResponseMetadata><RequestId>${randomUUID()}</RequestId></ResponseMetadata></ConfirmSubscriptionResponse>`,
      };
    }
    if (r.method !== 'POST' || r.path !== '/') return snsError(404, 'NotFound', 'Not Found');
    if (!sigV4Holds(r, this.keys, 'sns'))
      return snsError(403, 'SignatureDoesNotMatch', 'The request signature we calculated does not match');
    const f = r.fields as Record<string, string>;
    if (f.Action !== 'Publish' || f.Version !== '2010-03-31') return snsError(400, 'InvalidAction', 'Unknown action');
    if (!f.PhoneNumber || !f.Message) return snsError(400, 'InvalidParameter', 'Invalid parameter: PhoneNumber');
    const scripted = this.script.next(f.PhoneNumber);
    if (scripted) return scripted;
    const attributes: Record<string, string> = {};
    for (let i = 1; f[`MessageAttributes.entry.${i}.Name`]; i++)
      attributes[f[`MessageAttributes.entry.${i}.Name`]] = f[`MessageAttributes.entry.${i}.Value.StringValue`];
    const id = randomUUID();
    this.published.push({ id, fields: f, attributes });
    return {
      status: 200,
      contentType: 'text/xml',
      text: `<PublishResponse xmlns="http://sns.amazonaws.com/doc/2010-03-31/"><PublishResult><MessageId>${id}</MessageId></PublishResult><ResponseMetadata><RequestId>${randomUUID()}</RequestId></ResponseMetadata></PublishResponse>`,
    };
  }

  /**
   * Delivers one message of the topic to an HTTPS subscription as SNS does: a POST of the JSON
   * document, `text/plain`, with the `x-amz-sns-*` headers, signed over the fields SNS signs.
   * `tamper` changes the document after signing; `signingCertUrl` names another certificate.
   */
  deliver(
    gatewayUrl: string,
    endpoint: string,
    type: 'Notification' | 'SubscriptionConfirmation',
    message: string,
    options: { tamper?: (doc: Record<string, string>) => void; signingCertUrl?: string; topicArn?: string } = {},
  ) {
    const doc: Record<string, string> = {
      Type: type,
      MessageId: randomUUID(),
      TopicArn: options.topicArn ?? this.topicArn,
      Message: message,
      Timestamp: new Date().toISOString(),
      SignatureVersion: '2',
      Signature: '',
      SigningCertURL: options.signingCertUrl ?? `${this.url}${this.certPath}`,
    };
    if (type === 'SubscriptionConfirmation') {
      doc.Token = randomBytes(32).toString('hex');
      doc.SubscribeURL = `${this.url}/?Action=ConfirmSubscription&TopicArn=${encodeURIComponent(doc.TopicArn)}&Token=${doc.Token}`;
    } else {
      doc.UnsubscribeURL = `${this.url}/?Action=Unsubscribe&SubscriptionArn=${encodeURIComponent(`${doc.TopicArn}:x`)}`;
    }
    const signed =
      type === 'Notification'
        ? ['Message', 'MessageId', 'Timestamp', 'TopicArn', 'Type']
        : ['Message', 'MessageId', 'SubscribeURL', 'Timestamp', 'Token', 'TopicArn', 'Type'];
    const toSign = signed.map((f) => `${f}\n${doc[f]}\n`).join('');
    doc.Signature = sign('sha256', Buffer.from(toSign), this.signing.key).toString('base64');
    options.tamper?.(doc);
    return deliverCallback(gatewayUrl, endpoint, {
      headers: {
        'content-type': 'text/plain; charset=UTF-8',
        'user-agent': 'Amazon Simple Notification Service Agent',
        'x-amz-sns-message-type': type,
        'x-amz-sns-message-id': doc.MessageId,
        'x-amz-sns-topic-arn': doc.TopicArn,
      },
      body: JSON.stringify(doc),
    });
  }
}

export interface SesSent {
  id: string;
  fields: Record<string, unknown>;
}

/**
 * Amazon SES API v2 on loopback, as its API reference documents it: `POST
 * /v2/email/outbound-emails` with a JSON `SendEmail` request signed with SigV4 for service
 * `ses`, answered `200 {MessageId}`; errors in REST-JSON form. With a configuration set, its
 * events reach the topic of a {@link FakeSns} as SES publishes them (`eventType`, `mail` with
 * the message's tags, and the event's own object).
 */
export class FakeSes {
  readonly keys = awsKeys();
  readonly configurationSetName = 'otp-events';
  readonly script = new Script();
  readonly sent: SesSent[] = [];
  readonly server = new VendorServer((r) => this.route(r));

  start(): Promise<string> {
    return this.server.start();
  }

  stop(): Promise<void> {
    return this.server.stop();
  }

  private static to(fields: Record<string, unknown>): string {
    return String((fields.Destination as { ToAddresses?: string[] } | undefined)?.ToAddresses?.[0]);
  }

  requestsTo(address: string): VendorRequest[] {
    return this.server.requests.filter((r) => FakeSes.to(r.fields) === address);
  }

  sentTo(address: string): SesSent[] {
    return this.sent.filter((s) => FakeSes.to(s.fields) === address);
  }

  private route(r: VendorRequest): VendorAnswer {
    if (r.method !== 'POST' || r.path !== '/v2/email/outbound-emails')
      return sesError(404, 'NotFoundException', 'Not Found');
    if (!sigV4Holds(r, this.keys, 'ses'))
      return sesError(403, 'SignatureDoesNotMatch', 'The request signature we calculated does not match');
    const to = FakeSes.to(r.fields);
    if (!r.fields.FromEmailAddress || to === 'undefined')
      return sesError(400, 'BadRequestException', 'FromEmailAddress and Destination are required');
    const scripted = this.script.next(to);
    if (scripted) return scripted;
    const id = `0102018${randomBytes(12).toString('hex')}-${randomUUID()}-000000`;
    this.sent.push({ id, fields: r.fields });
    return { status: 200, body: { MessageId: id } };
  }

  /** The SES event of a sent message, as its configuration set's SNS destination publishes it. */
  event(sent: SesSent, eventType: 'Send' | 'Delivery' | 'Bounce', extra: Record<string, unknown> = {}): string {
    const tags: Record<string, string[]> = {
      'ses:configuration-set': [String(sent.fields.ConfigurationSetName)],
      'ses:from-domain': [String(sent.fields.FromEmailAddress).split('@')[1]],
    };
    for (const t of (sent.fields.EmailTags as { Name: string; Value: string }[] | undefined) ?? [])
      tags[t.Name] = [t.Value];
    const to = FakeSes.to(sent.fields);
    const now = new Date().toISOString();
    const detail =
      eventType === 'Delivery'
        ? {
            delivery: {
              timestamp: now,
              processingTimeMillis: 412,
              recipients: [to],
              smtpResponse: '250 2.6.0 ok',
              reportingMTA: 'a8-30.smtp-out.amazonses.com',
            },
          }
        : eventType === 'Bounce'
          ? {
              bounce: {
                bounceType: 'Permanent',
                bounceSubType: 'General',
                bouncedRecipients: [
                  {
                    emailAddress: to,
                    action: 'failed',
                    status: '5.1.1',
                    diagnosticCode: 'smtp; 550 5.1.1 user unknown',
                  },
                ],
                timestamp: now,
                feedbackId: randomUUID(),
              },
            }
          : { send: {} };
    return JSON.stringify({
      eventType,
      mail: {
        timestamp: now,
        source: sent.fields.FromEmailAddress,
        sendingAccountId: ACCOUNT,
        messageId: sent.id,
        destination: [to],
        headersTruncated: false,
        tags,
      },
      ...detail,
      ...extra,
    });
  }
}
