import { Inject, Injectable } from '@nestjs/common';
import type { DataSource, EntityManager } from 'typeorm';
import { PRICE_TABLE } from '../prices/price-table.provider';
import type { PriceTable } from '../prices/price-table';
import { SDR_DATA_SOURCE } from '../sdr.database';
import {
  applyEvent,
  type Contribution,
  contributionOf,
  deliveryStatusOf,
  priceMicrosOf,
  type SdrRecord,
} from './sdr-record';
import type { SdrEvent } from './sdr-event';

const COUNTERS = ['requests', 'sent', 'delivered', 'failed', 'verified', 'canceled', 'expired', 'costMicros'] as const;
const COUNTER_COLUMNS = ['requests', 'sent', 'delivered', 'failed', 'verified', 'canceled', 'expired', 'cost_micros'];

type Dimension = keyof Contribution['key'];
const COLUMN: Record<Dimension, string> = {
  accountSid: 'account_sid',
  day: 'day',
  month: 'month',
  service: 'service',
  channel: 'channel',
  countryCode: 'country_code',
  status: 'status',
  deliveryStatus: 'delivery_status',
};

interface Rollup {
  table: string;
  dimensions: Dimension[];
}

/** Every dimension, and the small daily and monthly summaries most usage reports read (see the migration). */
const ROLLUPS: readonly Rollup[] = [
  {
    table: 'usage_daily',
    dimensions: ['accountSid', 'day', 'service', 'channel', 'countryCode', 'status', 'deliveryStatus'],
  },
  { table: 'usage_daily_summary', dimensions: ['accountSid', 'day', 'channel', 'countryCode', 'status'] },
  { table: 'usage_monthly_summary', dimensions: ['accountSid', 'month', 'channel', 'countryCode', 'status'] },
];

/**
 * Projects one event into the tables, in one transaction: the event id is recorded (a second
 * delivery of it changes nothing), the record is folded under a lock on its request id, and
 * the roll-ups move by the difference between the record's old and new contributions, so
 * they always equal the sum over the records, whatever the order of the events.
 */
@Injectable()
export class SdrStore {
  constructor(
    @Inject(SDR_DATA_SOURCE) private readonly db: DataSource,
    @Inject(PRICE_TABLE) private readonly prices: PriceTable,
  ) {}

  /** Returns false when the event had been projected already. */
  async project(event: SdrEvent, now: Date): Promise<boolean> {
    return this.db.transaction(async (m) => {
      const fresh: unknown[] = await m.query(
        `INSERT INTO sdr.processed_events (event_id, request_id, processed_at) VALUES ($1, $2, $3) ON CONFLICT DO NOTHING RETURNING 1`,
        [event.metadata.eventId, event.data.requestId, now],
      );
      if (!fresh.length) return false;
      // Events of one request are folded one at a time (replicas and concurrent handlers alike).
      await m.query(`SELECT pg_advisory_xact_lock(hashtextextended($1, 0))`, [`sdr:${event.data.requestId}`]);
      const rows: { record: SdrRecord }[] = await m.query(`SELECT record FROM sdr.records WHERE request_id = $1`, [
        event.data.requestId,
      ]);
      const before = rows[0]?.record;
      const after = applyEvent(before, event, this.prices);
      await this.saveRecord(m, after, now);
      await this.moveContribution(m, before && contributionOf(before), contributionOf(after));
      return true;
    });
  }

  private async saveRecord(m: EntityManager, r: SdrRecord, now: Date): Promise<void> {
    await m.query(
      `INSERT INTO sdr.records (request_id, account_sid, parent_account_sid, service, channel, destination, country_code, status,
                                delivery_status, created_at, price_micros, record, updated_at)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13)
       ON CONFLICT (request_id) DO UPDATE SET account_sid = EXCLUDED.account_sid, parent_account_sid = EXCLUDED.parent_account_sid,
         service = EXCLUDED.service, channel = EXCLUDED.channel, destination = EXCLUDED.destination, country_code = EXCLUDED.country_code,
         status = EXCLUDED.status, delivery_status = EXCLUDED.delivery_status, created_at = EXCLUDED.created_at,
         price_micros = EXCLUDED.price_micros, record = EXCLUDED.record, updated_at = EXCLUDED.updated_at`,
      [
        r.requestId,
        r.accountSid,
        r.parentAccountSid,
        r.service,
        r.channel,
        r.to,
        r.countryCode,
        r.status,
        deliveryStatusOf(r),
        r.createdAt,
        priceMicrosOf(r),
        r,
        now,
      ],
    );
  }

  /**
   * Subtracts the old contribution and adds the new one in every roll-up. Tables in a fixed
   * order and rows in key order, so that concurrent projections never deadlock.
   */
  private async moveContribution(
    m: EntityManager,
    before: Contribution | undefined,
    after: Contribution,
  ): Promise<void> {
    for (const rollup of ROLLUPS) {
      const changes = new Map<string, { key: unknown[]; counts: Contribution['counts'] }>();
      const add = (c: Contribution, sign: 1 | -1) => {
        const key = rollup.dimensions.map((d) => c.key[d]);
        const id = JSON.stringify(key);
        const current = changes.get(id) ?? {
          key,
          counts: {
            requests: 0,
            sent: 0,
            delivered: 0,
            failed: 0,
            verified: 0,
            canceled: 0,
            expired: 0,
            costMicros: 0,
          },
        };
        for (const k of COUNTERS) current.counts[k] += sign * c.counts[k];
        changes.set(id, current);
      };
      if (before) add(before, -1);
      add(after, 1);
      for (const [, change] of [...changes].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))) {
        if (COUNTERS.every((k) => change.counts[k] === 0)) continue;
        await this.addToRow(m, rollup, change.key, change.counts);
      }
    }
  }

  private async addToRow(m: EntityManager, rollup: Rollup, key: unknown[], c: Contribution['counts']): Promise<void> {
    const keyColumns = rollup.dimensions.map((d) => COLUMN[d]);
    const n = keyColumns.length;
    const values = [...key, c.requests, c.sent, c.delivered, c.failed, c.verified, c.canceled, c.expired, c.costMicros];
    const rows: { requests: string }[] = await m.query(
      `INSERT INTO sdr.${rollup.table} AS u (${keyColumns.join(', ')}, ${COUNTER_COLUMNS.join(', ')})
       VALUES (${values.map((_, i) => `$${i + 1}`).join(', ')})
       ON CONFLICT (${keyColumns.join(', ')}) DO UPDATE SET ${COUNTER_COLUMNS.map((col) => `${col} = u.${col} + EXCLUDED.${col}`).join(', ')}
       RETURNING requests`,
      values,
    );
    // A row no record counts in any more goes, so that the roll-ups equal a fresh projection's.
    if (Number(rows[0].requests) === 0) {
      await m.query(
        `DELETE FROM sdr.${rollup.table} WHERE ${keyColumns.map((col, i) => `${col} = $${i + 1}`).join(' AND ')} AND requests = 0`,
        values.slice(0, n),
      );
    }
  }
}
