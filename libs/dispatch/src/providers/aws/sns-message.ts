import { createPublicKey, type KeyObject, verify } from 'node:crypto';

/**
 * Where SNS keeps its signing certificates and its subscription-confirmation endpoint: an
 * HTTPS URL on `sns.<region>.amazonaws.com` (or `.amazonaws.com.cn`). A message naming any
 * other SigningCertURL is refused before anything is fetched, so a forged message can neither
 * bring its own key nor make us call an address of its choosing.
 */
export const SNS_URL_PATTERN = '^https://sns\\.[a-z0-9-]+\\.amazonaws\\.com(\\.cn)?/';

/** The JSON document SNS POSTs to an HTTP(S) subscription (`x-amz-sns-message-type` says which). */
export interface SnsMessage {
  Type: 'Notification' | 'SubscriptionConfirmation' | 'UnsubscribeConfirmation';
  MessageId: string;
  TopicArn: string;
  Subject?: string;
  Message: string;
  Timestamp: string;
  SignatureVersion: string;
  Signature: string;
  SigningCertURL: string;
  /** SubscriptionConfirmation and UnsubscribeConfirmation only. */
  Token?: string;
  SubscribeURL?: string;
}

/**
 * The fields SNS signs, in this order, each as `name\nvalue\n` (SNS's "Verifying the signatures
 * of Amazon SNS messages"): a Notification signs Message, MessageId, Subject (when there is
 * one), Timestamp, TopicArn, Type; the confirmations sign Message, MessageId, SubscribeURL,
 * Timestamp, Token, TopicArn, Type.
 */
export function snsStringToSign(m: SnsMessage): string {
  const fields =
    m.Type === 'Notification'
      ? ['Message', 'MessageId', ...(m.Subject !== undefined ? ['Subject'] : []), 'Timestamp', 'TopicArn', 'Type']
      : ['Message', 'MessageId', 'SubscribeURL', 'Timestamp', 'Token', 'TopicArn', 'Type'];
  return fields.map((f) => `${f}\n${String(m[f as keyof SnsMessage] ?? '')}\n`).join('');
}

/** The body as an SNS message, when it has every field a signature check needs; else undefined. */
export function parseSnsMessage(body: Buffer): SnsMessage | undefined {
  let m: Partial<SnsMessage>;
  try {
    m = JSON.parse(body.toString('utf8')) as Partial<SnsMessage>;
  } catch {
    return undefined;
  }
  if (!m || typeof m !== 'object') return undefined;
  if (m.Type !== 'Notification' && m.Type !== 'SubscriptionConfirmation' && m.Type !== 'UnsubscribeConfirmation')
    return undefined;
  const required = ['MessageId', 'TopicArn', 'Message', 'Timestamp', 'SignatureVersion', 'Signature', 'SigningCertURL'];
  if (m.Type !== 'Notification') required.push('Token', 'SubscribeURL');
  return required.every((f) => typeof m[f as keyof SnsMessage] === 'string') ? (m as SnsMessage) : undefined;
}

/**
 * Checks SNS message signatures: SignatureVersion 1 is SHA1withRSA, 2 SHA256withRSA, with the
 * public key of the certificate at SigningCertURL, which must match `urlPattern` (an HTTPS URL
 * of SNS's own; the connection's TLS is what vouches for the certificate). Certificates are
 * fetched once per URL and kept (SNS rotates them rarely; a new URL is a new fetch).
 */
export class SnsSignatureVerifier {
  private readonly keys = new Map<string, Promise<KeyObject>>();
  private readonly urlPattern: RegExp;

  constructor(
    urlPattern: string,
    private readonly timeoutMs: number,
  ) {
    this.urlPattern = new RegExp(urlPattern);
  }

  /** Whether `url` is one SNS would name (a SigningCertURL or SubscribeURL). */
  trusts(url: string): boolean {
    return this.urlPattern.test(url);
  }

  async verify(m: SnsMessage): Promise<boolean> {
    const algorithm = m.SignatureVersion === '1' ? 'sha1' : m.SignatureVersion === '2' ? 'sha256' : undefined;
    if (!algorithm || !this.trusts(m.SigningCertURL)) return false;
    let key: KeyObject;
    try {
      key = await this.key(m.SigningCertURL);
    } catch {
      return false;
    }
    try {
      return verify(algorithm, Buffer.from(snsStringToSign(m), 'utf8'), key, Buffer.from(m.Signature, 'base64'));
    } catch {
      return false;
    }
  }

  private key(url: string): Promise<KeyObject> {
    let key = this.keys.get(url);
    if (!key) {
      key = fetch(url, { signal: AbortSignal.timeout(this.timeoutMs), redirect: 'error' }).then(async (res) => {
        if (!res.ok) throw new Error(`certificate answered ${res.status}`);
        return createPublicKey(await res.text());
      });
      // A failed fetch is forgotten, so the next message tries again.
      key.catch(() => this.keys.delete(url));
      if (this.keys.size >= 32) this.keys.clear();
      this.keys.set(url, key);
    }
    return key;
  }
}
