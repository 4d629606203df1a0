import type { DispatchMessage } from '@app/contracts';
import type { Accepted, CallbackRequest, CallbackVerdict, ChannelProvider } from '../../provider';
import type { ProviderContext } from '../../provider-settings';
import { TwilioClient } from './twilio.client';

/**
 * SMS through Twilio's Messages API: `POST /2010-04-01/Accounts/{AccountSid}/Messages.json`
 * with `To`, `From` (or `MessagingServiceSid`), `Body` and `StatusCallback`. Twilio answers
 * 201 with the message `sid` (`SM…`, our provider message id) and `num_segments`. Its status
 * callbacks (form-encoded, signed X-Twilio-Signature) carry `MessageSid` and `MessageStatus`:
 * `delivered` and `read` → delivered, `undelivered` → undelivered, `failed` → failed (with
 * `twilio_<ErrorCode>`); `queued`, `sending`, `sent` and the rest are interim and change nothing.
 */
export class TwilioSmsProvider implements ChannelProvider {
  readonly name: string;
  readonly callbackName: string;
  private readonly client: TwilioClient;

  constructor(ctx: ProviderContext) {
    this.client = new TwilioClient(ctx);
    this.name = ctx.entry.name;
    this.callbackName = ctx.entry.name;
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
    const error = fields.ErrorCode
      ? { code: `twilio_${fields.ErrorCode}`, message: `Twilio error ${fields.ErrorCode}` }
      : undefined;
    switch (fields.MessageStatus ?? fields.SmsStatus) {
      case 'delivered':
      case 'read':
        return { kind: 'accepted', reports: [{ providerMessageId: sid, status: 'delivered' }] };
      case 'undelivered':
        return {
          kind: 'accepted',
          reports: [{ providerMessageId: sid, status: 'undelivered', error: error ?? twilioError('undelivered') }],
        };
      case 'failed':
        return {
          kind: 'accepted',
          reports: [{ providerMessageId: sid, status: 'failed', error: error ?? twilioError('failed') }],
        };
      default:
        return { kind: 'accepted', reports: [] };
    }
  }
}

export function twilioError(status: string): { code: string; message: string } {
  return { code: `twilio_${status.replace(/-/g, '_')}`, message: `Twilio reported ${status}` };
}
