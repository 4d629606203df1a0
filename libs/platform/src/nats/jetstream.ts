import { Logger } from '@nestjs/common';
import { STREAMS, streamName, withPrefix } from '@app/contracts';
import {
  AckPolicy,
  DeliverPolicy,
  type JetStreamManager,
  type JsMsg,
  nanos,
  type NatsConnection,
  RetentionPolicy,
  StorageType,
} from 'nats';
import { isDependencyOutage } from '../errors';
import { REQUEST_ID_HEADER, runWithRequestId } from '../logging/request-context';

/**
 * Declares the streams of the contract (`STREAMS` in libs/contracts). Idempotent: every
 * publisher and consumer calls it at start, so no start order between services matters.
 * `replicas` (NATS_STREAM_REPLICAS) is applied to a new stream and to an existing one with
 * another count (on a NATS cluster, JetStream then moves it to that many nodes). A subject the
 * contract added since an existing stream was created is added to it (none is ever removed:
 * what an older version or an operator added stays).
 */
export async function ensureStreams(jsm: JetStreamManager, prefix: string, replicas = 1): Promise<void> {
  for (const stream of Object.values(STREAMS)) {
    await ensureStream(jsm, {
      name: streamName(prefix, stream.name),
      subjects: stream.subjects.map((subject) => withPrefix(prefix, subject)),
      retention: stream.retention === 'workqueue' ? RetentionPolicy.Workqueue : RetentionPolicy.Limits,
      storage: StorageType.File,
      duplicate_window: nanos(stream.duplicateWindowMs),
      max_age: nanos(stream.maxAgeMs),
      num_replicas: replicas,
    });
  }
}

async function ensureStream(
  jsm: JetStreamManager,
  config: Parameters<JetStreamManager['streams']['add']>[0] & { name: string },
): Promise<void> {
  let existing;
  try {
    existing = await jsm.streams.info(config.name);
  } catch {
    existing = undefined;
  }
  if (existing) {
    const missing = (config.subjects ?? []).filter((s) => !existing.config.subjects?.includes(s));
    const replicas = config.num_replicas ?? existing.config.num_replicas;
    if (missing.length || existing.config.num_replicas !== replicas) {
      await jsm.streams.update(config.name, {
        ...existing.config,
        subjects: [...(existing.config.subjects ?? []), ...missing],
        num_replicas: replicas,
      });
    }
  } else {
    try {
      await jsm.streams.add(config);
    } catch (error) {
      // Another replica may have created it in between.
      await jsm.streams.info(config.name).catch(() => {
        throw error;
      });
    }
  }
}

/**
 * What a handler decides about a message; consumers never throw. `unavailable`: a dependency
 * (Postgres, Redis, NATS) is out of reach, so the message is held and handled again once it may
 * be back — that is not a delivery: it does not count towards `maxDeliver`, and the message is
 * not handed to another replica (which would find the same outage).
 */
export type MessageOutcome = { ack: true } | { retryAfterMs: number } | { drop: string } | { unavailable: string };

/** Lifetime of one pull request: a lost one (its node died) is noticed and renewed within it. */
const PULL_EXPIRES_MS = 3000;

/** Back-off of a message held through an outage: doubling from the first, up to the cap. */
const OUTAGE_RETRY_FIRST_MS = 250;
const OUTAGE_RETRY_CAP_MS = 5000;

export interface WorkerOptions {
  stream: string;
  durable: string;
  filterSubject: string;
  /** Messages handled at once by this replica. */
  concurrency: number;
  /**
   * Deliveries before a message is given up (-1: never; the handler decides, and publishes
   * what giving up means). Outages do not count (see {@link MessageOutcome}).
   */
  maxDeliver: number;
  /** Time without an ack or a progress heartbeat after which JetStream redelivers (to any replica). */
  ackWaitMs: number;
  handle: (msg: JsMsg) => Promise<MessageOutcome>;
}

/**
 * A durable pull consumer shared by every replica: bounded concurrency, explicit ack, nak with
 * delay for retries, term for poison messages. While a message is being handled it sends
 * progress heartbeats (`working()`, three per ack wait), so a short ack wait redelivers the
 * messages of a crashed replica soon without taking a slow one's away from it.
 */
export class JetStreamWorker {
  private readonly logger: Logger;
  private stopped = false;
  private wakeUp = new Set<() => void>();
  private messages?: { stop(): void; close(): Promise<void | Error> };
  private readonly inFlight = new Set<Promise<void>>();
  private loop?: Promise<void>;

  constructor(
    private readonly nc: NatsConnection,
    private readonly options: WorkerOptions,
  ) {
    this.logger = new Logger(`JetStreamWorker(${options.durable})`);
  }

