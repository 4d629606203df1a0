import { Inject, Injectable, Logger } from '@nestjs/common';
import {
  DELIVERY_STATUS_RANK,
  type DeliveryStatus,
  type DispatchMessage,
  parseDispatchId,
  Subjects,
} from '@app/contracts';
import { APP_CONFIG, type AppConfig, Coalescer } from '@app/platform';
import { Counter } from 'prom-client';
import { eventData, type OtpRow } from '../otp-row';
import { type DeliveryStatusChange, type DispatchRow, type NewDispatch, OtpRepository } from '../otp.repository';
import { OutboxWriter } from '../outbox/outbox';
import type { PlannedDispatch } from './dispatch-plan';
import { DispatchSeal } from './dispatch-seal';

const BATCH = 200;
/**
 * Statuses that decide nothing are written in batches of up to this many, one batch at a time
 * per process: those that arrive while one is written go in the next (the delivery-status
 * consumer has 8 in hand at most).
 */
const STATUS_BATCH = 64;
const FAILURES: readonly DeliveryStatus[] = ['failed', 'undelivered'];

const fallbacks = new Counter({
  name: 'otp_fallback_dispatches_total',
  help: 'Fallback steps dispatched',
  labelNames: ['reason'],
});
const deliveryFailures = new Counter({
  name: 'otp_delivery_failed_total',
  help: 'Requests failed because every dispatch failed',
});

/**
 * Channel fallback (SPEC section 5). A send stores every dispatch it may make: the first goes
 * out at once, each fallback step waits `planned`, its rendered message sealed (never the
 * code in clear). A step goes out when the dispatch before it failed (a `failed` or
 * `undelivered` delivery status), or `after` seconds after it went out, whichever is first;
 * never once the request ended. When every dispatch failed, the request fails.
 *
 * Concurrency: every decision locks the request row (and the dispatch rows) in one
 * transaction that also writes the outbox, so replicas and the delivery-status consumer never
 * send a step twice; the poller skips rows another replica holds.
 */
@Injectable()
export class FallbackService {
  private readonly logger = new Logger(FallbackService.name);
  private readonly seal: DispatchSeal;
  private readonly statuses: Coalescer<DeliveryStatusChange, boolean>;

  constructor(
    private readonly requests: OtpRepository,
    @Inject(APP_CONFIG) config: AppConfig,
  ) {
    this.seal = new DispatchSeal(config.otpSecret);
    this.statuses = new Coalescer((changes) => this.requests.advanceDeliveryStatuses(changes), {
      maxBatch: STATUS_BATCH,
      maxInFlight: 1,
    });
  }

  /** At send, in its transaction: the first dispatch goes out, the steps wait (the next one with a due time). */
  async start(tx: OtpRepository, row: OtpRow, plan: PlannedDispatch[], now: Date, outbox: OutboxWriter): Promise<void> {
    await tx.insertDispatches(this.dispatchRows(row, plan, now));
    announce(outbox, row, plan[0].message);
  }

  /** What a send stores of its plan (the first dispatch out, the steps sealed) and announces, for one statement. */
  startAtOnce(row: OtpRow, plan: PlannedDispatch[], now: Date, outbox: OutboxWriter): NewDispatch[] {
    announce(outbox, row, plan[0].message);
    return this.dispatchRows(row, plan, now);
  }

  private dispatchRows(row: OtpRow, plan: PlannedDispatch[], now: Date): NewDispatch[] {
    return plan.map((d) => {
      const first = d.seq === 1;
      return {
        id: d.message.dispatchId,
        requestId: row.id,
        seq: d.seq,
        channel: d.message.channel,
        destination: d.message.to,
        afterSeconds: d.after,
        state: first ? 'dispatched' : 'planned',
        dueAt: d.seq === 2 ? new Date(now.getTime() + d.after * 1000) : null,
        sealedMessage: first ? null : this.seal.seal(d.message),
        dispatchedAt: first ? now : null,
        updatedAt: now,
      };
    });
  }

  /**
   * Sends the steps whose `after` elapsed (driven by the sweeper's interval), and drops the
   * sealed texts of requests that ended. Returns how many steps went out.
   */
  async dispatchDue(now: Date): Promise<number> {
    await this.requests.skipStepsOfEnded(now);
    let sent = 0;
    for (;;) {
      const count = await this.requests.transaction(async (tx) => {
        // Both rows locked: a verify or cancel waits for us or we skip its request until next time.
        const due = await tx.lockDueSteps(now, BATCH);
        if (!due.length) return 0;
        const requests = await tx.findMany(
          due.map((d) => d.requestId),
          now,
        );
        const outbox = new OutboxWriter(now);
        for (const step of due) await this.send(tx, requests.get(step.requestId)!, step, now, outbox, 'after_elapsed');
        await outbox.flush(tx);
        return due.length;
      });
      sent += count;
      if (count < BATCH) break;
    }
    return sent;
  }

