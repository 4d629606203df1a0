import { Controller, Headers, HttpCode, Inject, Logger, Param, Post, Req } from '@nestjs/common';
import {
  type DeliveryReceipt,
  DomainError,
  firstIssue,
  ProviderCallback,
  SIGNATURE_HEADER,
  Subjects,
  verifyBody,
  withPrefix,
} from '@app/contracts';
import {
  APP_CONFIG,
  type AppConfig,
  Clock,
  encodeJson,
  ensureStreams,
  NATS_CONNECTION,
  Public,
  ApiOperation,
} from '@app/platform';
import type { Request } from 'express';
import type { NatsConnection } from 'nats';
import { createHash } from 'node:crypto';
import { z } from 'zod';
import type { RawBodyRequest } from '../gateway.http';

/** The channels whose providers call back over HTTP, and where their shared secret lives. */
const CALLBACK_CHANNELS = { sms: 'sms', call: 'call' } as const;

/**
 * `POST /2fa/callbacks/sms` and `/2fa/callbacks/call`: what an HTTP provider later says about a
 * message (delivered, undelivered, failed). Authenticated by the provider's secret, not by an
 * account: `X-Smart2FA-Signature: t=<unix>,v1=<hex HMAC-SHA256 of "t.body">`, compared in
 * constant time, refused when `t` is more than five minutes off (a replayed callback). The gateway does not know whose message it is; it hands a validated receipt
 * to the channel's dispatcher (JetStream `dispatch.v1.receipts.<channel>`), which resolves the
 * `reference` (our dispatch id) and publishes the delivery_status event.
 */
@Controller('2fa/callbacks')
export class ProviderCallbacksController {
  private readonly logger = new Logger(ProviderCallbacksController.name);
  private streamsReady?: Promise<void>;

  constructor(
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    @Inject(NATS_CONNECTION) private readonly nc: NatsConnection,
    private readonly clock: Clock,
  ) {}

  @ApiOperation({
    operationId: 'providerCallback',
    tag: 'Providers',
    summary: "A provider's delivery report",
    description:
      'Signed with the channel\'s webhook secret: `X-Smart2FA-Signature: t=<unix>,v1=<hex HMAC-SHA256 of "t.body">`. 404 when the channel has no secret configured.',
    path: z.object({ channel: z.enum(Object.keys(CALLBACK_CHANNELS) as [string, ...string[]]) }),
    headers: z.object({
      [SIGNATURE_HEADER]: z.string().meta({ description: 't=<unix seconds>,v1=<hex HMAC-SHA256 of "t.body">' }),
    }),
    body: ProviderCallback,
    response: z.object({ code: z.literal(200), message: z.literal('OK') }),
    // 401: a missing, wrong or stale signature (the route is public: the signature is its credential).
    errors: [401, 404, 503],
  })
  @Public()
  @Post(':channel')
  @HttpCode(200)
  async receive(
    @Param('channel') channelParam: string,
    @Req() req: Request & RawBodyRequest,
    @Headers(SIGNATURE_HEADER) signature?: string,
  ): Promise<{ code: 200; message: 'OK' }> {
    const channel = CALLBACK_CHANNELS[channelParam as keyof typeof CALLBACK_CHANNELS];
    const secret =
      channel === 'sms'
        ? this.config.channels.sms.webhookSecret
        : channel === 'call'
          ? this.config.channels.call.webhookSecret
          : undefined;
    // No secret configured: this deployment takes no callbacks on that channel.
    if (!channel || !secret) throw new DomainError(404);
    if (!req.rawBody || !verifyBody(secret, req.rawBody, signature, Math.floor(this.clock.now().getTime() / 1000)))
      throw new DomainError(401);

    const parsed = ProviderCallback.safeParse(req.body);
    if (!parsed.success) {
      const issue = firstIssue(parsed.error, req.body);
      throw new DomainError(400, issue.message, { field: issue.field });
    }
    const callback = parsed.data;
    const receipt: DeliveryReceipt = {
      channel,
      dispatchId: callback.reference,
      providerMessageId: callback.messageId,
      status: callback.status,
      error: callback.error,
    };
    // The same callback delivered twice (providers retry) is stored once.
    const msgID = createHash('sha256')
      .update(`${channel}|${callback.reference}|${callback.status}|${callback.messageId ?? ''}`)
      .digest('hex');
    await this.publish(Subjects.receipt(channel), receipt, msgID);
    this.logger.log({
      message: 'provider callback accepted',
      channel,
      dispatchId: callback.reference,
      status: callback.status,
    });
    return { code: 200, message: 'OK' };
  }

  private async publish(subject: string, receipt: DeliveryReceipt, msgID: string): Promise<void> {
    const prefix = this.config.nats.prefix;
    this.streamsReady ??= this.nc
      .jetstreamManager()
      .then((jsm) => ensureStreams(jsm, prefix, this.config.nats.streamReplicas));
    try {
      await this.streamsReady;
      await this.nc.jetstream().publish(withPrefix(prefix, subject), encodeJson(receipt), { msgID });
    } catch (error) {
      this.streamsReady = undefined;
      this.logger.warn(`could not queue a provider callback: ${(error as Error).message}`);
      // The provider retries a callback that was not acknowledged.
      throw new DomainError(503);
    }
  }
}
