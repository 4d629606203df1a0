import { type BeforeApplicationShutdown, Logger, type OnApplicationBootstrap } from '@nestjs/common';
import {
  CALLBACK_REPLY_HEADER,
  type Channel,
  DeliveryReceipt,
  type DeliveryStatusEventData,
  DispatchMessage,
  ProviderCallbackRequest,
  type ProviderCallbackVerdict,
  streamName,
  Streams,
  Subjects,
  withPrefix,
} from '@app/contracts';
import {
  type AppConfig,
  type Clock,
  decodeJson,
  encodeJson,
  ensureStreams,
  JetStreamWorker,
  type MessageOutcome,
} from '@app/platform';
import type { JsMsg, NatsConnection } from 'nats';
import { createHash } from 'node:crypto';
import { Counter } from 'prom-client';
import { DeliveryStatusPublisher } from './delivery-status.publisher';
import type { DevOutboxStore } from './dev-outbox.store';
import { type Claim, type DispatchClaims, type Lease, type SentRecord } from './dispatch-claims';
import { type Accepted, type CallbackVerdict, type ChannelProvider, ProviderError, withTimeout } from './provider';
import type { ProviderChain } from './provider-chain';

const CONCURRENCY = 16;
/**
 * A lease on a dispatch lasts this long and is renewed every LEASE_RENEW_MS while its provider
 * call runs: a crashed holder's lease lapses within LEASE_MS, so another replica sends soon.
 */
const LEASE_MS = 3000;
const LEASE_RENEW_MS = 1000;
/** First look at a dispatch leased elsewhere; doubles per delivery (a lapsing lease costs a few deliveries). */
const BUSY_RETRY_BASE_MS = 250;
const RETRY_CAP_MS = 30_000;
/** Back-off of a step retried in place while Redis or NATS is out of reach. */
const OUTAGE_RETRY_FIRST_MS = 250;
const OUTAGE_RETRY_CAP_MS = 5000;
/** A receipt may outrun the record of its send by a moment; it is not kept waiting for ever. */
const RECEIPT_MAX_DELIVER = 10;
const STOPPING = Symbol('stopping');
/** A delivery report is checked and queued in a moment; one that keeps failing is not worth more. */
const CALLBACK_MAX_DELIVER = 5;

const outcomes = new Counter({
  name: 'dispatch_messages_total',
  help: 'Dispatch messages handled',
  labelNames: ['channel', 'outcome'],
});
const statuses = new Counter({
  name: 'dispatch_delivery_status_total',
  help: 'Delivery statuses published',
  labelNames: ['channel', 'status'],
});

export interface ChannelDispatcherDeps {
  channel: Channel;
  nc: NatsConnection;
  config: AppConfig;
  /** The channel's providers in order, with routing by country and circuit breakers. */
  chain: ProviderChain;
  claims: DispatchClaims;
  outbox: DevOutboxStore;
  clock: Clock;
}

/**
 * The channel-agnostic dispatcher: a durable pull consumer of `dispatch.v1.<channel>` shared by
 * every replica (durable `dispatcher-<channel>`), and one of `dispatch.v1.receipts.<channel>`.
 *
 * Each message goes to the provider once, or again with the same idempotency key only after a
 * replica died mid-send (see {@link DispatchClaims}); a transient
 * provider failure is retried with back-off up to DISPATCH_MAX_ATTEMPTS, then `failed`; a
 * permanent one fails at once; an invalid or expired message is dropped (logged and counted),
 * never retried. Every step that a person or a fallback cares about is a delivery_status event.
 */
export class ChannelDispatcher implements OnApplicationBootstrap, BeforeApplicationShutdown {
  private readonly logger: Logger;
  private readonly statusPublisher: DeliveryStatusPublisher;
  private worker?: JetStreamWorker;
  private receiptWorker?: JetStreamWorker;
  private callbackWorker?: JetStreamWorker;
  private stopping = false;
  private readonly wakeUp = new Set<() => void>();

  constructor(private readonly d: ChannelDispatcherDeps) {
    this.logger = new Logger(`Dispatcher(${d.channel})`);
    this.statusPublisher = new DeliveryStatusPublisher(d.nc, d.config.nats.prefix);
  }

  get durable(): string {
    return `dispatcher-${this.d.channel === 'call' ? 'voice' : this.d.channel}`;
  }

