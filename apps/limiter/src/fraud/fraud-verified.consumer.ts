import { Inject, Injectable, Logger } from '@nestjs/common';
import {
  APP_CONFIG,
  type AppConfig,
  decodeJson,
  type MessageOutcome,
  NATS_CONNECTION,
  OtpEventsConsumer,
  type OtpEventsConsumerOptions,
} from '@app/platform';
import type { JsMsg, NatsConnection } from 'nats';
import { z } from 'zod';
import { FraudGuard } from './fraud-guard.service';

const VerifiedEvent = z.object({
  type: z.literal('verified'),
  data: z.object({
    accountSid: z.string().min(1).max(64),
    channel: z.enum(['sms', 'call', 'email']),
    to: z.string().min(1).max(254),
    recipientIp: z.string().max(64).nullable().optional(),
    createdAt: z.iso.datetime({ offset: true }),
  }),
  metadata: z.looseObject({ occurredAt: z.iso.datetime({ offset: true }) }),
});

/**
 * Feeds the guard's verified counts from `otp.v1.events.verified` (durable `fraud`): a verify
 * drains the pressure of its send's scopes and raises their thresholds (SPEC 12).
 */
@Injectable()
export class FraudVerifiedConsumer extends OtpEventsConsumer {
  private readonly logger = new Logger(FraudVerifiedConsumer.name);

  constructor(
    @Inject(NATS_CONNECTION) nc: NatsConnection,
    @Inject(APP_CONFIG) config: AppConfig,
    private readonly guard: FraudGuard,
  ) {
    super(nc, config);
  }

  protected options(): OtpEventsConsumerOptions {
    return {
      durable: 'fraud',
      filterSubject: 'otp.v1.events.verified',
      concurrency: 8,
      maxDeliver: 30,
      ackWaitMs: 30_000,
    };
  }

  /** Nothing to feed while the guard is switched off (FRAUD_GUARD=false). */
  override async onApplicationBootstrap(): Promise<void> {
    if (this.config.fraud.enabled) await super.onApplicationBootstrap();
  }

  async handle(msg: JsMsg): Promise<MessageOutcome> {
    const parsed = VerifiedEvent.safeParse(decodeJson(msg.data));
    if (!parsed.success) return { drop: 'invalid event' };
    const { data, metadata } = parsed.data;
    if (data.channel === 'email') return { ack: true };
    try {
      await this.guard.recordVerified({
        accountSid: data.accountSid,
        to: data.to,
        recipientIp: data.recipientIp,
        createdAt: new Date(data.createdAt),
        verifiedAt: new Date(metadata.occurredAt),
      });
      return { ack: true };
    } catch (error) {
      this.logger.warn({ message: 'could not count a verified send, retrying', error: (error as Error).message });
      return { retryAfterMs: 2000 };
    }
  }
}
