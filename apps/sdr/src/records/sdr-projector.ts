import { Inject, Injectable, Logger } from '@nestjs/common';
import { Subjects } from '@app/contracts';
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
import { Counter } from 'prom-client';
import { parseSdrEvent, type SdrEvent } from './sdr-event';
import { SdrStore } from './sdr-store';

/** Messages in hand at once: what arrives while a batch is projected makes the next batch. */
const CONCURRENCY = 128;
const MAX_BATCH = 128;
// A projection must not skip an event. Outages (Postgres away) are held, not counted; what fails
// otherwise (a lock conflict, a bug) is retried 30 s apart at most, for about eight hours.
const MAX_DELIVER = 1000;
const ACK_WAIT_MS = 30_000;

const projected = new Counter({
  name: 'sdr_events_total',
  help: 'Events seen by the SDR projection',
  labelNames: ['outcome'],
});

interface Waiting {
  event: SdrEvent;
  settle: (outcome: MessageOutcome) => void;
  redeliveries: number;
}

/**
 * The durable consumer of `otp.v1.events.>` (durable `sdr`, or SDR_CONSUMER) that keeps the
 * session detail records and usage roll-ups. Replicas share it; every event is projected
 * idempotently (see {@link SdrStore}), so redeliveries and replays are harmless.
 *
 * Events are projected in batches: the messages that arrive while one batch is being written
 * form the next one (one transaction of a few statements, whatever its size), and each message
 * is acknowledged only once its batch committed. If a batch fails, its events are tried one by
 * one, so that one event that cannot be projected holds up no other.
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

  private waiting: Waiting[] = [];
  private running?: Promise<void>;

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
    return new Promise((settle) => {
      this.waiting.push({ event, settle, redeliveries: msg.info.redeliveryCount });
      this.running ??= new Promise<void>((resolve) => setImmediate(resolve)).then(() => this.drain());
    });
  }

  /** Projects batch after batch until nothing waits. */
  private async drain(): Promise<void> {
    while (this.waiting.length) {
      const batch = this.waiting.splice(0, MAX_BATCH);
      try {
        const fresh = await this.store.projectBatch(
          batch.map((w) => w.event),
          this.clock.now(),
        );
        for (const w of batch)
          w.settle(this.count({ ack: true }, fresh.has(w.event.metadata.eventId) ? 'projected' : 'duplicate'));
      } catch (error) {
        // Postgres away: every event is held (no delivery spent) and comes back in a batch again.
        if (isDependencyOutage(error)) {
          const outage: MessageOutcome = { unavailable: (error as Error).message };
          for (const w of batch) w.settle(this.count(outage, 'held'));
          continue;
        }
        // One by one, until one fails too (then all come back later).
        let failed = false;
        for (const w of batch) {
          const outcome: MessageOutcome = failed ? this.retry(w) : await this.projectOne(w);
          failed ||= !('ack' in outcome);
          w.settle(outcome);
        }
      }
    }
    this.running = undefined;
  }

  private async projectOne(w: Waiting): Promise<MessageOutcome> {
    try {
      const fresh = await this.store.project(w.event, this.clock.now());
      return this.count({ ack: true }, fresh ? 'projected' : 'duplicate');
    } catch (error) {
      if (isDependencyOutage(error)) return this.count({ unavailable: (error as Error).message }, 'held');
      // A lock conflict or the like: the event stays in the stream and comes back.
      this.logger.warn({
        message: 'could not project event, retrying',
        eventId: w.event.metadata.eventId,
        error: (error as Error).message,
      });
      return this.retry(w);
    }
  }

  private retry(w: Waiting): MessageOutcome {
    return this.count({ retryAfterMs: Math.min(30_000, 1000 * 2 ** Math.max(0, w.redeliveries - 1)) }, 'retried');
  }

  private count(outcome: MessageOutcome, label: string): MessageOutcome {
    projected.inc({ outcome: label });
    return outcome;
  }
}
