import { Inject, Injectable, Logger, type OnApplicationBootstrap, type BeforeApplicationShutdown } from '@nestjs/common';
import { DispatchMessage, streamName, Streams, Subjects, withPrefix } from '@app/contracts';
import {
  APP_CONFIG,
  type AppConfig,
  Clock,
  decodeJson,
  ensureStreams,
  JetStreamWorker,
  type MessageOutcome,
  NATS_CONNECTION,
} from '@app/platform';
import type { JsMsg, NatsConnection } from 'nats';
import { Counter } from 'prom-client';
import { DevOutboxStore } from './dev-outbox.store';
import { type Claim, DispatchClaims } from './dispatch-claims';
import { SMS_PROVIDER, type SmsProvider } from './providers/sms-provider';

const CONCURRENCY = 16;
const MAX_DELIVER = 10;
const ACK_WAIT_MS = 30_000;
const RETRY_BASE_MS = 1000;
const RETRY_CAP_MS = 30_000;

const outcomes = new Counter({ name: 'dispatch_messages_total', help: 'Dispatch messages handled', labelNames: ['channel', 'outcome'] });

/**
 * The SMS dispatcher: a durable pull consumer of `dispatch.v1.sms` that every replica shares.
 * Each message goes to the provider at most once (see {@link DispatchClaims}); a provider
 * failure is retried with back-off; an invalid or expired message is dropped, never retried.
 */
@Injectable()
export class SmsDispatcher implements OnApplicationBootstrap, BeforeApplicationShutdown {
  private readonly logger = new Logger(SmsDispatcher.name);
  private worker?: JetStreamWorker;

  constructor(
    @Inject(NATS_CONNECTION) private readonly nc: NatsConnection,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    @Inject(SMS_PROVIDER) private readonly provider: SmsProvider,
    private readonly claims: DispatchClaims,
    private readonly outbox: DevOutboxStore,
    private readonly clock: Clock,
  ) {}

  async onApplicationBootstrap(): Promise<void> {
    const prefix = this.config.nats.prefix;
    await ensureStreams(await this.nc.jetstreamManager(), prefix);
    this.worker = new JetStreamWorker(this.nc, {
      stream: streamName(prefix, Streams.dispatch),
      durable: 'dispatcher-sms',
      filterSubject: withPrefix(prefix, Subjects.dispatch('sms')),
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
    const parsed = DispatchMessage.safeParse(decodeJson(msg.data));
    // Other teams publish here too: a message that does not parse will never parse, so it is
    // dropped rather than retried.
    if (!parsed.success || parsed.data.channel !== 'sms') return this.count({ drop: 'invalid message' });
    const message = parsed.data;
    const now = this.clock.now();
    const expiresAt = Date.parse(message.expiresAt);
    // The contract types expiresAt as any string; one that is no date is as poisonous as bad JSON.
    if (Number.isNaN(expiresAt)) return this.count({ drop: 'invalid message' });
    // A code that can no longer be verified is not worth an SMS.
    if (expiresAt <= now.getTime()) return this.count({ drop: 'expired' });

    let claim: Claim;
    try {
      claim = await this.claims.claim(message.dispatchId);
    } catch (error) {
      // Never send without a claim: that is how duplicates happen.
      this.logger.warn(`cannot claim dispatch, retrying: ${(error as Error).message}`);
      return this.count({ retryAfterMs: 1000 });
    }
    if (claim !== 'claimed') {
      // `in-progress` may be a replica that crashed mid-send: we accept never sending that one
      // (at most once to the provider) over risking a second SMS; see DispatchClaims.
      if (claim === 'in-progress') this.logger.warn({ message: 'dispatch already in progress elsewhere; not sending again', dispatchId: message.dispatchId });
      return this.count({ ack: true }, 'duplicate');
    }

    try {
      await this.provider.send({ dispatchId: message.dispatchId, from: message.from, to: message.to, text: message.text, maskedText: message.maskedText });
    } catch (error) {
      await this.claims.release(message.dispatchId).catch(() => undefined);
      // redeliveryCount is 1 on the first delivery: 1s, 2s, 4s… up to the cap.
      const delay = Math.min(RETRY_CAP_MS, RETRY_BASE_MS * 2 ** Math.max(0, msg.info.redeliveryCount - 1));
      this.logger.warn({ message: 'provider refused, retrying', dispatchId: message.dispatchId, provider: this.provider.name, error: (error as Error).message, retryInMs: delay });
      return this.count({ retryAfterMs: delay });
    }
    // Sent: from here on, a failure must not lead to a second send.
    await this.claims.markSent(message.dispatchId).catch((error: Error) => this.logger.warn(`could not mark dispatch sent: ${error.message}`));
    if (this.config.devOutbox) {
      await this.outbox.keep(message, now).catch((error: Error) => this.logger.warn(`development outbox: ${error.message}`));
    }
    return this.count({ ack: true });
  }

  private count(outcome: MessageOutcome, label?: string): MessageOutcome {
    const name = label ?? ('ack' in outcome ? 'sent' : 'drop' in outcome ? 'dropped' : 'retried');
    outcomes.inc({ channel: 'sms', outcome: name });
    return outcome;
  }
}
