import type { DispatchMessage } from '@app/contracts';
import { z } from 'zod';
import { type Accepted, type CallbackRequest, type CallbackVerdict, ProviderError } from '../../provider';
import { type ProviderContext, settingsOf } from '../../provider-settings';
import { buildNcco } from '../speech';
import { digitsOnly, isTransientStatus, jsonBody, queryFields, vendorText } from '../vendor-http';
import { reportOf, type StatusMap, VendorProvider } from '../vendor-provider';
import { callbackWithToken, tokenMatches } from './vonage-sms.provider';
import { applicationJwt, verifyWebhookJwt } from './vonage.signatures';

export const VONAGE_API_BASE_URL = 'https://api.nexmo.com';

/** A call's final statuses; `started`, `ringing`, `answered`, `machine`… are interim. */
const VONAGE_CALL_STATUSES: StatusMap = {
  completed: 'delivered',
  busy: 'undelivered',
  cancelled: 'undelivered',
  rejected: 'undelivered',
  timeout: 'undelivered',
  unanswered: 'undelivered',
  failed: 'failed',
};

const VonageVoiceSettings = z.object({
  applicationId: z.string().min(1),
  /** Secret: the application's private key (PEM) that signs the request JWT. */
  privateKey: z.string().includes('PRIVATE KEY', { message: 'must be a PEM private key' }),
  /** Secret: the account's signature secret, which signs the event webhooks (JWT). */
  signatureSecret: z.string().min(1).optional(),
  /** Secret used for the callback token when there is no signature secret. */
  apiSecret: z.string().min(1).optional(),
  from: z.string().min(1).optional(),
});

/**
 * Calls through Vonage's Voice API: `POST /v1/calls` authenticated by a JWT (RS256, the
 * application's private key), with `to`/`from` phone endpoints, an inline `ncco` (one `talk`
 * action built from the same speech document as RCML and TwiML) and `event_url`. Vonage answers
 * 201 with the call's `uuid`. Call events (JSON POSTs, signed with a HS256 JWT whose
 * `payload_hash` covers the body) carry `uuid` and `status`: `completed` → delivered; `busy`,
 * `cancelled`, `rejected`, `timeout`, `unanswered` → undelivered; `failed` → failed; the rest
 * (`started`, `ringing`, `answered`, `machine`…) are interim.
 */
export class VonageVoiceProvider extends VendorProvider<typeof VonageVoiceSettings> {
  constructor(ctx: ProviderContext) {
    super(ctx, VonageVoiceSettings, { default: VONAGE_API_BASE_URL });
    if (!this.settings.signatureSecret && !this.settings.apiSecret)
      settingsOf(VonageVoiceSettings.extend({ signatureSecret: z.string().min(1) }), ctx);
  }

  async send(message: DispatchMessage): Promise<Accepted> {
    const { applicationId, privateKey, from, signatureSecret, apiSecret } = this.settings;
    const eventUrl = signatureSecret
      ? this.ctx.callbackUrl
      : callbackWithToken(this.ctx.callbackUrl, apiSecret as string);
    const body = {
      to: [{ type: 'phone', number: digitsOnly(message.to) }],
      from: { type: 'phone', number: digitsOnly(from ?? message.from) },
      ncco: buildNcco(message),
      ...(eventUrl ? { event_url: [eventUrl], event_method: 'POST' } : {}),
    };
    const jwt = applicationJwt(applicationId, privateKey, Math.floor(Date.now() / 1000));
    const answer = await this.postJson('/v1/calls', { authorization: `Bearer ${jwt}` }, body);
    if (answer.status >= 200 && answer.status < 300 && typeof answer.json.uuid === 'string')
      return { providerMessageId: answer.json.uuid, units: 1 };
    throw new ProviderError(
      `vonage_http_${answer.status}`,
      `Vonage answered ${answer.status}: ${vendorText(answer.json.title ?? answer.json.error_title, 'no message')}`,
      !isTransientStatus(answer.status),
    );
  }

  handleCallback(request: CallbackRequest): CallbackVerdict {
    const now = Math.floor(request.receivedAt.getTime() / 1000);
    const { signatureSecret, apiSecret } = this.settings;
    const authentic = signatureSecret
      ? verifyWebhookJwt(signatureSecret, request.headers.authorization, request.body, now)
      : tokenMatches(queryFields(request.url).token, apiSecret as string);
    if (!authentic) return { kind: 'forged', reason: signatureSecret ? 'JWT does not verify' : 'token does not match' };
    const event = jsonBody(request.body);
    const uuid = typeof event?.uuid === 'string' ? event.uuid : undefined;
    if (!uuid) return { kind: 'invalid', message: 'uuid is required', field: 'uuid' };
    const status = String(event?.status ?? '');
    return reportOf({ providerMessageId: uuid }, VONAGE_CALL_STATUSES, status, {
      code: `vonage_${status}`,
      message: `Vonage reported ${status}`,
    });
  }
}
