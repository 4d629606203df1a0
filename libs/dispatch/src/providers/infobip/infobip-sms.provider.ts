import type { DispatchMessage } from '@app/contracts';
import { createHmac, timingSafeEqual } from 'node:crypto';
import { z } from 'zod';
import {
  type Accepted,
  type CallbackRequest,
  type CallbackVerdict,
  ProviderError,
  type ReportedStatus,
} from '../../provider';
import type { ProviderContext } from '../../provider-settings';
import { digitsOnly, isTransientStatus, jsonBody, queryFields, vendorText } from '../vendor-http';
import { VendorProvider } from '../vendor-provider';

const InfobipSettings = z.object({
  /** Secret: `Authorization: App <apiKey>`. */
  apiKey: z.string().min(1),
  from: z.string().min(1).optional(),
});

interface InfobipStatus {
  groupName?: string;
  name?: string;
  id?: number;
  description?: string;
}

/**
 * SMS through Infobip's SMS API v3: `POST {baseUrl}/sms/3/messages` (the account's own base
 * URL, `https://xxxxx.api.infobip.com`) with `Authorization: App <API key>` and JSON
 * `messages[{sender, destinations[{to, messageId}], content{text}, webhooks{delivery{url},
 * contentType}}]`; our dispatch id is the `messageId`, so reports name it. Infobip answers 200
 * with each message's `status` (group PENDING when accepted, REJECTED when not). Delivery
 * reports are JSON POSTs `{results[{messageId, status{groupName, name}, error{id, name}}]}`;
 * Infobip does not sign them, so the report URL carries a token that only we can make. Groups:
 * DELIVERED → delivered, UNDELIVERABLE and EXPIRED → undelivered, REJECTED → failed, PENDING
 * is interim.
 */
export class InfobipSmsProvider extends VendorProvider<typeof InfobipSettings> {
  constructor(ctx: ProviderContext) {
    // Each account has its own base URL (`https://xxxxx.api.infobip.com`).
    super(ctx, InfobipSettings, 'required');
  }

  private token(): string {
    return createHmac('sha256', this.settings.apiKey).update('smart2fa-infobip-callback').digest('hex').slice(0, 32);
  }

  async send(message: DispatchMessage): Promise<Accepted> {
    const body = {
      messages: [
        {
          sender: this.settings.from ?? message.from,
          destinations: [{ to: digitsOnly(message.to), messageId: message.dispatchId }],
          content: { text: message.text },
          ...(this.ctx.callbackUrl
            ? {
                webhooks: {
                  delivery: { url: `${this.ctx.callbackUrl}?token=${this.token()}` },
                  contentType: 'application/json',
                },
              }
            : {}),
        },
      ],
    };
    const answer = await this.postJson('/sms/3/messages', { authorization: `App ${this.settings.apiKey}` }, body);
    const first = (Array.isArray(answer.json.messages) ? answer.json.messages[0] : undefined) as
      { messageId?: string; status?: InfobipStatus } | undefined;
    if (answer.status >= 200 && answer.status < 300 && first) {
      if (first.status?.groupName === 'REJECTED')
        throw new ProviderError(
          `infobip_${first.status.name ?? first.status.id}`,
          `Infobip rejected the message: ${vendorText(first.status.description, 'no description')}`,
          true,
        );
      return { providerMessageId: first.messageId ?? message.dispatchId, units: 1 };
    }
    const error = (answer.json.errorCode ?? answer.json.requestError) as string | object | undefined;
    throw new ProviderError(
      typeof error === 'string' ? `infobip_${error}` : `http_${answer.status}`,
      `Infobip answered ${answer.status}: ${vendorText(answer.json.description, 'no message')}`,
      !isTransientStatus(answer.status),
    );
  }

  handleCallback(request: CallbackRequest): CallbackVerdict {
    const given = Buffer.from(queryFields(request.url).token ?? '');
    const wanted = Buffer.from(this.token());
    if (given.length !== wanted.length || !timingSafeEqual(given, wanted))
      return { kind: 'forged', reason: 'token does not match' };
    const results = jsonBody(request.body)?.results;
    if (!Array.isArray(results)) return { kind: 'invalid', message: 'results is required', field: 'results' };
    const reports: ReportedStatus[] = [];
    for (const r of results as { messageId?: string; status?: InfobipStatus; error?: InfobipStatus }[]) {
      if (!r.messageId) continue;
      const group = r.status?.groupName;
      const error = {
        code: `infobip_${r.error?.name && r.error.name !== 'NO_ERROR' ? r.error.name : (r.status?.name ?? group)}`,
        message: `Infobip reported ${r.status?.name ?? group}`,
      };
      // Our dispatch id was the messageId; the provider's id is the same string.
      const ids = { dispatchId: r.messageId, providerMessageId: r.messageId };
      if (group === 'DELIVERED') reports.push({ ...ids, status: 'delivered' });
      else if (group === 'UNDELIVERABLE' || group === 'EXPIRED') reports.push({ ...ids, status: 'undelivered', error });
      else if (group === 'REJECTED') reports.push({ ...ids, status: 'failed', error });
    }
    return { kind: 'accepted', reports };
  }
}
