import { createHash, createHmac, generateKeyPairSync, randomBytes, randomUUID, verify } from 'node:crypto';
import { deliverCallback, Script, type VendorAnswer, type VendorRequest, VendorServer } from './vendor-server';

export interface VonageSms {
  messageId: string;
  fields: Record<string, string>;
}

export interface VonageCall {
  uuid: string;
  body: { to: { type: string; number: string }[]; from: { number: string }; ncco: unknown[]; event_url?: string[] };
}

/**
 * Vonage as documented. SMS API: `POST /sms/json` with `api_key`/`api_secret` in the body,
 * always 200 with `messages[]` whose `status` is "0" when accepted (else an error status and
 * `error-text`); delivery receipts GET/POST to `callback` with `messageId`, `status`,
 * `err-code`, `client-ref`, signed with `sig` (HMAC-SHA256 of the sorted `&k=v` string) when
 * signed webhooks are on. Voice API: `POST /v1/calls` with a Bearer JWT (RS256, the
 * application's private key), 201 `{uuid, status: "started"}`; events are JSON POSTs to
 * `event_url` with a HS256 JWT (signature secret) whose `payload_hash` is the body's SHA-256.
 */
export class FakeVonage {
  readonly apiKey = randomBytes(4).toString('hex');
  readonly apiSecret = randomBytes(8).toString('hex');
  readonly signatureSecret = randomBytes(16).toString('hex');
  readonly applicationId = randomUUID();
  readonly keys = generateKeyPairSync('rsa', { modulusLength: 2048 });
  readonly privateKeyPem = this.keys.privateKey.export({ type: 'pkcs8', format: 'pem' }).toString();
  readonly script = new Script();
  readonly messages: VonageSms[] = [];
  readonly calls: VonageCall[] = [];
  readonly server = new VendorServer((r) => this.route(r));

  start(): Promise<string> {
    return this.server.start();
  }

  stop(): Promise<void> {
    return this.server.stop();
  }

  requestsTo(digits: string): VendorRequest[] {
    return this.server.requests.filter(
      (r) => r.fields.to === digits || (r.fields.to as VonageCall['body']['to'])?.[0]?.number === digits,
    );
  }

  private route(r: VendorRequest): VendorAnswer {
    if (r.method === 'POST' && r.path === '/sms/json') return this.sms(r);
    if (r.method === 'POST' && r.path === '/v1/calls') return this.call(r);
    return { status: 404, body: { type: 'https://developer.nexmo.com/api-errors#not-found', title: 'Not Found' } };
  }

  private sms(r: VendorRequest): VendorAnswer {
    const f = r.fields as Record<string, string>;
    const refuse = (status: string, text: string) => ({
      status: 200,
      body: { 'message-count': '1', messages: [{ status, 'error-text': text }] },
    });
    if (f.api_key !== this.apiKey || f.api_secret !== this.apiSecret) return refuse('4', 'Bad Credentials');
    if (!f.from || !f.to || !f.text) return refuse('2', 'Missing from param');
    const scripted = this.script.next(f.to);
    if (scripted) return scripted;
    const messageId = randomBytes(8).toString('hex').toUpperCase();
    this.messages.push({ messageId, fields: f });
    return {
      status: 200,
      body: {
        'message-count': '1',
        messages: [
          {
            to: f.to,
            'message-id': messageId,
            status: '0',
            'remaining-balance': '3.14',
            'message-price': '0.05',
            network: '26201',
          },
        ],
      },
    };
  }

  private call(r: VendorRequest): VendorAnswer {
    const token = /^Bearer (.+)$/.exec(String(r.headers.authorization ?? ''))?.[1] ?? '';
    const [h, p, s] = token.split('.');
    const valid =
      !!s &&
      verify('RSA-SHA256', Buffer.from(`${h}.${p}`), this.keys.publicKey, Buffer.from(s, 'base64url')) &&
      JSON.parse(Buffer.from(p, 'base64url').toString()).application_id === this.applicationId;
    if (!valid) return { status: 401, body: { type: 'UNAUTHORIZED', title: 'Unauthorized' } };
    const body = r.fields as unknown as VonageCall['body'];
    const to = body.to?.[0]?.number;
    if (!to || !body.from || !Array.isArray(body.ncco))
      return { status: 400, body: { type: 'BAD_REQUEST', title: 'Bad Request', invalid_parameters: [] } };
    const scripted = this.script.next(to);
    if (scripted) return scripted;
    const uuid = randomUUID();
    this.calls.push({ uuid, body });
    return {
      status: 201,
      body: { uuid, status: 'started', direction: 'outbound', conversation_uuid: `CON-${randomUUID()}` },
    };
  }

  /** A delivery receipt as Vonage sends it (GET with query parameters), signed with `sig`. */
  async deliveryReceipt(
    gatewayUrl: string,
    sms: VonageSms,
    status: string,
    errCode = '0',
    secret = this.signatureSecret,
  ): Promise<{ status: number; body: unknown }> {
    const params: Record<string, string> = {
      msisdn: sms.fields.to,
      to: sms.fields.from,
      'network-code': '26201',
      messageId: sms.messageId,
      price: '0.05',
      status,
      scts: '2611301200',
      'err-code': errCode,
      'api-key': this.apiKey,
      'client-ref': sms.fields['client-ref'],
      'message-timestamp': new Date().toISOString().slice(0, 19).replace('T', ' '),
      timestamp: String(Math.floor(Date.now() / 1000)),
      nonce: randomUUID(),
    };
    const signed = Object.keys(params)
      .sort()
      .map((k) => `&${k}=${params[k].replace(/[&=]/g, '_')}`)
      .join('');
    params.sig = createHmac('sha256', secret).update(signed).digest('hex');
    const url = new URL(sms.fields.callback);
    for (const [k, v] of Object.entries(params)) url.searchParams.set(k, v);
    return deliverCallback(gatewayUrl, url.toString(), { method: 'GET' });
  }

  /** A call event (JSON POST to `event_url`) with its signed JWT. */
  async callEvent(
    gatewayUrl: string,
    call: VonageCall,
    status: string,
    secret = this.signatureSecret,
  ): Promise<{ status: number; body: unknown }> {
    const body = JSON.stringify({
      uuid: call.uuid,
      conversation_uuid: 'CON-1',
      status,
      direction: 'outbound',
      timestamp: new Date().toISOString(),
      to: call.body.to[0].number,
      from: call.body.from.number,
    });
    const header = Buffer.from(JSON.stringify({ alg: 'HS256', typ: 'JWT' })).toString('base64url');
    const claims = Buffer.from(
      JSON.stringify({
        iat: Math.floor(Date.now() / 1000),
        jti: randomUUID(),
        iss: 'Vonage',
        payload_hash: createHash('sha256').update(body).digest('hex'),
        api_key: this.apiKey,
        application_id: this.applicationId,
      }),
    ).toString('base64url');
    const signature = createHmac('sha256', secret).update(`${header}.${claims}`).digest('base64url');
    return deliverCallback(gatewayUrl, (call.body.event_url as string[])[0], {
      headers: { 'content-type': 'application/json', authorization: `Bearer ${header}.${claims}.${signature}` },
      body,
    });
  }
}