  /**
   * A dispatcher's verdict on one dispatch. Idempotent: a redelivered or stale status changes
   * nothing. Returns whether anything was written (the caller then kicks the outbox relay).
   */
  async onDeliveryStatus(dispatchId: string, status: DeliveryStatus, now: Date): Promise<boolean> {
    // Only a failure may move the request on; anything else is recorded in one statement, shared
    // with the other statuses in hand (a failed batch fails each of them with its error, so an
    // outage is still seen as one). Row locks order it against a failure being handled:
    // whichever comes second sees the first. An id not of our shape is no dispatch of ours, and
    // stays out of the batch (a text Postgres refuses would fail its neighbours too).
    if (!FAILURES.includes(status)) {
      if (!parseDispatchId(dispatchId)) return false;
      return this.statuses.submit({ dispatchId, status, at: now });
    }
    return this.requests.transaction(async (tx) => {
      const outbox = new OutboxWriter(now);
      const locked = await tx.lockDispatchesOf(dispatchId, now);
      // Not ours (another deployment's dispatch, or a request since deleted): nothing to do.
      if (!locked) return false;
      const { request, dispatches } = locked;
      const current = dispatches.find((d) => d.id === dispatchId)!;
      // Statuses only move forward: a late `sent` does not undo a `delivered` or a `failed`.
      if (current.deliveryStatus && DELIVERY_STATUS_RANK[current.deliveryStatus] >= DELIVERY_STATUS_RANK[status])
        return false;
      await tx.setDeliveryStatus(dispatchId, status, now);
      current.deliveryStatus = status;
      if (!FAILURES.includes(status)) return true;

      if (request.effectiveStatus !== 'pending') return true;
      const sent = dispatches.filter((d) => d.state === 'dispatched');
      const next = dispatches.find((d) => d.state === 'planned');
      const newest = sent[sent.length - 1];
      if (next && newest.id === dispatchId) {
        // The dispatch out there failed: the next step goes now rather than at its `after`.
        await this.send(tx, request, next, now, outbox, 'previous_failed');
      } else if (!next && sent.every((d) => d.deliveryStatus !== null && FAILURES.includes(d.deliveryStatus))) {
        await this.fail(tx, request, now, outbox);
      }
      await outbox.flush(tx);
      return true;
    });
  }

  /** Puts one planned step on its dispatch subject, and gives the step after it a due time. */
  private async send(
    tx: OtpRepository,
    request: OtpRow,
    step: DispatchRow,
    now: Date,
    outbox: OutboxWriter,
    reason: string,
  ): Promise<void> {
    let message: DispatchMessage;
    try {
      message = { ...this.seal.open(step.id, step.sealedMessage ?? ''), createdAt: now.toISOString() };
    } catch (error) {
      // Sealed under another OTP_SECRET (rotated) or altered: it can never be sent.
      this.logger.error({
        message: 'fallback step cannot be opened; skipped',
        dispatchId: step.id,
        error: (error as Error).message,
      });
      // The step after it, if any, is due at once in its place.
      await tx.skipStep(step, now);
      return;
    }
    await tx.markStepDispatched(step, now);
    announce(outbox, request, message);
    fallbacks.inc({ reason });
  }

  /** Every channel failed: the request fails for good, and says so. */
  private async fail(tx: OtpRepository, request: OtpRow, now: Date, outbox: OutboxWriter): Promise<void> {
    const failed = await tx.transition(request.id, { status: 'failed', reason: 'delivery_failed' }, now, 'pending');
    if (!failed) return;
    outbox.event('failed', { ...eventData(failed), reason: 'delivery_failed' });
    deliveryFailures.inc();
  }
}

/** The dispatch message, then its `dispatched` event (the relay publishes in order, after the PubAck). */
function announce(outbox: OutboxWriter, request: OtpRow, message: DispatchMessage): void {
  outbox.add(Subjects.dispatch(message.channel), message.dispatchId, message).event('dispatched', {
    ...eventData(request),
    channel: message.channel,
    to: message.to,
    dispatchId: message.dispatchId,
  });
}
