import {
  Inject,
  Injectable,
  Logger,
  type OnApplicationBootstrap,
  type BeforeApplicationShutdown,
} from '@nestjs/common';
import { statusCallbackCopy, withPrefix } from '@app/contracts';
import { APP_CONFIG, type AppConfig, encodeJson, ensureStreams, REQUEST_ID_HEADER } from '@app/platform';
import { headers, type JetStreamClient, type NatsConnection } from 'nats';
import { Counter } from 'prom-client';
import { OUTBOX_NATS_CONNECTION } from '../otp-core.tokens';
import { type OutboxRow, OtpRepository, type StoredOutboxRow } from '../otp.repository';

const BATCH = 100;
const IDLE_POLL_MS = 500;
const MAX_BACKOFF_MS = 5000;
/** Published rows are deleted together, this long after the first of them was published. */
const DELETE_DELAY_MS = 20;
const DELETE_RETRY_MS = 1000;

const published = new Counter({ name: 'otp_outbox_published_total', help: 'Outbox messages published to JetStream' });
const publishFailures = new Counter({
  name: 'otp_outbox_publish_failures_total',
  help: 'Failed outbox publish rounds',
});

/**
 * Publishes the outbox to JetStream and deletes what JetStream acknowledged.
 *
 * Two paths. Right after a commit, the transaction's own rows are published at once by the
 * process that wrote them ({@link publishCommitted}), in their order, each after the PubAck of
 * the one before (a dispatch message before its `dispatched` event), and deleted in batches. A
 * poller is the safety net: every IDLE_POLL_MS (or when kicked) it publishes, oldest first, the
 * rows nobody is publishing — those of a crashed process, of a publish that failed, of a
 * transaction whose commit outcome was unknown — and deletes them in its own transaction.
 *
 * Guarantees: a committed row is published at least once (it stays until a PubAck); a row
 * published twice (a crash between the PubAck and the delete, or both paths at once) is
 * stored once by JetStream, because the message id is the row's and the stream de-duplicates
 * within its window; the dispatchers de-duplicate again by dispatch id, the projections by
 * event id. Replicas share the poller's work through `FOR UPDATE SKIP LOCKED`.
 */
