import { Inject, Injectable, Logger } from '@nestjs/common';
import { Subjects } from '@app/contracts';
import {
  APP_CONFIG,
  type AppConfig,
  Clock,
  decodeJson,
  type MessageOutcome,
  NATS_CONNECTION,
  OtpEventsConsumer,
  type OtpEventsConsumerOptions,
} from '@app/platform';
import type { JsMsg, NatsConnection } from 'nats';
import { Counter } from 'prom-client';
import { parseSdrEvent } from './sdr-event';
import { SdrStore } from './sdr-store';

const CONCURRENCY = 8;
// A projection must not skip an event: retried through long outages (30 s apart at most) before it gives up.
const MAX_DELIVER = 1000;
const ACK_WAIT_MS = 30_000;

const projected = new Counter({
  name: 'sdr_events_total',
  help: 'Events seen by the SDR projection',
  labelNames: ['outcome'],
});

/**
 * The durable consumer of `otp.v1.events.>` (durable `sdr`, or SDR_CONSUMER) that keeps the
 * session detail records and usage roll-ups. Replicas share it; every event is projected
 * idempotently (see {@link SdrStore}), so redeliveries and replays are harmless.
 */
@Injectable()
export class SdrProjector extends OtpEventsConsumer {
  private readonly logger = new Logger(SdrProjector.name);

  constructor(
    @Inject(NATS_CONNECTION) nc: NatsConnection,
    @Inject(APP_CONFIG) config: AppConfig,
    private readonly store: SdrStore,
    private readonly clock: Clock,
  ) {
    super(nc, config);
  }

  protected options(): OtpEventsConsumerOptions {
    return {
      durable: this.config.sdrConsumer,
      filterSubject: Subjects.allOtpEvents,
      concurrency: CONCURRENCY,
      maxDeliver: MAX_DELIVER,
      ackWaitMs: ACK_WAIT_MS,
    };
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
      this.logger.warn({
        message: 'could not project event, retrying',
        eventId: event.metadata.eventId,
        error: (error as Error).message,
      });
      return this.count(
        { retryAfterMs: Math.min(30_000, 1000 * 2 ** Math.max(0, msg.info.redeliveryCount - 1)) },
        'retried',
      );
    }
  }

  private count(outcome: MessageOutcome, label: string): MessageOutcome {
    projected.inc({ outcome: label });
    return outcome;
  }
}
