import type { DispatchMessage } from '@app/contracts';
import {
  type Accepted,
  type CallbackRequest,
  type CallbackVerdict,
  messageIdFrom,
  postSignedJson,
  webhookCallback,
} from '@app/dispatch';
import type { SmsProvider } from '../sms-provider';
import { segment } from '@app/dispatch';

/**
 * SMS through a generic HTTPS endpoint: a JSON POST to SMS_WEBHOOK_URL, signed with
 * SMS_WEBHOOK_SECRET (`X-Smart2FA-Signature: t=<unix>,v1=<hex HMAC of "t.body">`), carrying
 * `reference` (our dispatch id, to echo in callbacks), `from`, `to`, `text` and `segments`, and
 * `Idempotency-Key: <dispatch id>`: a repeated key is the same message, re-sent after a crash.
 * 2xx accepts (`{ "messageId": "…" }` optional); 408, 429, 5xx and no answer are retried;
 * any other 4xx fails at once.
 */
export class WebhookSmsProvider implements SmsProvider {
  constructor(
    private readonly url: string,
    private readonly secret: string,
    private readonly timeoutMs: number,
    /** `webhook` for the single provider of SMS_PROVIDER (callbacks at /2fa/callbacks/sms); a providers-file entry's name. */
    readonly name = 'webhook',
    readonly callbackName?: string,
  ) {}

  handleCallback(request: CallbackRequest): CallbackVerdict {
    return webhookCallback(this.secret, request);
  }

  async send(message: Pick<DispatchMessage, 'dispatchId' | 'from' | 'to' | 'text'>): Promise<Accepted> {
    const segments = segment(message.text).parts.length;
    const answer = await postSignedJson(
      this.url,
      this.secret,
      { reference: message.dispatchId, from: message.from, to: message.to, text: message.text, segments },
      this.timeoutMs,
      message.dispatchId,
    );
    return { providerMessageId: messageIdFrom(answer, message.dispatchId), units: segments };
  }
}