  async start(): Promise<void> {
    const prefix = this.d.config.nats.prefix;
    await ensureStreams(await this.d.nc.jetstreamManager(), prefix, this.d.config.nats.streamReplicas);
    for (const provider of this.d.chain.providers)
      provider.onReceipt?.((receipt) => this.publishReceipt(provider.name, receipt));
    const stream = streamName(prefix, Streams.dispatch);
    this.worker = new JetStreamWorker(this.d.nc, {
      stream,
      durable: this.durable,
      filterSubject: withPrefix(prefix, Subjects.dispatch(this.d.channel)),
      concurrency: CONCURRENCY,
      // Never given up by JetStream: provider attempts are counted with the lease (in Redis), an
      // outage counts nothing, and what gives up publishes `failed` (see refused()).
      maxDeliver: -1,
      ackWaitMs: this.d.config.dispatch.ackWaitMs,
      handle: (msg) => this.handle(msg),
    });
    this.receiptWorker = new JetStreamWorker(this.d.nc, {
      stream,
      durable: `${this.durable}-receipts`,
      filterSubject: withPrefix(prefix, Subjects.receipt(this.d.channel)),
      concurrency: CONCURRENCY,
      maxDeliver: -1,
      ackWaitMs: this.d.config.dispatch.ackWaitMs,
      handle: (msg) => this.handleReceipt(msg),
    });
    this.callbackWorker = new JetStreamWorker(this.d.nc, {
      stream,
      durable: `${this.durable}-callbacks`,
      filterSubject: withPrefix(prefix, `${Subjects.providerCallback(this.d.channel, '')}>`),
      concurrency: CONCURRENCY,
      maxDeliver: CALLBACK_MAX_DELIVER,
      ackWaitMs: this.d.config.dispatch.ackWaitMs,
      handle: (msg) => this.handleCallback(msg),
    });
    await this.worker.start();
    await this.receiptWorker.start();
    await this.callbackWorker.start();
  }

  onApplicationBootstrap(): Promise<void> {
    return this.start();
  }

  /** Before NATS drains. */
  beforeApplicationShutdown(): Promise<void> {
    return this.stop();
  }

  /** Finishes or hands back what is in flight, then closes the provider's connection. */
  async stop(): Promise<void> {
    this.stopping = true;
    for (const wake of this.wakeUp) wake();
    await this.worker?.stop();
    await this.receiptWorker?.stop();
    await this.callbackWorker?.stop();
    for (const provider of this.d.chain.providers)
      await provider.close?.().catch((error: Error) => this.logger.warn(`closing provider: ${error.message}`));
  }

  async handle(msg: JsMsg): Promise<MessageOutcome> {
    const parsed = DispatchMessage.safeParse(decodeJson(msg.data));
    // Other teams publish here too: a message that does not parse will never parse, so it is
    // dropped (logged by the worker, counted here) rather than retried.
    if (!parsed.success || parsed.data.channel !== this.d.channel) return this.count({ drop: 'invalid message' });
    const message = parsed.data;
    const now = this.d.clock.now();
    const expiresAt = Date.parse(message.expiresAt);
    if (Number.isNaN(expiresAt)) return this.count({ drop: 'invalid message' });

    let claim: Claim;
    try {
      claim = await this.d.claims.claim(message.dispatchId, LEASE_MS);
    } catch (error) {
      // Never send without a claim: that is how duplicates happen. Redis out of reach is no
      // attempt: the worker holds the message (heartbeats) and comes back here once it may be up.
      return this.count({ unavailable: `cannot claim dispatch: ${(error as Error).message}` }, 'unavailable');
    }
    if (claim.kind === 'already-done') return this.republishSent(message.dispatchId);
    if (claim.kind === 'busy') {
      // Another holder is at the provider (it will be done in a moment) or crashed there (its
      // lease lapses): look again soon, then less often, never later than the lease's end. Not a
      // provider attempt (attempts are counted with the lease).
      const soon = BUSY_RETRY_BASE_MS * 2 ** Math.max(0, msg.info.redeliveryCount - 1);
      const retryInMs = Math.min(claim.retryInMs + 100, soon) + Math.floor(Math.random() * 100);
      this.logger.log({
        message: 'dispatch leased elsewhere; looking again later',
        dispatchId: message.dispatchId,
        retryInMs,
      });
      return this.count({ retryAfterMs: retryInMs }, 'leased_elsewhere');
    }
    // A code that can no longer be verified is not worth a message: given up, and said so.
    if (expiresAt <= now.getTime())
      return this.giveUp(
        message,
        claim.lease,
        { code: 'expired', message: 'the code expired before the message could be sent' },
        'expired',
      );
    return this.send(message, claim.lease, now);
  }

