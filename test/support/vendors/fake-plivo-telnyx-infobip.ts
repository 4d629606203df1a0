import { createHmac, generateKeyPairSync, randomBytes, randomUUID, sign } from 'node:crypto';
import { deliverCallback, Script, type VendorAnswer, type VendorRequest, VendorServer } from './vendor-server';

/** A message a fake vendor accepted: its id and the request's fields. */
export interface Accepted {
  id: string;
  fields: Record<string, unknown>;
}

abstract class FakeVendor {
  readonly script = new Script();
  readonly accepted: Accepted[] = [];
  readonly server = new VendorServer((r) => this.route(r));

  start(): Promise<string> {
    return this.server.start();
  }

  stop(): Promise<void> {
    return this.server.stop();
  }

  protected abstract route(r: VendorRequest): VendorAnswer;
  protected abstract destination(r: VendorRequest): string;

  requestsTo(to: string): VendorRequest[] {
    return this.server.requests.filter((r) => this.destination(r) === to);
  }

  acceptedFor(to: string): Accepted[] {
    return this.accepted.filter((a) => this.destination({ fields: a.fields } as VendorRequest) === to);
  }
}

/**
 * Plivo's Message API as documented: `POST /v1/Account/{auth_id}/Message/`, HTTP Basic with
 * auth ID and token, JSON `src`, `dst`, `text`, `url`; 202 `{api_id, message, message_uuid}`;
 * errors `{api_id, error}`. Status callbacks are form POSTs signed with the V3 signature.
 */
export class FakePlivo extends FakeVendor {
  readonly authId = `MA${randomBytes(9).toString('hex').toUpperCase()}`;
  readonly authToken = randomBytes(20).toString('hex');

  protected destination(r: VendorRequest): string {
    return String(r.fields.dst);
  }

  protected route(r: VendorRequest): VendorAnswer {
    if (r.method !== 'POST' || r.path !== `/v1/Account/${this.authId}/Message/`)
      return { status: 404, body: { api_id: randomUUID(), error: 'not found' } };
    if (r.headers.authorization !== `Basic ${Buffer.from(`${this.authId}:${this.authToken}`).toString('base64')}`)
      return { status: 401, body: { api_id: randomUUID(), error: 'Authentication failed' } };
    const f = r.fields as Record<string, string>;
    if (!f.src || !f.dst || !f.text)
      return { status: 400, body: { api_id: randomUUID(), error: 'src, dst and text are required' } };
    const scripted = this.script.next(f.dst);
    if (scripted) return scripted;
    const id = randomUUID();
    this.accepted.push({ id, fields: f });
    return { status: 202, body: { api_id: randomUUID(), message: 'message(s) queued', message_uuid: [id] } };
  }

  /** A status callback to the message's `url`, V3-signed (plivo-node's validateV3Signature scheme). */
  callback(gatewayUrl: string, message: Accepted, status: string, errorCode = '', token = this.authToken) {
    const url = String(message.fields.url);
    const form: Record<string, string> = {
      MessageUUID: message.id,
      Status: status,
      ErrorCode: errorCode,
      From: String(message.fields.src),
      To: String(message.fields.dst),
      Units: '1',
      TotalRate: '0.0050',
      TotalAmount: '0.0050',
      MessageTime: new Date().toISOString(),
    };
    const nonce = String(Date.now()) + randomBytes(4).toString('hex');
    const u = new URL(url);
    const sortedPost = Object.keys(form)
      .sort()
      .map((k) => k + form[k])
      .join('');
    const base = `${u.protocol}//${u.host}${u.pathname}?${sortedPost}`;
    const signature = createHmac('sha256', token).update(`${base}.${nonce}`).digest('base64');
    return deliverCallback(gatewayUrl, url, {
      headers: {
        'content-type': 'application/x-www-form-urlencoded',
        'x-plivo-signature-v3': signature,
        'x-plivo-signature-v3-nonce': nonce,
      },
      body: new URLSearchParams(form).toString(),
    });
  }
}

/**
 * Telnyx's Messages API v2 as documented: `POST /v2/messages` with `Authorization: Bearer`,
 * JSON `from`, `to`, `text`, `webhook_url`; 200 `{data: {id, parts, to: [{status: queued}]}}`;
 * errors `{errors: [{code, title, detail}]}`. Webhooks are signed with Ed25519 over
 * `timestamp|body` in `telnyx-signature-ed25519`, with `telnyx-timestamp`.
 */
export class FakeTelnyx extends FakeVendor {
  readonly apiKey = `KEY${randomBytes(16).toString('hex').toUpperCase()}`;
  readonly keys = generateKeyPairSync('ed25519');
  /** The public key as the Mission Control portal shows it: the raw 32 bytes in base64. */
  readonly publicKeyBase64 = (this.keys.publicKey.export({ format: 'der', type: 'spki' }) as Buffer)
    .subarray(12)
    .toString('base64');

  protected destination(r: VendorRequest): string {
    return String(r.fields.to);
  }

