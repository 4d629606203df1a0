import { Inject, Injectable, Logger } from '@nestjs/common';
import { DELIVERY_STATUS_RANK, type DeliveryStatus, type DispatchMessage, Subjects } from '@app/contracts';
import { APP_CONFIG, type AppConfig } from '@app/platform';
import { Counter } from 'prom-client';
import type { DataSource, EntityManager } from 'typeorm';
import { OTP_DATA_SOURCE } from '../otp-core.tokens';
import { effectiveStatus, eventData, fromRaw, type OtpRow, type OtpRowRaw, RETURNING } from '../otp-row';
import { OutboxWriter } from '../outbox/outbox';
import type { PlannedDispatch } from './dispatch-plan';
import { DispatchSeal } from './dispatch-seal';

const BATCH = 200;
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

interface DispatchRow {
  id: string;
  request_id: string;
  seq: number;
  state: 'planned' | 'dispatched' | 'skipped';
  delivery_status: DeliveryStatus | null;
  after_seconds: number;
  sealed_message: string | null;
}

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

  constructor(
    @Inject(OTP_DATA_SOURCE) private readonly db: DataSource,
    @Inject(APP_CONFIG) config: AppConfig,
  ) {
    this.seal = new DispatchSeal(config.otpSecret);
  }

  /** At send, in its transaction: the first dispatch goes out, the steps wait (the next one with a due time). */
  async start(
    manager: EntityManager,
    row: OtpRow,
    plan: PlannedDispatch[],
    now: Date,
    outbox: OutboxWriter,
  ): Promise<void> {
    const values = plan.map((d) => {
      const first = d.seq === 1;
      const dueAt = d.seq === 2 ? new Date(now.getTime() + d.after * 1000) : null;
      return [
        d.message.dispatchId,
        row.id,
        d.seq,
        d.message.channel,
        d.message.to,
        d.after,
        first ? 'dispatched' : 'planned',
        dueAt,
        first ? null : this.seal.seal(d.message),
        first ? now : null,
        now,
      ];
    });
    await manager.query(
      `INSERT INTO otp.dispatches (id, request_id, seq, channel, destination, after_seconds, state, due_at, sealed_message, dispatched_at, updated_at)
       SELECT * FROM unnest($1::text[], $2::text[], $3::int[], $4::text[], $5::text[], $6::int[], $7::text[], $8::timestamptz[], $9::text[], $10::timestamptz[], $11::timestamptz[])`,
      transpose(values, 11),
    );
    announce(outbox, row, plan[0].message);
  }

  /**
   * Sends the steps whose `after` elapsed (driven by the sweeper's interval), and drops the
   * sealed texts of requests that ended. Returns how many steps went out.
   */
  async dispatchDue(now: Date): Promise<number> {
    await this.db.query(
      `UPDATE otp.dispatches d SET state = 'skipped', sealed_message = NULL, due_at = NULL, updated_at = $1
        FROM otp.otp_requests r WHERE d.request_id = r.id AND d.state = 'planned' AND r.status <> 'pending'`,
      [now],
    );
    let sent = 0;
    for (;;) {
      const count = await this.db.transaction(async (manager) => {
        // Both rows locked: a verify or cancel waits for us or we skip its request until next time.
        const due: (DispatchRow & { raw: OtpRowRaw })[] = await manager.query(
          `SELECT d.id, d.request_id, d.seq, d.state, d.delivery_status, d.after_seconds, d.sealed_message
             FROM otp.dispatches d JOIN otp.otp_requests r ON r.id = d.request_id
            WHERE d.state = 'planned' AND d.due_at <= $1
              AND r.status = 'pending' AND r.expires_at > $1 AND (r.guard_until IS NULL OR r.guard_until > $1)
            ORDER BY d.due_at LIMIT $2 FOR UPDATE OF d, r SKIP LOCKED`,
          [now, BATCH],
        );
        if (!due.length) return 0;
        const requests = await this.requests(
          manager,
          due.map((d) => d.request_id),
        );
        const outbox = new OutboxWriter(now);
        for (const step of due)
          await this.send(manager, requests.get(step.request_id)!, step, now, outbox, 'after_elapsed');
        await outbox.flush(manager);
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
    return this.db.transaction(async (manager) => {
      const outbox = new OutboxWriter(now);
      const [found]: { request_id: string }[] = await manager.query(
        `SELECT request_id FROM otp.dispatches WHERE id = $1`,
        [dispatchId],
      );
      // Not ours (another deployment's dispatch, or a request since deleted): nothing to do.
      if (!found) return false;
      const [raw]: OtpRowRaw[] = await manager.query(
        `SELECT ${RETURNING} FROM otp.otp_requests WHERE id = $1 FOR UPDATE`,
        [found.request_id],
      );
      const dispatches: DispatchRow[] = await manager.query(
        `SELECT id, request_id, seq, state, delivery_status, after_seconds, sealed_message FROM otp.dispatches WHERE request_id = $1 ORDER BY seq FOR UPDATE`,
        [found.request_id],
      );
      const current = dispatches.find((d) => d.id === dispatchId)!;
      // Statuses only move forward: a late `sent` does not undo a `delivered` or a `failed`.
      if (current.delivery_status && DELIVERY_STATUS_RANK[current.delivery_status] >= DELIVERY_STATUS_RANK[status])
        return false;
      await manager.query(`UPDATE otp.dispatches SET delivery_status = $2, updated_at = $3 WHERE id = $1`, [
        dispatchId,
        status,
        now,
      ]);
      current.delivery_status = status;
      if (!FAILURES.includes(status)) return true;

      const request = fromRaw(raw);
      if (effectiveStatus(request, now) !== 'pending') return true;
      const sent = dispatches.filter((d) => d.state === 'dispatched');
      const next = dispatches.find((d) => d.state === 'planned');
      const newest = sent[sent.length - 1];
      if (next && newest.id === dispatchId) {
        // The dispatch out there failed: the next step goes now rather than at its `after`.
        await this.send(manager, request, next, now, outbox, 'previous_failed');
      } else if (!next && sent.every((d) => d.delivery_status !== null && FAILURES.includes(d.delivery_status))) {
        await this.fail(manager, request, now, outbox);
      }
      await outbox.flush(manager);
      return true;
    });
  }

  /** Puts one planned step on its dispatch subject, and gives the step after it a due time. */
  private async send(
    manager: EntityManager,
    request: OtpRow,
    step: DispatchRow,
    now: Date,
    outbox: OutboxWriter,
    reason: string,
  ): Promise<void> {
    let message: DispatchMessage;
    try {
      message = { ...this.seal.open(step.id, step.sealed_message ?? ''), createdAt: now.toISOString() };
    } catch (error) {
      // Sealed under another OTP_SECRET (rotated) or altered: it can never be sent.
      this.logger.error({
        message: 'fallback step cannot be opened; skipped',
        dispatchId: step.id,
        error: (error as Error).message,
      });
      await manager.query(
        `UPDATE otp.dispatches SET state = 'skipped', sealed_message = NULL, due_at = NULL, updated_at = $2 WHERE id = $1`,
        [step.id, now],
      );
      // The step after it, if any, is due at once in its place.
      await manager.query(
        `UPDATE otp.dispatches SET due_at = $3, updated_at = $3 WHERE request_id = $1 AND seq = $2 AND state = 'planned'`,
        [request.id, step.seq + 1, now],
      );
      return;
    }
    await manager.query(
      `UPDATE otp.dispatches SET state = 'dispatched', sealed_message = NULL, due_at = NULL, dispatched_at = $2, updated_at = $2 WHERE id = $1`,
      [step.id, now],
    );
    await manager.query(
      `UPDATE otp.dispatches SET due_at = $3::timestamptz + make_interval(secs => after_seconds), updated_at = $3
        WHERE request_id = $1 AND seq = $2 AND state = 'planned'`,
      [request.id, step.seq + 1, now],
    );
    announce(outbox, request, message);
    fallbacks.inc({ reason });
  }

  /** Every channel failed: the request fails for good, and says so. */
  private async fail(manager: EntityManager, request: OtpRow, now: Date, outbox: OutboxWriter): Promise<void> {
    const rows: OtpRowRaw[] = await manager.query(
      `WITH changed AS (UPDATE otp.otp_requests SET status = 'failed', status_reason = 'delivery_failed', ended_at = $2
        WHERE id = $1 AND status = 'pending' RETURNING ${RETURNING}) SELECT * FROM changed`,
      [request.id, now],
    );
    if (!rows.length) return;
    outbox.event('failed', { ...eventData(fromRaw(rows[0])), reason: 'delivery_failed' });
    deliveryFailures.inc();
  }

  private async requests(manager: EntityManager, ids: string[]): Promise<Map<string, OtpRow>> {
    const rows: OtpRowRaw[] = await manager.query(
      `SELECT ${RETURNING} FROM otp.otp_requests WHERE id = ANY($1::text[])`,
      [ids],
    );
    return new Map(rows.map((r) => [r.id, fromRaw(r)]));
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

/** Rows to columns, for one INSERT … SELECT FROM unnest(…). */
function transpose(rows: unknown[][], width: number): unknown[][] {
  return Array.from({ length: width }, (_, i) => rows.map((r) => r[i]));
}