  /**
   * One attempt: the providers serving the destination in order, under the one lease. A
   * transient failure (or an open circuit) hands the same dispatch id to the next provider, so
   * the message goes out once; a permanent one ends the attempt (another provider would refuse
   * the same number too). Only when every provider failed transiently is the attempt retried.
   */
  private async send(message: DispatchMessage, lease: Lease, now: Date): Promise<MessageOutcome> {
    const { claims, config } = this.d;
    const attempt = lease.attempt;
    if (attempt > 1)
      this.logger.log({
        message: 'sending again with the same idempotency key',
        dispatchId: message.dispatchId,
        attempt,
      });
    let accepted: Accepted | undefined;
    let provider: ChannelProvider | undefined;
    // Made only when a provider failed or none serves the destination (an Error's stack is dear).
    let lastError: ProviderError | undefined;
    // The lease is short: kept alive while the providers work, it lapses soon after a crash.
    const renewal = setInterval(() => void claims.renew(lease, LEASE_MS).catch(() => undefined), LEASE_RENEW_MS);
    try {
      for (const candidate of this.d.chain.candidates(message.to)) {
        if (provider)
          this.logger.warn({
            message: 'failing over to the next provider',
            dispatchId: message.dispatchId,
            from: provider.name,
            to: candidate.provider.name,
            error: lastError?.code,
          });
        provider = candidate.provider;
        const started = process.hrtime.bigint();
        const seconds = () => Number(process.hrtime.bigint() - started) / 1e9;
        try {
          accepted = await withTimeout(candidate.provider.send(message), config.dispatch.providerTimeoutMs);
          candidate.settle('sent', seconds());
          break;
        } catch (thrown) {
          lastError = ProviderError.from(thrown);
          candidate.settle(lastError.permanent ? 'permanent' : 'transient', seconds());
          if (lastError.permanent) break;
        }
      }
    } finally {
      clearInterval(renewal);
    }
    if (!accepted || !provider)
      return this.refused(
        message,
        lease,
        lastError ?? new ProviderError('no_route', 'no provider serves this destination', true),
        provider?.name ?? 'none',
      );
    const sent = accepted;
    const record: SentRecord = {
      ...recordOf(message, provider.name, attempt),
      providerMessageId: accepted.providerMessageId,
      units: accepted.units ?? 1,
    };
    // Sent: from here on, a failure must not lead to a second send. Through a Redis outage the
    // message is held (the worker's heartbeats keep it ours) until the send is on record.
    const stored = await this.untilDone('recording the send', () => claims.markSentWith(record, sent.otherMessageIds));
    if (stored === STOPPING) await claims.markSent(message.dispatchId).catch(() => undefined);
    if (config.devOutbox) {
      await this.d.outbox
        .keep(message, now)
        .catch((error: Error) => this.logger.warn(`development outbox: ${error.message}`));
    }
    try {
      await this.status(record, 'sent', null);
    } catch (error) {
      // Handled again, the claim says sent and the status is published from the record.
      return this.count({ unavailable: `cannot publish the sent status: ${(error as Error).message}` }, 'unavailable');
    }
    return this.count({ ack: true });
  }

  /** The provider did not take it: retry with back-off, or give up with `failed`. */
  private async refused(
    message: DispatchMessage,
    lease: Lease,
    error: ProviderError,
    providerName: string,
  ): Promise<MessageOutcome> {
    const { claims, config } = this.d;
    const attempt = lease.attempt;
    const base = recordOf(message, providerName, attempt);
    const reason = { code: error.code, message: error.message.slice(0, 500) };
    if (error.permanent || attempt >= config.dispatch.maxAttempts)
      return this.giveUp(message, lease, reason, 'failed', providerName);
    await claims.release(lease).catch(() => undefined);
    // attempt is 1 on the first delivery: base, 2×base, 4×base… up to the cap.
    const delay = Math.min(RETRY_CAP_MS, config.dispatch.retryBaseMs * 2 ** Math.max(0, attempt - 1));
    this.logger.warn({
      message: 'provider refused, retrying',
      dispatchId: message.dispatchId,
      provider: providerName,
      error: reason.message,
      retryInMs: delay,
    });
    // `queued`: waiting in the queue for another attempt, with what went wrong.
    await this.status(base, 'queued', reason).catch(() => undefined);
    return this.count({ retryAfterMs: delay });
  }