  protected route(r: VendorRequest): VendorAnswer {
    if (r.method !== 'POST' || r.path !== '/v2/messages')
      return { status: 404, body: { errors: [{ code: '10005', title: 'Resource not found' }] } };
    if (r.headers.authorization !== `Bearer ${this.apiKey}`)
      return { status: 401, body: { errors: [{ code: '10009', title: 'Authentication failed' }] } };
    const f = r.fields as Record<string, string>;
    if (!f.to || !f.text || (!f.from && !f.messaging_profile_id))
      return { status: 422, body: { errors: [{ code: '10004', title: 'Missing required parameter' }] } };
    const scripted = this.script.next(f.to);
    if (scripted) return scripted;
    const id = randomUUID();
    this.accepted.push({ id, fields: f });
    return {
      status: 200,
      body: {
        data: {
          record_type: 'message',
          id,
          direction: 'outbound',
          type: 'SMS',
          from: { phone_number: f.from },
          to: [{ phone_number: f.to, status: 'queued' }],
          text: f.text,
          parts: 1,
          webhook_url: f.webhook_url,
        },
      },
    };
  }

  /** A `message.finalized` (or other) webhook to the message's `webhook_url`, Ed25519-signed. */
  webhook(gatewayUrl: string, message: Accepted, eventType: string, status: string, forge = false) {
    const body = JSON.stringify({
      data: {
        event_type: eventType,
        id: randomUUID(),
        occurred_at: new Date().toISOString(),
        payload: {
          id: message.id,
          to: [{ phone_number: message.fields.to, status }],
          errors: status === 'delivered' ? [] : [{ code: '40008', title: 'Undeliverable' }],
        },
        record_type: 'event',
      },
      meta: { attempt: 1, delivered_to: message.fields.webhook_url },
    });
    const timestamp = String(Math.floor(Date.now() / 1000));
    const key = forge ? generateKeyPairSync('ed25519').privateKey : this.keys.privateKey;
    const signature = sign(null, Buffer.from(`${timestamp}|${body}`), key).toString('base64');
    return deliverCallback(gatewayUrl, String(message.fields.webhook_url), {
      headers: {
        'content-type': 'application/json',
        'telnyx-signature-ed25519': signature,
        'telnyx-timestamp': timestamp,
      },
      body,
    });
  }
}

/**
 * Infobip's SMS API v3 as documented: `POST /sms/3/messages` with `Authorization: App <key>`,
 * JSON `messages[{sender, destinations[{to, messageId}], content{text}, webhooks}]`; 200 with
 * `messages[{messageId, status{groupId, groupName, id, name}}]`. Delivery reports are JSON POSTs
 * `{results[...]}` to `webhooks.delivery.url`.
 */
export class FakeInfobip extends FakeVendor {
  readonly apiKey = randomBytes(24).toString('hex');

  protected destination(r: VendorRequest): string {
    const m = (r.fields.messages as { destinations?: { to?: string }[] }[] | undefined)?.[0];
    return String(m?.destinations?.[0]?.to);
  }

  protected route(r: VendorRequest): VendorAnswer {
    if (r.method !== 'POST' || r.path !== '/sms/3/messages')
      return { status: 404, body: { errorCode: 'E404', description: 'Not found' } };
    if (r.headers.authorization !== `App ${this.apiKey}`)
      return {
        status: 401,
        body: {
          errorCode: 'E401',
          description: 'Invalid login details',
          action: 'Check your API key',
          violations: [],
          resources: [],
        },
      };
    const m = (
      r.fields.messages as
        | { sender?: string; destinations?: { to?: string; messageId?: string }[]; content?: { text?: string } }[]
        | undefined
    )?.[0];
    const to = m?.destinations?.[0]?.to;
    if (!m?.sender || !to || !m.content?.text)
      return { status: 400, body: { errorCode: 'E400', description: 'Bad request', violations: [] } };
    const scripted = this.script.next(to);
    if (scripted) return scripted;
    const id = m.destinations?.[0]?.messageId ?? randomUUID();
    this.accepted.push({ id, fields: r.fields });
    return {
      status: 200,
      body: {
        bulkId: randomUUID(),
        messages: [
          {
            messageId: id,
            status: {
              groupId: 1,
              groupName: 'PENDING',
              id: 26,
              name: 'PENDING_ACCEPTED',
              description: 'Message sent to next instance',
            },
            destination: to,
          },
        ],
      },
    };
  }

  /** A delivery report to the message's `webhooks.delivery.url`. */
  report(gatewayUrl: string, message: Accepted, groupName: string, name: string, url?: string) {
    const m = (
      message.fields.messages as { webhooks?: { delivery?: { url?: string } }; destinations: { to: string }[] }[]
    )[0];
    const target = url ?? String(m.webhooks?.delivery?.url);
    const body = JSON.stringify({
      results: [
        {
          bulkId: randomUUID(),
          messageId: message.id,
          to: m.destinations[0].to,
          sentAt: new Date().toISOString(),
          doneAt: new Date().toISOString(),
          messageCount: 1,
          price: { pricePerMessage: 0.01, currency: 'EUR' },
          status: { groupId: 3, groupName, id: 5, name, description: name },
          error: { groupId: 0, groupName: 'OK', id: 0, name: 'NO_ERROR', description: 'No Error', permanent: false },
        },
      ],
    });
    return deliverCallback(gatewayUrl, target, { headers: { 'content-type': 'application/json' }, body });
  }
}
