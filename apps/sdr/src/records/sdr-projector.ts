import { Inject, Injectable, Logger, type BeforeApplicationShutdown, type OnApplicationBootstrap } from '@nestjs/common';
import { streamName, Streams, withPrefix } from '@app/contracts';
import { APP_CONFIG, type AppConfig, Clock, decodeJson, ensureStreams, JetStreamWorker, type MessageOutcome, NATS_CONNECTION } from '@app/platform';
import type { JsMsg, NatsConnection } from 'nats';
import { Counter } from 'prom-client';
import { parseSdrEvent } from './sdr-event';
import { SdrStore } from './sdr-store';

const CONCURRENCY = 8;
// A projection must not skip an event: retried through long outages (30 s apart at most) before it gives up.
const MAX_DELIVER = 1000;
const ACK_WAIT_MS = 30_000;

const projected = new Counter({ name: 'sdr_events_total', help: 'Events seen by the SDR projection', labelNames: ['outcome'] });

/**
 * The durable consumer of `otp.v1.events.>` (durable `sdr`, or SDR_CONSUMER) that keeps the
 * session detail records and usage roll-ups. Replicas share it; every event is projected
 * idempotently (see {@link SdrStore}), so redeliveries and replays are harmless.
 */
@Injectable()
export class SdrProjector implements OnApplicationBootstrap, BeforeApplicationShutdown {
  private readonly logger = new Logger(SdrProjector.name);
  private worker?: JetStreamWorker;

  constructor(
    @Inject(NATS_CONNECTION) private readonly nc: NatsConnection,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    private readonly store: SdrStore,
    private readonly clock: Clock,
  ) {}

  async onApplicationBootstrap(): Promise<void> {
    const prefix = this.config.nats.prefix;
    await ensureStreams(await this.nc.jetstreamManager(), prefix);
    this.worker = new JetStreamWorker(this.nc, {
      stream: streamName(prefix, Streams.otpEvents),
      durable: this.config.sdrConsumer,
      filterSubject: withPrefix(prefix, 'otp.v1.events.>'),
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
    const event = parseSdrEvent(decodeJson(msg.data));
    // Will never parse: dropped, not retried.
    if (!event) return this.count({ drop: 'invalid event' }, 'invalid');
    try {
      const fresh = await this.store.project(event, this.clock.now());
      return this.count({ ack: true }, fresh ? 'projected' : 'duplicate');
    } catch (error) {
      // Postgres away or a lock conflict: the event stays in the stream and comes back.
      this.logger.warn({ message: 'could not project event, retrying', eventId: event.metadata.eventId, error: (error as Error).message });
      return this.count({ retryAfterMs: Math.min(30_000, 1000 * 2 ** Math.max(0, msg.info.redeliveryCount - 1)) }, 'retried');
    }
  }

  private count(outcome: MessageOutcome, label: string): MessageOutcome {
    projected.inc({ outcome: label });
    return outcome;
  }
}
