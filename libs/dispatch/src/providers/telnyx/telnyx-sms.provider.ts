import type { DispatchMessage } from '@app/contracts';
import { createPublicKey, type KeyObject, verify } from 'node:crypto';
import { z } from 'zod';
import { type Accepted, type CallbackRequest, type CallbackVerdict, ProviderError } from '../../provider';
import { type ProviderContext, settingsOf } from '../../provider-settings';
import { isTransientStatus, jsonBody, vendorText } from '../vendor-http';
import { reportOf, type StatusMap, VendorProvider } from '../vendor-provider';

export const TELNYX_BASE_URL = 'https://api.telnyx.com';
const TOLERANCE_SECONDS = 300;
/** A finalized message's status; `delivery_unconfirmed` says nothing. */
const TELNYX_STATUSES: StatusMap = {
  delivered: 'delivered',
  delivery_failed: 'undelivered',
  sending_failed: 'failed',
};
/** DER prefix of an Ed25519 SubjectPublicKeyInfo: the portal shows the raw 32-byte key in base64. */
const ED25519_SPKI_PREFIX = Buffer.from('302a300506032b6570032100', 'hex');

const TelnyxSettings = z.object({
  /** Secret. */
  apiKey: z.string().min(1),
  /** The account's webhook public key (Ed25519, base64 as the portal shows it, or PEM). */
  publicKey: z.string().min(1),
  from: z.string().min(1).optional(),
  messagingProfileId: z.string().min(1).optional(),
});

/**
 * Telnyx error codes about the number or the message (Telnyx's messaging error list):
 * 40001 not routable, 40002/40003 blocked as spam, 40008 undeliverable, 40009 invalid body,
 * 40012 invalid destination, 40013 invalid source, 40300 blocked by STOP, 40310 invalid `to`,
 * 40311 invalid `from`. Other 4xx (e.g. 10009 authentication) are about the account.
 */
const PERMANENT_CODES = new Set([
  '40001',
  '40002',
  '40003',
  '40008',
  '40009',
  '40012',
  '40013',
  '40300',
  '40310',
  '40311',
]);

/**
 * SMS through Telnyx's Messages API v2: `POST /v2/messages` with `Authorization: Bearer
 * <API key>` and JSON `from` (or `messaging_profile_id`), `to`, `text`, `webhook_url`. Telnyx
 * answers 200 with `data.id` and `data.parts`; errors are `{errors: [{code, title, detail}]}`.
 * Webhooks are signed with Ed25519 over `<telnyx-timestamp>|<raw body>`
 * (`telnyx-signature-ed25519`); `message.finalized` events carry `data.payload.to[0].status`:
 * `delivered` → delivered, `delivery_failed` → undelivered, `sending_failed` → failed (with the
 * payload's first error code); `message.sent` and `delivery_unconfirmed` change nothing.
 */
export class TelnyxSmsProvider extends VendorProvider<typeof TelnyxSettings> {
  private readonly publicKey: KeyObject;

  constructor(ctx: ProviderContext) {
    super(ctx, TelnyxSettings, { default: TELNYX_BASE_URL });
    try {
      const key = this.settings.publicKey;
      this.publicKey = key.includes('BEGIN')
        ? createPublicKey(key)
        : createPublicKey({
            key: Buffer.concat([ED25519_SPKI_PREFIX, Buffer.from(key, 'base64')]),
            format: 'der',
            type: 'spki',
          });
    } catch {
      settingsOf(z.object({ publicKey: z.never({ message: 'must be an Ed25519 public key (base64 or PEM)' }) }), ctx);
      throw new Error('unreachable');
    }
  }

  async send(message: DispatchMessage): Promise<Accepted> {
    const { apiKey, from, messagingProfileId } = this.settings;
    const body: Record<string, string> = {
      ...(messagingProfileId && !from ? { messaging_profile_id: messagingProfileId } : { from: from ?? message.from }),
      to: message.to,
      text: message.text,
      ...(this.ctx.callbackUrl ? { webhook_url: this.ctx.callbackUrl } : {}),
    };
    const answer = await this.postJson('/v2/messages', { authorization: `Bearer ${apiKey}` }, body);
    const data = answer.json.data as { id?: string; parts?: number } | undefined;
    if (answer.status >= 200 && answer.status < 300 && typeof data?.id === 'string')
      return { providerMessageId: data.id, units: typeof data.parts === 'number' && data.parts > 0 ? data.parts : 1 };
    const first = (Array.isArray(answer.json.errors) ? answer.json.errors[0] : undefined) as
      { code?: string; title?: string; detail?: string } | undefined;
    const code = first?.code ? String(first.code) : undefined;
    throw new ProviderError(
      code ? `telnyx_${code}` : `http_${answer.status}`,
      `Telnyx answered ${answer.status}: ${vendorText(first?.detail ?? first?.title, 'no message')}`,
      !isTransientStatus(answer.status) && (code === undefined || PERMANENT_CODES.has(code) || answer.status === 422),
    );
  }

  handleCallback(request: CallbackRequest): CallbackVerdict {
    const signature = request.headers['telnyx-signature-ed25519'];
    const timestamp = request.headers['telnyx-timestamp'];
    const now = Math.floor(request.receivedAt.getTime() / 1000);
    const fresh = timestamp !== undefined && Math.abs(now - Number(timestamp)) <= TOLERANCE_SECONDS;
    let authentic: boolean;
    try {
      authentic =
        fresh &&
        !!signature &&
        verify(
          null,
          Buffer.concat([Buffer.from(`${timestamp}|`), request.body]),
          this.publicKey,
          Buffer.from(signature, 'base64'),
        );
    } catch {
      authentic = false;
    }
    if (!authentic) return { kind: 'forged', reason: 'telnyx-signature-ed25519 does not verify' };
    const event = jsonBody(request.body)?.data as
      | { event_type?: string; payload?: { id?: string; to?: { status?: string }[]; errors?: { code?: string }[] } }
      | undefined;
    const id = event?.payload?.id;
    if (!id) return { kind: 'invalid', message: 'data.payload.id is required', field: 'data.payload.id' };
    if (event?.event_type !== 'message.finalized') return { kind: 'accepted', reports: [] };
    const status = event.payload?.to?.[0]?.status ?? '';
    const errorCode = event.payload?.errors?.[0]?.code;
    return reportOf({ providerMessageId: id }, TELNYX_STATUSES, status, {
      code: `telnyx_${errorCode ?? status}`,
      message: `Telnyx reported ${status}`,
    });
  }
}
