import type { DispatchMessage } from '@app/contracts';
import type { Accepted, CallbackRequest, CallbackVerdict, ChannelProvider } from '../../provider';
import type { ProviderContext } from '../../provider-settings';
import { buildTwiml } from '../speech';
import { TwilioClient } from './twilio.client';
import { twilioError } from './twilio-sms.provider';

/**
 * Calls through Twilio's Calls API: `POST /2010-04-01/Accounts/{AccountSid}/Calls.json` with
 * `To`, `From`, the inline `Twiml` to play (the same `<Say>` document as RCML) and
 * `StatusCallback`; Twilio answers 201 with the call `sid` (`CA…`). The status callback
 * (`completed` by default, signed X-Twilio-Signature) carries `CallSid` and `CallStatus`:
 * `completed` → delivered (the call was answered and played), `busy`, `no-answer`, `canceled`
 * → undelivered, `failed` → failed.
 */
export class TwilioVoiceProvider implements ChannelProvider {
  readonly name: string;
  readonly callbackName: string;
  private readonly client: TwilioClient;

  constructor(ctx: ProviderContext) {
    this.client = new TwilioClient(ctx);
    this.name = ctx.entry.name;
    this.callbackName = ctx.entry.name;
  }

  async send(message: DispatchMessage): Promise<Accepted> {
    const answer = await this.client.create('Calls', {
      To: message.to,
      From: this.client.settings.from ?? message.from,
      Twiml: buildTwiml(message),
      ...this.client.statusCallback(),
    });
    return { providerMessageId: answer.sid as string, units: 1 };
  }

  handleCallback(request: CallbackRequest): CallbackVerdict {
    const fields = this.client.verify(request);
    if (!fields) return { kind: 'forged', reason: 'X-Twilio-Signature does not match' };
    const sid = fields.CallSid;
    if (!sid) return { kind: 'invalid', message: 'CallSid is required', field: 'CallSid' };
    const status = fields.CallStatus ?? '';
    if (status === 'completed') return { kind: 'accepted', reports: [{ providerMessageId: sid, status: 'delivered' }] };
    if (status === 'busy' || status === 'no-answer' || status === 'canceled')
      return {
        kind: 'accepted',
        reports: [{ providerMessageId: sid, status: 'undelivered', error: twilioError(status) }],
      };
    if (status === 'failed')
      return { kind: 'accepted', reports: [{ providerMessageId: sid, status: 'failed', error: twilioError(status) }] };
    return { kind: 'accepted', reports: [] };
  }
}
