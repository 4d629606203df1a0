import type { DispatchMessage } from '@app/contracts';
import { createHmac, timingSafeEqual } from 'node:crypto';
import { z } from 'zod';
import { type Accepted, type CallbackRequest, type CallbackVerdict, ProviderError } from '../../provider';
import type { ProviderContext } from '../../provider-settings';
import { basicAuth, digitsOnly, formFields, isTransientStatus, vendorText } from '../vendor-http';
import { reportOf, type StatusMap, VendorProvider } from '../vendor-provider';

export const PLIVO_BASE_URL = 'https://api.plivo.com';

/** Plivo's final statuses; `queued` and `sent` are interim. */
const PLIVO_STATUSES: StatusMap = {
  delivered: 'delivered',
  undelivered: 'undelivered',
  failed: 'failed',
  rejected: 'failed',
};

const PlivoSettings = z.object({
  authId: z.string().min(1),
  /** Secret: authenticates the calls and signs the callbacks (V3 signature). */
  authToken: z.string().min(1),
  from: z.string().min(1).optional(),
});

/**
 * SMS through Plivo's Message API: `POST /v1/Account/{auth_id}/Message/` with HTTP Basic
 * (auth ID, auth token) and JSON `src`, `dst`, `text`, `url` (the status callback) and
 * `method: POST`. Plivo answers 202 with `message_uuid: [..]` (one per destination). Status
 * callbacks are form-encoded POSTs signed with `X-Plivo-Signature-V3` and
 * `X-Plivo-Signature-V3-Nonce`, carrying `MessageUUID`, `Status` and `ErrorCode`:
 * `delivered` → delivered, `undelivered` → undelivered, `failed` and `rejected` → failed;
 * `queued` and `sent` are interim.
 */
export class PlivoSmsProvider extends VendorProvider<typeof PlivoSettings> {
  constructor(ctx: ProviderContext) {
    super(ctx, PlivoSettings, { default: PLIVO_BASE_URL });
  }

  async send(message: DispatchMessage): Promise<Accepted> {
    const { authId, authToken, from } = this.settings;
    const body: Record<string, string> = {
      src: from ?? message.from,
      dst: digitsOnly(message.to),
      text: message.text,
      ...(this.ctx.callbackUrl ? { url: this.ctx.callbackUrl, method: 'POST' } : {}),
    };
    const answer = await this.postJson(
      `/v1/Account/${encodeURIComponent(authId)}/Message/`,
      { authorization: basicAuth(authId, authToken) },
      body,
    );
    const ids = Array.isArray(answer.json.message_uuid) ? (answer.json.message_uuid as string[]) : [];
    if (answer.status >= 200 && answer.status < 300 && ids.length > 0) return { providerMessageId: ids[0], units: 1 };
    // Plivo's errors are `{api_id, error}` with the reason in words; the status decides.
    throw new ProviderError(
      `plivo_http_${answer.status}`,
      `Plivo answered ${answer.status}: ${vendorText(answer.json.error, 'no message')}`,
      !isTransientStatus(answer.status),
    );
  }

  handleCallback(request: CallbackRequest): CallbackVerdict {
    const nonce = request.headers['x-plivo-signature-v3-nonce'];
    const signatures = (request.headers['x-plivo-signature-v3'] ?? '').split(',').map((s) => s.trim());
    const fields = request.method === 'POST' ? formFields(request.body) : {};
    const expected = nonce ? Buffer.from(plivoV3Signature(this.settings.authToken, request.url, fields, nonce)) : null;
    const authentic =
      expected !== null &&
      signatures.some((s) => {
        const given = Buffer.from(s);
        return given.length === expected.length && timingSafeEqual(given, expected);
      });
    if (!authentic) return { kind: 'forged', reason: 'X-Plivo-Signature-V3 does not match' };
    const id = fields.MessageUUID;
    if (!id) return { kind: 'invalid', message: 'MessageUUID is required', field: 'MessageUUID' };
    return reportOf({ providerMessageId: id }, PLIVO_STATUSES, fields.Status, {
      code: `plivo_${fields.ErrorCode || fields.Status}`,
      message: `Plivo reported ${fields.Status}${fields.ErrorCode ? ` (error ${fields.ErrorCode})` : ''}`,
    });
  }
}

/**
 * Plivo's V3 signature: base64 HMAC-SHA256, keyed with the auth token, of
 * `<scheme://host/path>?<query sorted as k=v joined by &>[.]<POST params sorted as kv>.<nonce>`
 * (the `?` only when there is a query or POST parameters, the `.` between them only when both).
 */
export function plivoV3Signature(authToken: string, url: string, post: Record<string, string>, nonce: string): string {
  const u = new URL(url);
  const query = [...u.searchParams.entries()]
    .sort(([a, x], [b, y]) => (a === b ? (x < y ? -1 : 1) : a < b ? -1 : 1))
    .map(([k, v]) => `${k}=${v}`)
    .join('&');
  const params = Object.keys(post)
    .sort()
    .map((k) => `${k}${post[k]}`)
    .join('');
  let base = `${u.protocol}//${u.host}${u.pathname}`;
  if (query || params) base += `?${query}`;
  if (query && params) base += '.';
  base += params;
  return createHmac('sha256', authToken).update(`${base}.${nonce}`, 'utf8').digest('base64');
}
