import type { DispatchMessage } from '@app/contracts';
import type { Accepted, CallbackRequest, CallbackVerdict } from '../../provider';
import type { ProviderContext } from '../../provider-settings';
import { reportOf, type StatusMap, VendorProvider } from '../vendor-provider';
import { TWILIO_BASE_URL, TwilioClient, TwilioSettings } from './twilio.client';

/** A message's final statuses; `queued`, `sending`, `sent` and the rest are interim. */
const TWILIO_SMS_STATUSES: StatusMap = {
  delivered: 'delivered',
  read: 'delivered',
  undelivered: 'undelivered',
  failed: 'failed',
};

/**
 * SMS through Twilio's Messages API: `POST /2010-04-01/Accounts/{AccountSid}/Messages.json`
 * with `To`, `From` (or `MessagingServiceSid`), `Body` and `StatusCallback`. Twilio answers
 * 201 with the message `sid` (`SM…`, our provider message id) and `num_segments`. Its status
 * callbacks (form-encoded, signed X-Twilio-Signature) carry `MessageSid` and `MessageStatus`:
 * `delivered` and `read` → delivered, `undelivered` → undelivered, `failed` → failed (with
 * `twilio_<ErrorCode>`); `queued`, `sending`, `sent` and the rest are interim and change nothing.
 */
export class TwilioSmsProvider extends VendorProvider<typeof TwilioSettings> {
  private readonly client: TwilioClient;

  constructor(ctx: ProviderContext) {
    super(ctx, TwilioSettings, { default: TWILIO_BASE_URL });
    this.client = new TwilioClient(ctx, this.settings, this.baseUrl);
  }

  async send(message: DispatchMessage): Promise<Accepted> {
    const { from, messagingServiceSid } = this.client.settings;
    const sender: Record<string, string> = messagingServiceSid
      ? { MessagingServiceSid: messagingServiceSid }
      : { From: from ?? message.from };
    const answer = await this.client.create('Messages', {
      To: message.to,
      ...sender,
      Body: message.text,
      ...this.client.statusCallback(),
    });
    const units = Number(answer.num_segments);
    return { providerMessageId: answer.sid as string, units: Number.isInteger(units) && units > 0 ? units : 1 };
  }

  handleCallback(request: CallbackRequest): CallbackVerdict {
    const fields = this.client.verify(request);
    if (!fields) return { kind: 'forged', reason: 'X-Twilio-Signature does not match' };
    const sid = fields.MessageSid ?? fields.SmsSid;
    if (!sid) return { kind: 'invalid', message: 'MessageSid is required', field: 'MessageSid' };
    const status = fields.MessageStatus ?? fields.SmsStatus ?? '';
    const error = fields.ErrorCode
      ? { code: `twilio_${fields.ErrorCode}`, message: `Twilio error ${fields.ErrorCode}` }
      : twilioError(status);
    return reportOf({ providerMessageId: sid }, TWILIO_SMS_STATUSES, status, error);
  }
}

export function twilioError(status: string): { code: string; message: string } {
  return { code: `twilio_${status.replace(/-/g, '_')}`, message: `Twilio reported ${status}` };
}
