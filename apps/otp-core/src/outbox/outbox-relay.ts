import {
  Inject,
  Injectable,
  Logger,
  type OnApplicationBootstrap,
  type BeforeApplicationShutdown,
} from '@nestjs/common';
import { withPrefix } from '@app/contracts';
import { APP_CONFIG, type AppConfig, encodeJson, ensureStreams, REQUEST_ID_HEADER } from '@app/platform';
import { headers, type NatsConnection } from 'nats';
import { Counter } from 'prom-client';
import { OUTBOX_NATS_CONNECTION } from '../otp-core.tokens';
import { OtpRepository } from '../otp.repository';

const BATCH = 100;
const IDLE_POLL_MS = 500;
const MAX_BACKOFF_MS = 5000;

const published = new Counter({ name: 'otp_outbox_published_total', help: 'Outbox messages published to JetStream' });
const publishFailures = new Counter({
  name: 'otp_outbox_publish_failures_total',
  help: 'Failed outbox publish rounds',
});

/**
 * Publishes the outbox to JetStream, oldest first, and deletes what JetStream acknowledged.
 *
 * Guarantees: a committed row is published at least once (it stays until a PubAck); a row
 * published twice (a crash between the PubAck and the delete) is stored once by JetStream,
 * because the message id is the row's and the stream de-duplicates within its window; the
 * dispatchers de-duplicate again by dispatch id. Replicas share the work through
 * `FOR UPDATE SKIP LOCKED`.
 */
@Injectable()
export class OutboxRelay implements OnApplicationBootstrap, BeforeApplicationShutdown {
  private readonly logger = new Logger(OutboxRelay.name);
  private running = false;
  private wake?: () => void;
  private loop?: Promise<void>;
  private streamsReady = false;

  constructor(
    private readonly requests: OtpRepository,
    @Inject(OUTBOX_NATS_CONNECTION) private readonly nc: NatsConnection,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {}

  onApplicationBootstrap(): void {
    this.running = true;
    this.loop = this.run();
  }

  /** Before NATS drains: finish or hand back what is in flight. */
  async beforeApplicationShutdown(): Promise<void> {
    this.running = false;
    this.wake?.();
    await this.loop;
  }

  /** Publish now rather than at the next poll (called after a commit). */
  kick(): void {
    this.wake?.();
  }

  private async run(): Promise<void> {
    let backoff = 0;
    while (this.running) {
      let drained = true;
      try {
        if (!this.streamsReady) {
          await ensureStreams(
            await this.nc.jetstreamManager({ timeout: 2000 }),
            this.config.nats.prefix,
            this.config.nats.streamReplicas,
          );
          this.streamsReady = true;
        }
        drained = (await this.publishBatch()) < BATCH;
        backoff = 0;
      } catch (error) {
        publishFailures.inc();
        backoff = Math.min(MAX_BACKOFF_MS, Math.max(200, backoff * 2));
        this.logger.warn(`outbox publish paused ${backoff} ms: ${(error as Error).message}`);
      }
      if (backoff || drained) await this.sleep(backoff || IDLE_POLL_MS);
    }
  }

  /**
   * Publishes one batch in id order; returns how many rows it published. A failed publish
   * ends the batch: what was acknowledged before it is deleted and committed, the rest stays.
   */
  private async publishBatch(): Promise<number> {
    let failure: unknown;
    const count = await this.requests.transaction(async (tx) => {
      const rows = await tx.lockOutbox(BATCH);
      const js = this.nc.jetstream();
      const done: string[] = [];
      for (const row of rows) {
        const h = headers();
        if (row.requestId) h.set(REQUEST_ID_HEADER, row.requestId);
        try {
          await js.publish(withPrefix(this.config.nats.prefix, row.subject), encodeJson(row.payload), {
            msgID: row.msgId,
            headers: h,
            timeout: 2000,
          });
        } catch (error) {
          failure = error;
          break;
        }
        done.push(row.id);
      }
      await tx.deleteOutbox(done);
      return done.length;
    });
    published.inc(count);
    if (failure) throw failure;
    return count;
  }

  private sleep(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const timer = setTimeout(done, ms);
      function done() {
        clearTimeout(timer);
        resolve();
      }
      this.wake = done;
    });
  }
}
