import { Controller, Get, HttpCode, Inject, Logger, Param, Post, Req } from '@nestjs/common';
import {
  CALLBACK_REPLY_HEADER,
  type Channel,
  DomainError,
  type ProviderCallbackRequest,
  ProviderCallbackVerdict,
  Subjects,
  withPrefix,
  ErrorCode,
} from '@app/contracts';
import {
  ApiOperation,
  APP_CONFIG,
  type AppConfig,
  Clock,
  decodeJson,
  encodeJson,
  ensureStreams,
  NATS_CONNECTION,
  Public,
} from '@app/platform';
import type { Request } from 'express';
import { createInbox, headers as natsHeaders, type NatsConnection } from 'nats';
import { z } from 'zod';

function callbackDoc(operationId: string, method: 'POST' | 'GET') {
  return {
    operationId,
    tag: 'Providers',
    summary: `A vendor's delivery report (${method})`,
    description:
      '`{name}` is a providers-file entry\'s name (README "Providers and routing"), or `sms`/`call` for the single webhook providers. ' +
      "The body and signature are the vendor's own (Twilio's X-Twilio-Signature, Vonage's sig or JWT, Plivo's V3 signature, Telnyx's Ed25519, " +
      'or X-Smart2FA-Signature for the webhook providers); the provider checks and reads them. 401 when the signature does not hold, ' +
      '404 for an unknown name, 503 when no dispatcher gave its verdict in time (the report stays queued).',
    path: z.object({ name: z.string().regex(/^[A-Za-z0-9_-]{1,64}$/) }),
    response: z.object({ code: z.literal(200), message: z.literal('OK') }),
    errors: [400, 401, 404, 503] as const,
  };
}

/** Names that stay the callback paths of the single-provider settings (SMS_/VOICE_WEBHOOK_*). */
const CHANNEL_ALIASES: Record<string, Channel> = { sms: 'sms', call: 'call' };
/** Headers a vendor's signature or parser may need; hop-by-hop and proxy headers are left out. */
const DROPPED_HEADERS = new Set(['connection', 'keep-alive', 'transfer-encoding', 'upgrade', 'cookie']);

/**
 * `POST /2fa/callbacks/{name}` (and GET, for vendors that report that way): a vendor's delivery
 * report for the provider `name` of the providers file, or `sms`/`call` for the single
 * webhook providers. The gateway neither checks nor reads it — it holds no provider secret and
 * no vendor's format. It hands the raw request (method, the URL as the vendor called it — the
 * PUBLIC_URL base when set, since vendors sign the public URL — headers, raw body) to the
 * channel's dispatcher through JetStream (`dispatch.v1.callbacks.<channel>.<name>`) and answers
 * with the provider's verdict: 200, 400 (unreadable), 401 (signature does not hold), 404 (no
 * such provider). No verdict in time (the dispatcher is down) answers 503: the report stays
 * queued and is read when the dispatcher is back, and the vendor may retry (reports are
 * idempotent).
 */
@Controller('2fa/callbacks')
export class ProviderCallbacksController {
  private readonly logger = new Logger(ProviderCallbacksController.name);
  private streamsReady?: Promise<void>;
  private readonly owners: Map<string, Channel>;

  constructor(
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    @Inject(NATS_CONNECTION) private readonly nc: NatsConnection,
    private readonly clock: Clock,
  ) {
    // Only the names and channels of the providers file are read here, never an entry's settings.
    this.owners = new Map(Object.entries(CHANNEL_ALIASES));
    for (const [channel, entries] of Object.entries(config.providers ?? {}))
      for (const entry of entries ?? []) this.owners.set(entry.name, channel as Channel);
  }

  @ApiOperation(callbackDoc('providerCallback', 'POST'))
  @Public()
  @Post(':name')
  @HttpCode(200)
  receive(@Param('name') name: string, @Req() req: Request): Promise<{ code: 200; message: 'OK' }> {
    return this.handle(name, req);
  }

  @ApiOperation(callbackDoc('providerCallbackGet', 'GET'))
  @Public()
  @Get(':name')
  @HttpCode(200)
  receiveGet(@Param('name') name: string, @Req() req: Request): Promise<{ code: 200; message: 'OK' }> {
    return this.handle(name, req);
  }

  private async handle(name: string, req: Request): Promise<{ code: 200; message: 'OK' }> {
    const channel = this.owners.get(name);
    if (!channel) throw new DomainError(ErrorCode.NotFound);
    const body = Buffer.isBuffer(req.body) ? req.body : Buffer.alloc(0);
    const base = this.config.publicUrl ?? `${req.protocol}://${req.get('host') ?? 'localhost'}`;
    const headers: Record<string, string> = {};
    for (const [key, value] of Object.entries(req.headers)) {
      if (value === undefined || DROPPED_HEADERS.has(key)) continue;
      headers[key] = Array.isArray(value) ? value.join(', ') : value;
    }
    const request: ProviderCallbackRequest = {
      name,
      method: req.method,
      url: `${base}${req.originalUrl}`,
      headers,
      body: body.toString('base64'),
      receivedAt: this.clock.now().toISOString(),
    };
    const verdict = await this.handOver(channel, request);
    if (verdict.status === 401) throw new DomainError(ErrorCode.Unauthorized);
    if (verdict.status === 404) throw new DomainError(ErrorCode.NotFound);
    if (verdict.status === 400)
      throw new DomainError(ErrorCode.BadRequest, verdict.message, { field: verdict.field ?? 'body' });
    this.logger.log({ message: 'delivery report accepted', provider: name });
    return { code: 200, message: 'OK' };
  }

  /** Queues the report for its provider and waits for the verdict on an inbox of our own. */
  private async handOver(channel: Channel, request: ProviderCallbackRequest): Promise<ProviderCallbackVerdict> {
    const prefix = this.config.nats.prefix;
    const inbox = createInbox();
    const subscription = this.nc.subscribe(inbox, { max: 1, timeout: this.config.nats.requestTimeoutMs });
    try {
      this.streamsReady ??= this.nc
        .jetstreamManager()
        .then((jsm) => ensureStreams(jsm, prefix, this.config.nats.streamReplicas));
      await this.streamsReady;
      const h = natsHeaders();
      h.set(CALLBACK_REPLY_HEADER, inbox);
      await this.nc
        .jetstream()
        .publish(withPrefix(prefix, Subjects.providerCallback(channel, request.name)), encodeJson(request), {
          headers: h,
        });
    } catch (error) {
      subscription.unsubscribe();
      this.streamsReady = undefined;
      this.logger.warn(`could not queue a delivery report: ${(error as Error).message}`);
      // The vendor retries a report that was not acknowledged.
      throw new DomainError(ErrorCode.Unavailable, undefined, { retryAfter: 1 });
    }
    try {
      for await (const msg of subscription) {
        const verdict = ProviderCallbackVerdict.safeParse(decodeJson(msg.data));
        if (verdict.success) return verdict.data;
      }
    } catch {
      // timed out: below
    }
    this.logger.warn({ message: 'no verdict on a delivery report in time', provider: request.name });
    throw new DomainError(ErrorCode.Unavailable, undefined, { retryAfter: 1 });
  }
}
