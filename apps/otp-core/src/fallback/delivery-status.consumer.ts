import { Inject, Injectable, Logger } from '@nestjs/common';
import { DeliveryStatusEventSchema, Subjects } from '@app/contracts';
import {
  APP_CONFIG,
  type AppConfig,
  Clock,
  decodeJson,
  isDependencyOutage,
  type MessageOutcome,
  NATS_CONNECTION,
  OtpEventsConsumer,
  type OtpEventsConsumerOptions,
} from '@app/platform';
import type { JsMsg, NatsConnection } from 'nats';
import { OutboxRelay } from '../outbox/outbox-relay';
import { FallbackService } from './fallback.service';

const CONCURRENCY = 8;
const MAX_DELIVER = 50;
const ACK_WAIT_MS = 30_000;

/**
 * otp-core's own durable consumer of `otp.v1.events.delivery_status`: what the dispatchers
 * (or the gateway, for provider callbacks) say about each dispatch drives the fallback. Every
 * replica shares it; handling is idempotent, so a redelivery changes nothing.
 */
@Injectable()
export class DeliveryStatusConsumer extends OtpEventsConsumer {
  private readonly logger = new Logger(DeliveryStatusConsumer.name);

  constructor(
    @Inject(NATS_CONNECTION) nc: NatsConnection,
    @Inject(APP_CONFIG) config: AppConfig,
    private readonly fallback: FallbackService,
    private readonly relay: OutboxRelay,
    private readonly clock: Clock,
  ) {
    super(nc, config);
  }

  protected options(): OtpEventsConsumerOptions {
    return {
      durable: 'otp-core-delivery-status',
      filterSubject: Subjects.otpEvent('delivery_status'),
      concurrency: CONCURRENCY,
      maxDeliver: MAX_DELIVER,
      ackWaitMs: ACK_WAIT_MS,
    };
  }

  async handle(msg: JsMsg): Promise<MessageOutcome> {
    let payload: unknown;
    try {
      payload = decodeJson(msg.data);
    } catch {
      return { drop: 'not JSON' };
    }
    const parsed = DeliveryStatusEventSchema.safeParse(payload);
    // Other teams publish here too: what does not parse now never will.
    if (!parsed.success) return { drop: 'invalid delivery_status event' };
    const { dispatchId, status } = parsed.data.data;
    try {
      if (await this.fallback.onDeliveryStatus(dispatchId, status, this.clock.now())) this.relay.kick();
      return { ack: true };
    } catch (error) {
      // Postgres out of reach: held until it is back, no delivery spent (a dropped `failed`
      // would leave the request without its fallback).
      if (isDependencyOutage(error)) return { unavailable: (error as Error).message };
      this.logger.warn(`delivery status not recorded, retrying: ${(error as Error).message}`);
      return { retryAfterMs: 1000 };
    }
  }
}