  async start(): Promise<void> {
    const jsm = await this.nc.jetstreamManager();
    const { stream, durable, filterSubject, maxDeliver, ackWaitMs, concurrency } = this.options;
    const config = {
      durable_name: durable,
      ack_policy: AckPolicy.Explicit,
      deliver_policy: DeliverPolicy.All,
      filter_subject: filterSubject,
      max_deliver: maxDeliver,
      ack_wait: nanos(ackWaitMs),
      max_ack_pending: Math.max(concurrency * 4, 64),
    };
    const existing = await jsm.consumers.info(stream, durable).catch(() => undefined);
    if (existing) {
      if (existing.config.filter_subject !== filterSubject) {
        // A new version takes other subjects. JetStream keeps the durable's position and its
        // unacknowledged messages (they are redelivered as before); from the position on, only
        // the new filter's messages are delivered: what the old one had not delivered yet is not.
        this.logger.warn({
          message: 'consumer filter changed',
          from: existing.config.filter_subject,
          to: filterSubject,
          undeliveredOfOldFilter: existing.num_pending,
          unacknowledged: existing.num_ack_pending,
        });
      }
      await jsm.consumers
        .update(stream, durable, { max_deliver: maxDeliver, ack_wait: config.ack_wait, filter_subject: filterSubject })
        .catch((error: Error) => this.logger.warn(`consumer not updated, kept as it was: ${error.message}`));
    } else {
      await jsm.consumers.add(stream, config).catch(async (error) => {
        // Another replica may have created it in between.
        await jsm.consumers.info(stream, durable).catch(() => {
          throw error;
        });
      });
    }
    const consumer = await this.nc.jetstream().consumers.get(stream, durable);
    // Short pulls: a pull request lives on the consumer's leader, and when that NATS node dies
    // the client, still connected to another node, hears nothing; it notices only by the missed
    // idle heartbeats (two of expires/2), so the default 30 s expiry held deliveries up for 30 s.
    const messages = await consumer.consume({ max_messages: concurrency, expires: PULL_EXPIRES_MS });
    this.messages = messages;
    this.loop = (async () => {
      for await (const msg of messages) {
        if (this.stopped) {
          msg.nak();
          continue;
        }
        while (this.inFlight.size >= concurrency) await Promise.race(this.inFlight);
        const work = this.process(msg).finally(() => this.inFlight.delete(work));
        this.inFlight.add(work);
      }
    })();
  }

  /** Stops pulling, lets the messages in hand finish; unfinished ones are redelivered. */
  async stop(): Promise<void> {
    this.stopped = true;
    // Messages held through an outage go back to the stream now (another replica, or us later).
    for (const wake of this.wakeUp) wake();
    this.messages?.stop();
    await Promise.allSettled([...this.inFlight]);
    await this.loop?.catch(() => undefined);
  }

  private process(msg: JsMsg): Promise<void> {
    // The request id that came with the message names every log line of its handling.
    return runWithRequestId(msg.headers?.get(REQUEST_ID_HEADER) || undefined, () => this.settle(msg));
  }

  private async settle(msg: JsMsg): Promise<void> {
    const beat = () => {
      try {
        msg.working();
      } catch {
        // The connection closed under us: the message comes back to whoever holds it next.
      }
    };
    const heartbeat = setInterval(beat, Math.max(100, Math.floor(this.options.ackWaitMs / 3)));
    try {
      this.finish(msg, await this.outcomeOf(msg));
    } finally {
      clearInterval(heartbeat);
    }
  }

  /** Runs the handler, again and again while a dependency is out of reach (not a delivery). */
  private async outcomeOf(msg: JsMsg): Promise<Exclude<MessageOutcome, { unavailable: string }>> {
    for (let held = 0; ; held++) {
      let outcome: MessageOutcome;
      try {
        outcome = await this.options.handle(msg);
      } catch (error) {
        if (isDependencyOutage(error)) {
          outcome = { unavailable: (error as Error).message };
        } else {
          this.logger.error(`handler threw, retrying later: ${(error as Error).message}`);
          outcome = { retryAfterMs: 1000 };
        }
      }
      if (!('unavailable' in outcome)) return outcome;
      // Handed back at shutdown: JetStream redelivers it, the count of deliveries is no attempt count.
      if (this.stopped) return { retryAfterMs: 0 };
      const waitMs = Math.min(OUTAGE_RETRY_CAP_MS, OUTAGE_RETRY_FIRST_MS * 2 ** Math.min(held, 10));
      // The first wait, then every 5 s or so: one line per outage per message, not one per try.
      if (held === 0 || waitMs === OUTAGE_RETRY_CAP_MS)
        this.logger.warn({
          message: 'dependency unavailable, holding message',
          reason: outcome.unavailable,
          seq: msg.seq,
        });
      await new Promise<void>((resolve) => {
        const wake = () => {
          clearTimeout(timer);
          this.wakeUp.delete(wake);
          resolve();
        };
        const timer = setTimeout(wake, waitMs);
        this.wakeUp.add(wake);
      });
    }
  }

  private finish(msg: JsMsg, outcome: Exclude<MessageOutcome, { unavailable: string }>): void {
    if ('ack' in outcome) {
      msg.ack();
    } else if ('drop' in outcome) {
      this.logger.warn({ message: 'message dropped', reason: outcome.drop, seq: msg.seq });
      msg.term();
    } else if (this.options.maxDeliver > 0 && msg.info.redeliveryCount >= this.options.maxDeliver) {
      this.logger.error({ message: 'message given up after max deliveries', seq: msg.seq });
      msg.term();
    } else if (outcome.retryAfterMs > 0) {
      msg.nak(outcome.retryAfterMs);
    } else {
      msg.nak();
    }
  }
}