@Injectable()
export class OutboxRelay implements OnApplicationBootstrap, BeforeApplicationShutdown {
  private readonly logger = new Logger(OutboxRelay.name);
  private running = false;
  private wake?: () => void;
  private loop?: Promise<void>;
  private streamsReady = false;
  private backoff = 0;
  /** Rows this process is publishing or has published and not yet deleted: the poller leaves them alone. */
  private readonly inHand = new Set<string>();
  private readonly publishing = new Set<Promise<void>>();
  private toDelete: string[] = [];
  private deleteTimer?: NodeJS.Timeout;
  private deleting?: Promise<void>;

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
    await Promise.allSettled([...this.publishing]);
    await this.flushDeletes();
    await this.loop;
  }

  /** Publish now rather than at the next poll (the poller's rows). */
  kick(): void {
    this.wake?.();
  }

  /**
   * Publishes the rows a transaction just committed, in the background. Whatever does not
   * reach JetStream stays in the outbox for the poller.
   */
  publishCommitted(rows: readonly StoredOutboxRow[]): void {
    if (!rows.length) return;
    // Not started, stopping, or NATS in trouble right now: the poller (with its back-off) takes them.
    if (!this.running || !this.streamsReady || this.backoff) return this.kick();
    for (const row of rows) this.inHand.add(row.id);
    const work = this.publishInOrder(rows).then((done) => {
      for (const row of rows.slice(done)) this.inHand.delete(row.id);
      this.deleteLater(rows.slice(0, done).map((r) => r.id));
      if (done < rows.length) this.kick();
    });
    this.publishing.add(work);
    void work.finally(() => this.publishing.delete(work));
  }

  /** Publishes rows one after the other; returns how many JetStream acknowledged before a failure. */
  private async publishInOrder(rows: readonly StoredOutboxRow[]): Promise<number> {
    const js = this.nc.jetstream();
    for (const [i, row] of rows.entries()) {
      try {
        await this.publish(js, row);
      } catch (error) {
        if (i === 0) this.logger.warn(`outbox publish failed, left to the poller: ${(error as Error).message}`);
        published.inc(i);
        return i;
      }
    }
    published.inc(rows.length);
    return rows.length;
  }

  private deleteLater(ids: string[]): void {
    if (!ids.length) return;
    this.toDelete.push(...ids);
    this.deleteTimer ??= setTimeout(() => {
      this.deleteTimer = undefined;
      void this.flushDeletes();
    }, DELETE_DELAY_MS);
  }

  /** One DELETE for every row published since the last one. */
  private async flushDeletes(): Promise<void> {
    await this.deleting;
    const ids = this.toDelete;
    if (!ids.length) return;
    this.toDelete = [];
    this.deleting = this.requests.deleteOutbox(ids).then(
      () => {
        for (const id of ids) this.inHand.delete(id);
      },
      (error: Error) => {
        // Published already: a later delete will do, and until then the poller leaves them alone.
        this.logger.warn(`outbox delete failed, retrying: ${error.message}`);
        this.toDelete.push(...ids);
        if (this.running) {
          clearTimeout(this.deleteTimer);
          this.deleteTimer = setTimeout(() => {
            this.deleteTimer = undefined;
            void this.flushDeletes();
          }, DELETE_RETRY_MS);
        }
      },
    );
    await this.deleting;
  }

  private async run(): Promise<void> {
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
        this.backoff = 0;
      } catch (error) {
        publishFailures.inc();
        this.backoff = Math.min(MAX_BACKOFF_MS, Math.max(200, this.backoff * 2));
        this.logger.warn(`outbox publish paused ${this.backoff} ms: ${(error as Error).message}`);
      }
      if (this.backoff || drained) await this.sleep(this.backoff || IDLE_POLL_MS);
    }
  }

  /**
   * Publishes one batch of the rows nobody else is publishing, in id order; returns how many
   * rows it published. A failed publish ends the batch: what was acknowledged before it is
   * deleted and committed, the rest stays.
   */
  private async publishBatch(): Promise<number> {
    let failure: unknown;
    const count = await this.requests.transaction(async (tx) => {
      const rows = await tx.lockOutbox(BATCH, [...this.inHand]);
      const js = this.nc.jetstream();
      const done: string[] = [];
      for (const row of rows) {
        try {
          await this.publish(js, row);
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

  /**
   * One row, under its message id (JetStream stores a re-publish once), with the request id that
   * wrote it; an event of a request with a status callback then once more, on the callback
   * subject (see {@link statusCallbackCopyOf}). The row counts as published once both are
   * acknowledged: a failure in between publishes both again, each stored once.
   */
  private async publish(js: JetStreamClient, row: StoredOutboxRow): Promise<void> {
    const h = headers();
    if (row.requestId) h.set(REQUEST_ID_HEADER, row.requestId);
    const prefix = this.config.nats.prefix;
    const data = encodeJson(row.payload);
    await js.publish(withPrefix(prefix, row.subject), data, { msgID: row.msgId, headers: h, timeout: 2000 });
    const copy = statusCallbackCopyOf(row);
    if (copy)
      await js.publish(withPrefix(prefix, copy.subject), data, { msgID: copy.msgId, headers: h, timeout: 2000 });
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

/**
 * Where an outbox row's status-callback copy goes ({@link statusCallbackCopy}): decided when
 * the row is published, not when it is written, so the rows an older version left in the
 * outbox get their copy too.
 */
export function statusCallbackCopyOf(row: OutboxRow): { subject: string; msgId: string } | undefined {
  return statusCallbackCopy(row.subject, row.msgId, row.payload);
}
