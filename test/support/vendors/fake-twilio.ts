import { createHmac, randomBytes } from 'node:crypto';
import { deliverCallback, Script, type VendorAnswer, type VendorRequest, VendorServer } from './vendor-server';

/** A resource (message or call) the fake Twilio created, with what it was asked. */
export interface TwilioResource {
  sid: string;
  kind: 'Messages' | 'Calls';
  fields: Record<string, string>;
}

/**
 * Twilio's REST API as documented: `POST /2010-04-01/Accounts/{AccountSid}/Messages.json` and
 * `/Calls.json`, form-encoded, HTTP Basic with the account SID and auth token (else 401 with
 * error 20003); 201 with the resource's `sid`; errors as `{code, message, more_info, status}`.
 * Status callbacks are form-encoded POSTs to the resource's `StatusCallback`, signed
 * X-Twilio-Signature (base64 HMAC-SHA1 of the URL followed by the sorted parameters, keyed with
 * the auth token).
 */
export class FakeTwilio {
  readonly accountSid = `AC${randomBytes(16).toString('hex')}`;
  readonly authToken = randomBytes(16).toString('hex');
  readonly script = new Script();
  readonly created: TwilioResource[] = [];
  readonly server = new VendorServer((r) => this.route(r));

  start(): Promise<string> {
    return this.server.start();
  }

  stop(): Promise<void> {
    return this.server.stop();
  }

  /** Requests that reached a resource endpoint for this destination, answered or refused. */
  requestsTo(to: string): VendorRequest[] {
    return this.server.requests.filter((r) => r.fields.To === to);
  }

  createdFor(to: string): TwilioResource[] {
    return this.created.filter((c) => c.fields.To === to);
  }

  private route(r: VendorRequest): VendorAnswer {
    const match = /^\/2010-04-01\/Accounts\/(AC[0-9a-f]{32})\/(Messages|Calls)\.json$/.exec(r.path);
    if (r.method !== 'POST' || !match) return error(404, 20404, 'The requested resource was not found');
    const expected = `Basic ${Buffer.from(`${this.accountSid}:${this.authToken}`).toString('base64')}`;
    if (r.headers.authorization !== expected || match[1] !== this.accountSid) return error(401, 20003, 'Authenticate');
    const fields = r.fields as Record<string, string>;
    const kind = match[2] as 'Messages' | 'Calls';
    if (!fields.To) return error(400, 21604, "A 'To' phone number is required.");
    if (!fields.From && !fields.MessagingServiceSid) return error(400, 21603, "A 'From' phone number is required.");
    if (kind === 'Messages' && !fields.Body) return error(400, 21602, 'Message body is required.');
    if (kind === 'Calls' && !fields.Twiml && !fields.Url) return error(400, 21205, 'Url parameter is required.');
    const scripted = this.script.next(fields.To);
    if (scripted) return scripted;
    const sid = `${kind === 'Messages' ? 'SM' : 'CA'}${randomBytes(16).toString('hex')}`;
    this.created.push({ sid, kind, fields });
    return {
      status: 201,
      body: {
        sid,
        account_sid: this.accountSid,
        to: fields.To,
        from: fields.From ?? null,
        status: 'queued',
        ...(kind === 'Messages' ? { body: fields.Body, num_segments: '1', direction: 'outbound-api' } : {}),
        uri: `/2010-04-01/Accounts/${this.accountSid}/${kind}/${sid}.json`,
      },
    };
  }

  /** Twilio calling the resource's StatusCallback, through the proxy in front of the gateway. */
  async statusCallback(
    gatewayUrl: string,
    resource: TwilioResource,
    params: Record<string, string>,
    signWith = this.authToken,
  ): Promise<{ status: number; body: unknown }> {
    const url = resource.fields.StatusCallback;
    const idField: Record<string, string> =
      resource.kind === 'Messages' ? { MessageSid: resource.sid, SmsSid: resource.sid } : { CallSid: resource.sid };
    const form: Record<string, string> = {
      AccountSid: this.accountSid,
      ...idField,
      To: resource.fields.To,
      From: resource.fields.From ?? '',
      ApiVersion: '2010-04-01',
      ...params,
    };
    const signed = Object.keys(form)
      .sort()
      .map((k) => k + form[k])
      .join('');
    const signature = createHmac('sha1', signWith)
      .update(url + signed)
      .digest('base64');
    return deliverCallback(gatewayUrl, url, {
      headers: {
        'content-type': 'application/x-www-form-urlencoded',
        'x-twilio-signature': signature,
        'user-agent': 'TwilioProxy/1.1',
      },
      body: new URLSearchParams(form).toString(),
    });
  }
}

export function error(status: number, code: number, message: string): VendorAnswer {
  return { status, body: { code, message, more_info: `https://www.twilio.com/docs/errors/${code}`, status } };
}
