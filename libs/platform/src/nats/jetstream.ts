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
import { REQUEST_ID_HEADER, runWithRequestId } from '../logging/request-context';

/**
 * Declares the streams of the contract (`STREAMS` in libs/contracts). Idempotent: every
 * publisher and consumer calls it at start, so no start order between services matters.
 */
export async function ensureStreams(jsm: JetStreamManager, prefix: string): Promise<void> {
  for (const stream of Object.values(STREAMS)) {
    await ensureStream(jsm, {
      name: streamName(prefix, stream.name),
      subjects: stream.subjects.map((subject) => withPrefix(prefix, subject)),
      retention: stream.retention === 'workqueue' ? RetentionPolicy.Workqueue : RetentionPolicy.Limits,
      storage: StorageType.File,
      duplicate_window: nanos(stream.duplicateWindowMs),
      max_age: nanos(stream.maxAgeMs),
    });
  }
}

async function ensureStream(
  jsm: JetStreamManager,
  config: Parameters<JetStreamManager['streams']['add']>[0] & { name: string },
): Promise<void> {
  try {
    await jsm.streams.info(config.name);
  } catch {
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

/** What a handler decides about a message; consumers never throw. */
export type MessageOutcome = { ack: true } | { retryAfterMs: number } | { drop: string };

export interface WorkerOptions {
  stream: string;
  durable: string;
  filterSubject: string;
  /** Messages handled at once by this replica. */
  concurrency: number;
  /** Deliveries before a message is given up. */
  maxDeliver: number;
  ackWaitMs: number;
  handle: (msg: JsMsg) => Promise<MessageOutcome>;
}

/**
 * A durable pull consumer shared by every replica: bounded concurrency, explicit ack, nak with
 * delay for retries, term for poison messages.
 */
export class JetStreamWorker {
  private readonly logger: Logger;
  private stopped = false;
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
    try {
      await jsm.consumers.info(stream, durable);
      await jsm.consumers.update(stream, durable, { max_deliver: maxDeliver, ack_wait: config.ack_wait });
    } catch {
      await jsm.consumers.add(stream, config).catch(async (error) => {
        await jsm.consumers.info(stream, durable).catch(() => {
          throw error;
        });
      });
    }
    const consumer = await this.nc.jetstream().consumers.get(stream, durable);
    const messages = await consumer.consume({ max_messages: concurrency });
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
    this.messages?.stop();
    await Promise.allSettled([...this.inFlight]);
    await this.loop?.catch(() => undefined);
  }

  private process(msg: JsMsg): Promise<void> {
    // The request id that came with the message names every log line of its handling.
    return runWithRequestId(msg.headers?.get(REQUEST_ID_HEADER) || undefined, () => this.settle(msg));
  }

  private async settle(msg: JsMsg): Promise<void> {
    let outcome: MessageOutcome;
    try {
      outcome = await this.options.handle(msg);
    } catch (error) {
      this.logger.error(`handler threw, retrying later: ${(error as Error).message}`);
      outcome = { retryAfterMs: 1000 };
    }
    if ('ack' in outcome) {
      msg.ack();
    } else if ('drop' in outcome) {
      this.logger.warn({ message: 'message dropped', reason: outcome.drop, seq: msg.seq });
      msg.term();
    } else if (msg.info.redeliveryCount >= this.options.maxDeliver) {
      this.logger.error({ message: 'message given up after max deliveries', seq: msg.seq });
      msg.term();
    } else {
      msg.nak(outcome.retryAfterMs);
    }
  }
}
