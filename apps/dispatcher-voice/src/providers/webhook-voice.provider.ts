import type { DispatchMessage } from '@app/contracts';
import {
  type Accepted,
  type CallbackRequest,
  type CallbackVerdict,
  type ChannelProvider,
  messageIdFrom,
  postSignedJson,
  webhookCallback,
} from '@app/dispatch';
import { buildRcml } from '@app/dispatch';

/**
 * Voice through a call-control endpoint: a signed JSON POST to VOICE_WEBHOOK_URL with the
 * call's `from`, `to`, our `reference` (the dispatch id, to echo in callbacks) and the `rcml`
 * document to play, with `Idempotency-Key: <dispatch id>` (a repeated key is the same call,
 * re-sent after a crash). The endpoint answers 2xx (optionally `{ "messageId": "…" }`) once it
 * placed the call.
 */
export class WebhookVoiceProvider implements ChannelProvider {
  constructor(
    private readonly url: string,
    private readonly secret: string,
    private readonly timeoutMs: number,
    /** `webhook` for the single provider of VOICE_PROVIDER (callbacks at /2fa/callbacks/call); a providers-file entry's name. */
    readonly name = 'webhook',
    readonly callbackName?: string,
  ) {}

  handleCallback(request: CallbackRequest): CallbackVerdict {
    return webhookCallback(this.secret, request);
  }

  async send(message: DispatchMessage): Promise<Accepted> {
    const answer = await postSignedJson(
      this.url,
      this.secret,
      { reference: message.dispatchId, from: message.from, to: message.to, rcml: buildRcml(message) },
      this.timeoutMs,
      message.dispatchId,
    );
    return { providerMessageId: messageIdFrom(answer, message.dispatchId), units: 1 };
  }
}
