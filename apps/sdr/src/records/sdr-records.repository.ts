import { Inject, Injectable } from '@nestjs/common';
import type { DataSource, EntityManager } from 'typeorm';
import { SDR_DATA_SOURCE } from '../sdr.database';
import { type Contribution, deliveryStatusOf, priceMicrosOf, type SdrRecord } from './sdr-record';

export type Counts = Contribution['counts'];
export type Dimension = keyof Contribution['key'];

export interface Rollup {
  table: string;
  dimensions: Dimension[];
}

/** Every dimension, and the small daily and monthly summaries most usage reports read (see the migration). */
export const ROLLUPS: readonly Rollup[] = [
  {
    table: 'usage_daily',
    dimensions: ['accountSid', 'day', 'service', 'channel', 'countryCode', 'status', 'deliveryStatus'],
  },
  { table: 'usage_daily_summary', dimensions: ['accountSid', 'day', 'channel', 'countryCode', 'status'] },
  { table: 'usage_monthly_summary', dimensions: ['accountSid', 'month', 'channel', 'countryCode', 'status'] },
];

/** One roll-up row's change: its key (the rollup's dimensions, in order) and what to add. */
export interface RollupChange {
  key: string[];
  counts: Counts;
}

/**
 * What the SDR projection reads and writes (schema `sdr`), so that the projection's rules
 * (in SdrStore) hold no SQL and a test can stand a fake in. Inside {@link transaction} the same
 * calls run in that transaction.
 */
export abstract class SdrRecordsRepository {
  abstract transaction<T>(work: (tx: SdrRecordsRepository) => Promise<T>): Promise<T>;
  /** Records the events as processed; returns the ids of those that were not already (the fresh ones). */
  abstract claimEvents(events: { eventId: string; requestId: string }[], now: Date): Promise<Set<string>>;
  /**
   * Locks the requests for the rest of the transaction, in one fixed order, so that batches of
   * replicas and of concurrent handlers fold a request one at a time and never deadlock.
   */
  abstract lockRequests(requestIds: string[]): Promise<void>;
  abstract loadRecords(requestIds: string[]): Promise<Map<string, SdrRecord>>;
  abstract saveRecords(records: SdrRecord[], now: Date): Promise<void>;
  /**
   * Adds the changes to the roll-up's rows (in key order, against deadlocks); a row no record
   * counts in any more goes, so that the roll-ups equal a fresh projection's.
   */
  abstract addToRollup(rollup: Rollup, changes: RollupChange[]): Promise<void>;
}

/** The roll-ups' counters (blocked sends and the cost they avoided since SPEC 12), as fields and as columns. */
const COUNTERS = [
  'requests',
  'sent',
  'delivered',
  'failed',
  'verified',
  'canceled',
  'expired',
  'costMicros',
  'blocked',
  'costAvoidedMicros',
] as const;
const COUNTER_COLUMNS = [
  'requests',
  'sent',
  'delivered',
  'failed',
  'verified',
  'canceled',
  'expired',
  'cost_micros',
  'blocked',
  'cost_avoided_micros',
];
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
const SQL_TYPE: Record<Dimension, string> = {
  accountSid: 'text',
  day: 'date',
  month: 'date',
  service: 'text',
  channel: 'text',
  countryCode: 'text',
  status: 'text',
  deliveryStatus: 'text',
};

/** {@link SdrRecordsRepository} on the service's Postgres schema `sdr`: a batch costs a few statements, whatever its size. */
@Injectable()
export class PostgresSdrRecordsRepository extends SdrRecordsRepository {
  private q: EntityManager;
  private inTransaction = false;

  constructor(@Inject(SDR_DATA_SOURCE) private readonly db: DataSource) {
    super();
    this.q = db.manager;
  }

  async transaction<T>(work: (tx: SdrRecordsRepository) => Promise<T>): Promise<T> {
    if (this.inTransaction) return work(this);
    return this.db.transaction((manager) => {
      const tx = new PostgresSdrRecordsRepository(this.db);
      tx.q = manager;
      tx.inTransaction = true;
      return work(tx);
    });
  }

  async claimEvents(events: { eventId: string; requestId: string }[], now: Date): Promise<Set<string>> {
    const rows: { event_id: string }[] = await this.q.query(
      `INSERT INTO sdr.processed_events (event_id, request_id, processed_at)
       SELECT e, r, $3 FROM unnest($1::text[], $2::text[]) AS t(e, r) ON CONFLICT DO NOTHING RETURNING event_id`,
      [events.map((e) => e.eventId), events.map((e) => e.requestId), now],
    );
    return new Set(rows.map((r) => r.event_id));
  }