  /**
   * Gives a dispatch up: marked `failed` (later copies are not sent) and a `failed` status with
   * the reason, always published — through an outage of Redis or NATS too (held until then).
   */
  private async giveUp(
    message: DispatchMessage,
    lease: Lease,
    reason: { code: string; message: string },
    label: 'failed' | 'expired',
    /** Who refused it; for a code that expired in the queue, the channel's first provider. */
    providerName = this.d.chain.providers[0].name,
  ): Promise<MessageOutcome> {
    const { claims } = this.d;
    const ours = await this.untilDone('marking the dispatch failed', () => claims.markFailed(lease));
    if (ours === STOPPING) return { retryAfterMs: 0 };
    // Our lease lapsed and another holder took the dispatch (or sent it): not ours to fail.
    // Looked at again, it is `done` (acknowledged) or still leased (waited for).
    if (!ours) return this.count({ retryAfterMs: 1000 }, 'leased_elsewhere');
    this.logger.warn({
      message: label === 'expired' ? 'code expired before it was sent' : 'delivery failed',
      dispatchId: message.dispatchId,
      provider: providerName,
      attempt: lease.attempt,
      error: reason.message,
    });
    const published = await this.untilDone('publishing the failed status', () =>
      this.status(recordOf(message, providerName, lease.attempt), 'failed', reason),
    );
    if (published === STOPPING) {
      // The claim says done: a redelivery would publish nothing, so it is reopened for it.
      await claims.reopenFailed(message.dispatchId).catch(() => undefined);
      return { retryAfterMs: 0 };
    }
    return this.count({ ack: true }, label);
  }

  /** A copy of a dispatch already sent: acknowledged, its `sent` status published again (idempotent). */
  private async republishSent(dispatchId: string): Promise<MessageOutcome> {
    try {
      const record = await this.d.claims.record(dispatchId);
      if (record) await this.status(record, 'sent', null);
    } catch (error) {
      return this.count(
        { unavailable: `cannot republish the sent status: ${(error as Error).message}` },
        'unavailable',
      );
    }
    return this.count({ ack: true }, 'duplicate');
  }

