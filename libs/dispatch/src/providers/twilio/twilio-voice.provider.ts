import type { DispatchMessage } from '@app/contracts';
import type { Accepted, CallbackRequest, CallbackVerdict } from '../../provider';
import type { ProviderContext } from '../../provider-settings';
import { buildTwiml } from '../speech';
import { reportOf, type StatusMap, VendorProvider } from '../vendor-provider';
import { TWILIO_BASE_URL, TwilioClient, TwilioSettings } from './twilio.client';
import { twilioError } from './twilio-sms.provider';

/** A call's final statuses; `queued`, `ringing`, `in-progress` are interim. */
const TWILIO_CALL_STATUSES: StatusMap = {
  completed: 'delivered',
  busy: 'undelivered',
  'no-answer': 'undelivered',
  canceled: 'undelivered',
  failed: 'failed',
};

/**
 * Calls through Twilio's Calls API: `POST /2010-04-01/Accounts/{AccountSid}/Calls.json` with
 * `To`, `From`, the inline `Twiml` to play (the same `<Say>` document as RCML) and
 * `StatusCallback`; Twilio answers 201 with the call `sid` (`CA…`). The status callback
 * (`completed` by default, signed X-Twilio-Signature) carries `CallSid` and `CallStatus`:
 * `completed` → delivered (the call was answered and played), `busy`, `no-answer`, `canceled`
 * → undelivered, `failed` → failed.
 */
export class TwilioVoiceProvider extends VendorProvider<typeof TwilioSettings> {
  private readonly client: TwilioClient;

  constructor(ctx: ProviderContext) {
    super(ctx, TwilioSettings, { default: TWILIO_BASE_URL });
    this.client = new TwilioClient(ctx, this.settings, this.baseUrl);
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
    return reportOf({ providerMessageId: sid }, TWILIO_CALL_STATUSES, status, twilioError(status));
  }
}
