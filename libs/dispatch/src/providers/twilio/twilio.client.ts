import { createHmac, timingSafeEqual } from 'node:crypto';
import { z } from 'zod';
import { type CallbackRequest, ProviderError } from '../../provider';
import { type ProviderContext, settingsOf } from '../../provider-settings';
import { basicAuth, callVendor, formFields, isTransientStatus, vendorText } from '../vendor-http';

export const TWILIO_BASE_URL = 'https://api.twilio.com';

export const TwilioSettings = z.object({
  /** `AC…`: the account the messages and calls belong to, and the key of the signature check. */
  accountSid: z.string().regex(/^AC[0-9a-fA-F]{32}$/, 'must be AC followed by 32 hex digits'),
  /** Secret: signs the webhooks (X-Twilio-Signature) and, without an API key, authenticates the calls. */
  authToken: z.string().min(8),
  /** Optional API key (`SK…`) and its secret to authenticate the calls instead of the auth token. */
  apiKeySid: z
    .string()
    .regex(/^SK[0-9a-fA-F]{32}$/, 'must be SK followed by 32 hex digits')
    .optional(),
  apiKeySecret: z.string().min(8).optional(),
  /** Sender: a Twilio number or alphanumeric sender ID; the send's `from` when absent. */
  from: z.string().min(1).optional(),
  /** SMS only: send through a Messaging Service (`MG…`) instead of `from`. */
  messagingServiceSid: z
    .string()
    .regex(/^MG[0-9a-fA-F]{32}$/, 'must be MG followed by 32 hex digits')
    .optional(),
});
export type TwilioSettings = z.infer<typeof TwilioSettings>;

/** The Twilio REST API of one account: form-encoded POSTs with HTTP Basic, JSON answers. */
export class TwilioClient {
  constructor(
    private readonly ctx: ProviderContext,
    readonly settings: TwilioSettings,
    private readonly baseUrl: string,
  ) {
    if (settings.apiKeySid && !settings.apiKeySecret)
      settingsOf(TwilioSettings.extend({ apiKeySecret: z.string().min(8) }), ctx);
  }

  /**
   * POST /2010-04-01/Accounts/{AccountSid}/{resource}.json. 201 answers the resource (`sid`,
   * `status`); an error answers `{code, message, more_info, status}`: 429 (20429), 5xx and a
   * refused login (20003) are transient, an error about the number permanent, with `twilio_<code>`.
   */
  async create(resource: 'Messages' | 'Calls', fields: Record<string, string>): Promise<Record<string, unknown>> {
    const { accountSid, authToken, apiKeySid, apiKeySecret } = this.settings;
    const answer = await callVendor(
      `${this.baseUrl}/2010-04-01/Accounts/${accountSid}/${resource}.json`,
      {
        method: 'POST',
        headers: {
          authorization: apiKeySid ? basicAuth(apiKeySid, apiKeySecret as string) : basicAuth(accountSid, authToken),
          'content-type': 'application/x-www-form-urlencoded',
          accept: 'application/json',
        },
        body: new URLSearchParams(fields).toString(),
      },
      this.ctx.timeoutMs,
    );
    if (answer.status >= 200 && answer.status < 300 && typeof answer.json.sid === 'string') return answer.json;
    const code = typeof answer.json.code === 'number' ? answer.json.code : undefined;
    // A 4xx other than throttling or a refused login is about this message: 21211 invalid To,
    // 21408 region not enabled, 21610 unsubscribed (STOP), 21612 cannot route, 21614 not a
    // mobile number, 13224 invalid number (calls)… It would be refused again, here or elsewhere.
    const permanent = !isTransientStatus(answer.status);
    throw new ProviderError(
      code ? `twilio_${code}` : `http_${answer.status}`,
      `Twilio answered ${answer.status}: ${vendorText(answer.json.message, 'no message')}`,
      permanent,
    );
  }

  /** Where Twilio reports a message's or call's statuses (no PUBLIC_URL, no reports). */
  statusCallback(): Record<string, string> {
    return this.ctx.callbackUrl ? { StatusCallback: this.ctx.callbackUrl } : {};
  }

  /**
   * X-Twilio-Signature: base64 HMAC-SHA1, keyed with the auth token, of the full URL Twilio
   * called followed by every POST parameter, sorted by name, as name+value with no separators.
   * Returns the form fields when the signature holds, else null.
   */
  verify(request: CallbackRequest): Record<string, string> | null {
    const signature = request.headers['x-twilio-signature'];
    if (!signature) return null;
    const fields = request.method === 'POST' ? formFields(request.body) : {};
    const expected = twilioSignature(this.settings.authToken, request.url, fields);
    const given = Buffer.from(signature);
    const wanted = Buffer.from(expected);
    if (given.length !== wanted.length || !timingSafeEqual(given, wanted)) return null;
    return fields;
  }
}

export function twilioSignature(authToken: string, url: string, fields: Record<string, string>): string {
  const data = Object.keys(fields)
    .sort()
    .reduce((acc, key) => acc + key + fields[key], url);
  return createHmac('sha1', authToken).update(data, 'utf8').digest('base64');
}