  /**
   * Runs `work` until it succeeds, while Redis or NATS is out of reach (no attempt is spent; the
   * worker's heartbeats keep the message ours). STOPPING once the dispatcher shuts down.
   */
  private async untilDone<T>(what: string, work: () => Promise<T>): Promise<T | typeof STOPPING> {
    for (let i = 0; ; i++) {
      try {
        return await work();
      } catch (error) {
        if (this.stopping) return STOPPING;
        const waitMs = Math.min(OUTAGE_RETRY_CAP_MS, OUTAGE_RETRY_FIRST_MS * 2 ** Math.min(i, 10));
        if (i === 0 || waitMs === OUTAGE_RETRY_CAP_MS)
          this.logger.warn(`${what} failed, trying again: ${(error as Error).message}`);
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
  }

  /** A receipt a provider reported on its own connection: onto JetStream, like a callback. */
  private async publishReceipt(providerName: string, receipt: Omit<DeliveryReceipt, 'channel'>): Promise<void> {
    const body: DeliveryReceipt = {
      channel: this.d.channel,
      dispatchId: receipt.dispatchId,
      providerMessageId: receipt.providerMessageId,
      provider: providerName,
      status: receipt.status,
      error: receipt.error,
    };
    const id = createHash('sha256')
      .update(
        `${providerName}|${receipt.dispatchId ?? ''}|${receipt.providerMessageId ?? ''}|${receipt.status}|${receipt.error?.code ?? ''}`,
      )
      .digest('hex');
    await this.d.nc
      .jetstream()
      .publish(withPrefix(this.d.config.nats.prefix, Subjects.receipt(this.d.channel)), encodeJson(body), {
        msgID: id,
      });
  }

  async handleReceipt(msg: JsMsg): Promise<MessageOutcome> {
    const parsed = DeliveryReceipt.safeParse(decodeJson(msg.data));
    if (!parsed.success || parsed.data.channel !== this.d.channel)
      return this.count({ drop: 'invalid receipt' }, 'receipt_dropped');
    const receipt = parsed.data;
    let record: SentRecord | null;
    try {
      const dispatchId =
        receipt.dispatchId ??
        (await this.d.claims.dispatchIdOf(
          receipt.provider ?? this.d.chain.providers[0].name,
          receipt.providerMessageId as string,
        ));
      record = dispatchId ? await this.d.claims.record(dispatchId) : null;
    } catch (error) {
      return this.count({ unavailable: `cannot resolve receipt: ${(error as Error).message}` }, 'unavailable');
    }
    if (!record) {
      // The send's record may be a moment behind its receipt; after that the receipt is not ours.
      if (msg.info.redeliveryCount < RECEIPT_MAX_DELIVER) return { retryAfterMs: 500 };
      return this.count({ drop: 'receipt for an unknown dispatch' }, 'receipt_dropped');
    }
    const data = { ...record, providerMessageId: receipt.providerMessageId ?? record.providerMessageId };
    try {
      await this.status(data, receipt.status, receipt.error ?? null);
    } catch (error) {
      return this.count(
        { unavailable: `cannot publish the receipt's status: ${(error as Error).message}` },
        'unavailable',
      );
    }
    return this.count({ ack: true }, 'receipt');
  }

  /**
   * A vendor's delivery report handed over by the gateway: the provider it names checks the
   * vendor's signature and reads it; what it said goes on as receipts (resolved like any other),
   * and the verdict goes back to the gateway waiting on the reply inbox (200, 400, 401, 404).
   */
  async handleCallback(msg: JsMsg): Promise<MessageOutcome> {
    const parsed = ProviderCallbackRequest.safeParse(decodeJson(msg.data));
    if (!parsed.success) return this.count({ drop: 'invalid provider callback' }, 'receipt_dropped');
    const request = parsed.data;
    const reply = (verdict: ProviderCallbackVerdict) => {
      const inbox = msg.headers?.get(CALLBACK_REPLY_HEADER);
      if (inbox) this.d.nc.publish(inbox, encodeJson(verdict));
    };
    const provider = this.d.chain.byCallbackName(request.name);
    if (!provider?.handleCallback) {
      reply({ status: 404 });
      return this.count({ ack: true }, 'receipt_dropped');
    }
    let verdict: CallbackVerdict;
    try {
      verdict = await provider.handleCallback({
        method: request.method,
        url: request.url,
        headers: request.headers,
        body: Buffer.from(request.body, 'base64'),
        receivedAt: new Date(request.receivedAt),
      });
    } catch (error) {
      // A report that trips the parser is not retried: it would trip it again.
      this.logger.warn({ message: 'delivery report could not be read', provider: provider.name, error: String(error) });
      verdict = { kind: 'invalid', message: 'delivery report could not be read', field: 'body' };
    }
    if (verdict.kind === 'forged') {
      this.logger.warn({ message: 'delivery report refused', provider: provider.name, reason: verdict.reason });
      reply({ status: 401 });
      return this.count({ ack: true }, 'receipt_dropped');
    }
    if (verdict.kind === 'invalid') {
      reply({ status: 400, message: verdict.message, field: verdict.field });
      return this.count({ ack: true }, 'receipt_dropped');
    }
    try {
      for (const report of verdict.reports) await this.publishReceipt(provider.name, report);
    } catch (error) {
      // NATS out of reach: held and handled again once it is back; the gateway answered 503 meanwhile.
      return { unavailable: `cannot queue a delivery report: ${(error as Error).message}` };
    }
    reply({ status: 200 });
    return this.count({ ack: true }, 'receipt');
  }

  private async status(
    record: SentRecord,
    status: DeliveryStatusEventData['status'],
    error: DeliveryStatusEventData['error'],
  ): Promise<void> {
    const data: DeliveryStatusEventData = {
      requestId: record.requestId,
      accountSid: record.accountSid,
      parentAccountSid: record.parentAccountSid,
      dispatchId: record.dispatchId,
      channel: record.channel,
      to: record.to,
      status,
      provider: record.provider,
      providerMessageId: record.providerMessageId || null,
      error,
      attempt: record.attempt,
      units: record.units,
      hasStatusCallback: record.hasStatusCallback,
    };
    await this.statusPublisher.publish(data, this.d.clock.now());
    statuses.inc({ channel: this.d.channel, status });
  }

  private count(outcome: MessageOutcome, label?: string): MessageOutcome {
    const name =
      label ??
      ('ack' in outcome
        ? 'sent'
        : 'drop' in outcome
          ? 'dropped'
          : 'unavailable' in outcome
            ? 'unavailable'
            : 'retried');
    outcomes.inc({ channel: this.d.channel, outcome: name });
    return outcome;
  }
}

function recordOf(message: DispatchMessage, provider: string, attempt: number): SentRecord {
  return {
    dispatchId: message.dispatchId,
    requestId: message.requestId,
    accountSid: message.accountSid,
    parentAccountSid: message.parentAccountSid ?? null,
    channel: message.channel,
    to: message.to,
    provider,
    providerMessageId: '',
    attempt,
    units: 1,
    hasStatusCallback: message.hasStatusCallback,
  };
}
