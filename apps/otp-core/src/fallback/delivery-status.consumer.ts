import { Inject, Injectable, Logger, type OnApplicationBootstrap, type BeforeApplicationShutdown } from '@nestjs/common';
import { DeliveryStatusEventSchema, streamName, Streams, Subjects, withPrefix } from '@app/contracts';
import { APP_CONFIG, type AppConfig, Clock, decodeJson, ensureStreams, JetStreamWorker, type MessageOutcome, NATS_CONNECTION } from '@app/platform';
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
export class DeliveryStatusConsumer implements OnApplicationBootstrap, BeforeApplicationShutdown {
  private readonly logger = new Logger(DeliveryStatusConsumer.name);
  private worker?: JetStreamWorker;

  constructor(
    @Inject(NATS_CONNECTION) private readonly nc: NatsConnection,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    private readonly fallback: FallbackService,
    private readonly relay: OutboxRelay,
    private readonly clock: Clock,
  ) {}

  async onApplicationBootstrap(): Promise<void> {
    const prefix = this.config.nats.prefix;
    await ensureStreams(await this.nc.jetstreamManager(), prefix);
    this.worker = new JetStreamWorker(this.nc, {
      stream: streamName(prefix, Streams.otpEvents),
      durable: 'otp-core-delivery-status',
      filterSubject: withPrefix(prefix, Subjects.otpEvent('delivery_status')),
      concurrency: CONCURRENCY,
      maxDeliver: MAX_DELIVER,
      ackWaitMs: ACK_WAIT_MS,
      handle: (msg) => this.handle(msg),
    });
    await this.worker.start();
  }

  /** Before NATS drains: finish or hand back what is in flight. */
  async beforeApplicationShutdown(): Promise<void> {
    await this.worker?.stop();
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
      this.logger.warn(`delivery status not recorded, retrying: ${(error as Error).message}`);
      return { retryAfterMs: 1000 };
    }
  }
}
