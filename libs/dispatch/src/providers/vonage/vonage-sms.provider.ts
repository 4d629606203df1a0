import type { DispatchMessage } from '@app/contracts';
import { createHmac, timingSafeEqual } from 'node:crypto';
import { z } from 'zod';
import { type Accepted, type CallbackRequest, type CallbackVerdict, ProviderError } from '../../provider';
import type { ProviderContext } from '../../provider-settings';
import { encodingOf } from '../sms-segments';
import { digitsOnly, formFields, isTransientStatus, jsonBody, queryFields, vendorText } from '../vendor-http';
import { reportOf, type StatusMap, VendorProvider } from '../vendor-provider';
import { SIGNATURE_METHODS, verifySmsSignature } from './vonage.signatures';

export const VONAGE_SMS_BASE_URL = 'https://rest.nexmo.com';

const VonageSmsSettings = z.object({
  apiKey: z.string().min(1),
  /** Secret. */
  apiSecret: z.string().min(1),
  /** Secret: with it, delivery receipts must carry the SMS API's `sig` (signed webhooks). */
  signatureSecret: z.string().min(1).optional(),
  signatureMethod: z.enum(SIGNATURE_METHODS).default('md5hash'),
  from: z.string().min(1).optional(),
});

/**
 * The SMS API's `status` of a refused message: 1 throttled, 4 invalid credentials, 5 internal
 * error, 8 partner account barred, 9 partner quota exceeded, 10 too many binds, 11 account not
 * enabled for HTTP, 14 invalid signature, 32 signature and secret disallowed — about Vonage or
 * this account, so worth another try or provider. Anything else is about this message: 2/3
 * missing or invalid parameters, 6 invalid (unroutable) message, 7 number barred, 12 too long,
 * 15 invalid sender, 22 invalid network, 29 non-whitelisted destination, 33 number deactivated.
 */
const TRANSIENT_STATUSES = new Set(['1', '4', '5', '8', '9', '10', '11', '14', '32']);

/** A delivery receipt's final statuses; `accepted`, `buffered` and `unknown` are interim. */
const VONAGE_SMS_STATUSES: StatusMap = {
  delivered: 'delivered',
  expired: 'undelivered',
  failed: 'undelivered',
  rejected: 'failed',
};

/**
 * SMS through Vonage's SMS API: `POST /sms/json` with `api_key`, `api_secret`, `from`, `to`
 * (digits, no `+`), `text` (`type: unicode` beyond GSM 7-bit), `client-ref` (our dispatch id)
 * and `callback` (the delivery-receipt URL). Vonage answers 200 with one `messages` entry per
 * part, `status: "0"` when accepted. Delivery receipts (GET, or POST form/JSON, as the account
 * is set) carry `messageId`, `status`, `err-code` and `client-ref`: `delivered` → delivered,
 * `expired` and `failed` → undelivered, `rejected` → failed, `accepted`/`buffered`/`unknown`
 * are interim. They are authenticated by the signed-webhook `sig` when `signatureSecret` is set,
 * otherwise by a token in the callback URL that only we can make.
 */
export class VonageSmsProvider extends VendorProvider<typeof VonageSmsSettings> {
  constructor(ctx: ProviderContext) {
    super(ctx, VonageSmsSettings, { default: VONAGE_SMS_BASE_URL });
  }

  async send(message: DispatchMessage): Promise<Accepted> {
    const { apiKey, apiSecret, from } = this.settings;
    const body: Record<string, string> = {
      api_key: apiKey,
      api_secret: apiSecret,
      from: digitsOnly(from ?? message.from),
      to: digitsOnly(message.to),
      text: message.text,
      'client-ref': message.dispatchId,
    };
    if (encodingOf(message.text) === 'ucs2') body.type = 'unicode';
    const callback = callbackWithToken(this.ctx.callbackUrl, apiSecret);
    if (callback) body.callback = callback;
    const answer = await this.postJson('/sms/json', {}, body);
    if (answer.status !== 200)
      throw new ProviderError(
        `http_${answer.status}`,
        `Vonage answered ${answer.status}`,
        !isTransientStatus(answer.status),
      );
    const parts = Array.isArray(answer.json.messages) ? (answer.json.messages as Record<string, unknown>[]) : [];
    const refused = parts.find((p) => String(p.status) !== '0');
    if (refused || parts.length === 0) {
      const status = String(refused?.status ?? 'none');
      throw new ProviderError(
        `vonage_${status}`,
        `Vonage refused the message: ${vendorText(refused?.['error-text'], 'no message')}`,
        !TRANSIENT_STATUSES.has(status) && parts.length > 0,
      );
    }
    const ids = parts.map((p) => String(p['message-id']));
    return { providerMessageId: ids[0], otherMessageIds: ids.slice(1), units: ids.length };
  }

  handleCallback(request: CallbackRequest): CallbackVerdict {
    const query = queryFields(request.url);
    const contentType = request.headers['content-type'] ?? '';
    const body = contentType.includes('json')
      ? stringFields(jsonBody(request.body) ?? {})
      : request.method === 'POST'
        ? formFields(request.body)
        : {};
    const { token, ...params } = { ...query, ...body };
    const now = Math.floor(request.receivedAt.getTime() / 1000);
    const { signatureSecret, signatureMethod, apiSecret } = this.settings;
    const authentic = signatureSecret
      ? verifySmsSignature(signatureSecret, signatureMethod, params, now)
      : tokenMatches(token, apiSecret);
    if (!authentic) return { kind: 'forged', reason: signatureSecret ? 'sig does not match' : 'token does not match' };
    if (!params.messageId) return { kind: 'invalid', message: 'messageId is required', field: 'messageId' };
    const errCode = params['err-code'] && params['err-code'] !== '0' ? params['err-code'] : undefined;
    return reportOf(
      { dispatchId: params['client-ref'] || undefined, providerMessageId: params.messageId },
      VONAGE_SMS_STATUSES,
      params.status,
      {
        code: `vonage_${errCode ?? params.status}`,
        message: `Vonage reported ${params.status}${errCode ? ` (err-code ${errCode})` : ''}`,
      },
    );
  }
}

function stringFields(object: Record<string, unknown>): Record<string, string> {
  return Object.fromEntries(Object.entries(object).map(([k, v]) => [k, typeof v === 'string' ? v : String(v)]));
}

/**
 * Without signed webhooks the callback URL carries a token derived from the API secret: a
 * report without it (or with another) was not asked for by us.
 */
export function callbackToken(apiSecret: string): string {
  return createHmac('sha256', apiSecret).update('smart2fa-vonage-callback').digest('hex').slice(0, 32);
}

export function callbackWithToken(url: string | undefined, apiSecret: string): string | undefined {
  return url ? `${url}?token=${callbackToken(apiSecret)}` : undefined;
}

export function tokenMatches(token: string | undefined, apiSecret: string): boolean {
  if (!token) return false;
  const a = Buffer.from(token);
  const b = Buffer.from(callbackToken(apiSecret));
  return a.length === b.length && timingSafeEqual(a, b);
}