  async lockRequests(requestIds: string[]): Promise<void> {
    // Sorted before the locks are taken: every holder takes them in the same order.
    await this.q.query(
      `SELECT pg_advisory_xact_lock(hashtextextended('sdr:' || id, 0))
         FROM (SELECT DISTINCT id FROM unnest($1::text[]) AS t(id) ORDER BY id) AS sorted`,
      [requestIds],
    );
  }

  async loadRecords(requestIds: string[]): Promise<Map<string, SdrRecord>> {
    const rows: { record: SdrRecord }[] = await this.q.query(
      `SELECT record FROM sdr.records WHERE request_id = ANY($1::text[])`,
      [requestIds],
    );
    return new Map(rows.map((r) => [r.record.requestId, r.record]));
  }

  async saveRecords(records: SdrRecord[], now: Date): Promise<void> {
    if (!records.length) return;
    const sorted = [...records].sort((a, b) => (a.requestId < b.requestId ? -1 : a.requestId > b.requestId ? 1 : 0));
    await this.q.query(
      `INSERT INTO sdr.records (request_id, account_sid, parent_account_sid, service, channel, destination, country_code, status,
                                delivery_status, created_at, price_micros, record, updated_at)
       SELECT r->>'requestId', r->>'accountSid', r->>'parentAccountSid', r->>'service', r->>'channel', r->>'to', r->>'countryCode',
              r->>'status', d, (r->>'createdAt')::timestamptz, p, r, $4
         FROM unnest($1::jsonb[], $2::text[], $3::bigint[]) AS t(r, d, p)
       ON CONFLICT (request_id) DO UPDATE SET account_sid = EXCLUDED.account_sid, parent_account_sid = EXCLUDED.parent_account_sid,
         service = EXCLUDED.service, channel = EXCLUDED.channel, destination = EXCLUDED.destination, country_code = EXCLUDED.country_code,
         status = EXCLUDED.status, delivery_status = EXCLUDED.delivery_status, created_at = EXCLUDED.created_at,
         price_micros = EXCLUDED.price_micros, record = EXCLUDED.record, updated_at = EXCLUDED.updated_at`,
      [sorted.map((r) => JSON.stringify(r)), sorted.map(deliveryStatusOf), sorted.map(priceMicrosOf), now],
    );
  }

  async addToRollup(rollup: Rollup, changes: RollupChange[]): Promise<void> {
    if (!changes.length) return;
    const sorted = [...changes].sort((a, b) => compareKeys(a.key, b.key));
    const keyColumns = rollup.dimensions.map((d) => COLUMN[d]);
    const arrays = [
      ...rollup.dimensions.map((_, i) => sorted.map((c) => c.key[i])),
      ...COUNTERS.map((k) => sorted.map((c) => c.counts[k])),
    ];
    const types = [...rollup.dimensions.map((d) => SQL_TYPE[d]), ...COUNTERS.map(() => 'bigint')];
    const rows: Record<string, unknown>[] = await this.q.query(
      `INSERT INTO sdr.${rollup.table} AS u (${keyColumns.join(', ')}, ${COUNTER_COLUMNS.join(', ')})
       SELECT * FROM unnest(${types.map((t, i) => `$${i + 1}::${t}[]`).join(', ')})
       ON CONFLICT (${keyColumns.join(', ')}) DO UPDATE SET ${COUNTER_COLUMNS.map((col) => `${col} = u.${col} + EXCLUDED.${col}`).join(', ')}
       RETURNING ${keyColumns.map((c) => (c === 'day' || c === 'month' ? `to_char(${c}, 'YYYY-MM-DD') AS ${c}` : c)).join(', ')}, requests`,
      arrays,
    );
    const empty = rows.filter((r) => Number(r.requests) === 0);
    if (!empty.length) return;
    await this.q.query(
      `DELETE FROM sdr.${rollup.table} WHERE (${keyColumns.join(', ')}) IN
         (SELECT * FROM unnest(${rollup.dimensions.map((d, i) => `$${i + 1}::${SQL_TYPE[d]}[]`).join(', ')})) AND requests = 0`,
      keyColumns.map((c) => empty.map((r) => r[c])),
    );
  }
}

function compareKeys(a: string[], b: string[]): number {
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return a[i] < b[i] ? -1 : 1;
  return 0;
}
