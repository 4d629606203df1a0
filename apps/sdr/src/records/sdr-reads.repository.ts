import { Inject, Injectable } from '@nestjs/common';
import type { SearchSdrQuery, UsageQuery } from '@app/contracts';
import type { DataSource } from 'typeorm';
import { SDR_DATA_SOURCE } from '../sdr.database';
import type { SdrRecord } from './sdr-record';

const SORT_COLUMNS: Record<SearchSdrQuery['SortBy']['field'], string> = {
  dateCreated: 'created_at',
  status: 'status',
  deliveryStatus: 'delivery_status',
  channel: 'channel',
  countryCode: 'country_code',
  price: 'price_micros',
};

type Filters = Omit<UsageQuery, 'granularity'>;

/** The summary has no service nor delivery status: a filter on them reads the full roll-up. */
function rollupFor(f: Filters): string {
  return f.service !== undefined || f.deliveryStatus !== undefined ? 'usage_daily' : 'usage_daily_summary';
}

/**
 * Monthly and yearly reports over whole months read the monthly summary (a thirtieth of the
 * rows): no service or delivery status filter, bounds absent or on a month's first and last days.
 */
function monthlyRollup(q: UsageQuery): boolean {
  if (q.granularity === 'day' || rollupFor(q) !== 'usage_daily_summary') return false;
  const startOk = q.startTime === undefined || q.startTime.slice(8, 10) === '01';
  const endOk = q.endTime === undefined || isLastDayOfMonth(q.endTime.slice(0, 10));
  return startOk && endOk;
}

function isLastDayOfMonth(day: string): boolean {
  const next = new Date(`${day}T00:00:00Z`);
  next.setUTCDate(next.getUTCDate() + 1);
  return next.getUTCDate() === 1;
}

/**
 * A WHERE clause over the filters, with its parameters (`$1` is the scope). One account is
 * compared with `=`: Postgres 15 returns an index range in order for that, not for `= ANY`.
 * `filters` is the clause without the scope, for per-account subqueries.
 */
function where(
  f: Filters,
  columns: { created?: string; day?: string },
): { sql: string; filters: string; params: unknown[] } {
  const single = f.accountSids.length === 1;
  const params: unknown[] = [single ? f.accountSids[0] : f.accountSids];
  const clauses: string[] = [];
  const eq = (column: string, value: unknown) => {
    params.push(value);
    clauses.push(`${column} = $${params.length}`);
  };
  if (f.service !== undefined) eq('service', f.service);
  if (f.to !== undefined && columns.created) eq('destination', f.to);
  if (f.channel !== undefined) eq('channel', f.channel);
  if (f.status !== undefined) eq('status', f.status);
  if (f.deliveryStatus !== undefined) eq('delivery_status', f.deliveryStatus);
  if (f.countryCode !== undefined) eq('country_code', f.countryCode);
  const bound = (op: string, value: string | undefined) => {
    if (value === undefined) return;
    if (columns.created) {
      params.push(value);
      clauses.push(`${columns.created} ${op} $${params.length}::timestamptz`);
    } else {
      // Roll-ups are daily: a bound selects its whole UTC day.
      params.push(value.slice(0, 10));
      clauses.push(`${columns.day} ${op} $${params.length}::date`);
    }
  };
  bound('>=', f.startTime);
  bound('<=', f.endTime);
  const filters = clauses.map((c) => ` AND ${c}`).join('');
  return { sql: `${single ? 'account_sid = $1' : 'account_sid = ANY($1::text[])'}${filters}`, filters, params };
}

/** One period's figures as the roll-ups (or the records) sum them. */
export interface UsageRow {
  start: string;
  requests: number;
  sent: number;
  delivered: number;
  failed: number;
  verified: number;
  canceled: number;
  expired: number;
  cost_micros: string;
  blocked: number;
  cost_avoided_micros: string;
}

/**
 * The read side of the SDR in Postgres (table space `sdr`): records by filter, by id, and
 * usage per period. The only place that queries them for reading; `SdrQueries` turns rows into
 * what the API shows.
 */
@Injectable()
export class SdrReadsRepository {
  constructor(@Inject(SDR_DATA_SOURCE) private readonly db: DataSource) {}

  /** One page of the records matching the query, in its order, and how many match in all. */
  async search(query: SearchSdrQuery): Promise<{ records: SdrRecord[]; total: number }> {
    const { sql, filters, params } = where(query, { created: 'created_at' });
    const direction = query.SortBy.direction === 'desc' ? 'DESC' : 'ASC';
    // Nulls last ascending and first descending: the order an index scan gives both ways.
    const column = SORT_COLUMNS[query.SortBy.field];
    const order = `${column} ${direction}, created_at ${direction}, request_id ${direction}`;
    const page = `LIMIT ${query.pageSize} OFFSET ${query.page * query.pageSize}`;
    // Several accounts: the first page-end rows of each, in index order, merged; no sort of
    // every record of every account.
    const rowsSql =
      query.accountSids.length === 1
        ? `SELECT record FROM sdr.records WHERE ${sql} ORDER BY ${order} ${page}`
        : `SELECT record FROM unnest($1::text[]) AS a(sid) CROSS JOIN LATERAL (
             SELECT record, ${column === 'created_at' ? '' : `${column}, `}created_at, request_id FROM sdr.records
              WHERE account_sid = a.sid${filters} ORDER BY ${order} LIMIT ${(query.page + 1) * query.pageSize}) r
            ORDER BY ${order} ${page}`;
    const [rows, total] = await Promise.all([
      this.db.query(rowsSql, params) as Promise<{ record: SdrRecord }[]>,
      this.count(query, sql, params),
    ]);
    return { records: rows.map((r) => r.record), total };
  }

  /**
   * How many records match. Without a time bound or a destination the daily roll-ups know it
   * exactly (each record counts once there, in the same transaction), and summing them is far
   * cheaper than counting a big account's records.
   */
  private async count(query: SearchSdrQuery, sql: string, params: unknown[]): Promise<number> {
    if (query.startTime !== undefined || query.endTime !== undefined || query.to !== undefined) {
      const [{ total }]: { total: number }[] = await this.db.query(
        `SELECT count(*)::int AS total FROM sdr.records WHERE ${sql}`,
        params,
      );
      return total;
    }
    const rollup = where(query, { day: 'day' });
    const [{ total }]: { total: string }[] = await this.db.query(
      `SELECT coalesce(sum(requests), 0)::text AS total FROM sdr.${rollupFor(query)} WHERE ${rollup.sql}`,
      rollup.params,
    );
    return Number(total);
  }

  /** The record, when it belongs to one of these accounts. */
  async find(requestId: string, accountSids: string[]): Promise<SdrRecord | null> {
    const rows: { record: SdrRecord }[] = await this.db.query(
      `SELECT record FROM sdr.records WHERE request_id = $1 AND account_sid = ANY($2::text[])`,
      [requestId, accountSids],
    );
    return rows[0]?.record ?? null;
  }

  /**
   * Usage per period from the daily roll-ups. A destination filter has no roll-up (it would be
   * one row per number): it is counted from that destination's records, found by index.
   */
  usage(query: UsageQuery): Promise<UsageRow[]> {
    return query.to === undefined ? this.fromRollups(query) : this.fromRecords(query);
  }

  private fromRollups(query: UsageQuery): Promise<UsageRow[]> {
    const monthly = monthlyRollup(query);
    const day = monthly ? 'month' : 'day';
    const { sql, params } = where(query, { day });
    const table = monthly ? 'usage_monthly_summary' : rollupFor(query);
    params.push(query.granularity);
    return this.db.query(
      `SELECT to_char(date_trunc($${params.length}, ${day}), 'YYYY-MM-DD') AS start, sum(requests)::int AS requests, sum(sent)::int AS sent,
              sum(delivered)::int AS delivered, sum(failed)::int AS failed, sum(verified)::int AS verified, sum(canceled)::int AS canceled,
              sum(expired)::int AS expired, sum(cost_micros)::text AS cost_micros, sum(blocked)::int AS blocked,
              sum(cost_avoided_micros)::text AS cost_avoided_micros
         FROM sdr.${table} WHERE ${sql} GROUP BY 1 ORDER BY 1`,
      params,
    );
  }

  /** The same figures as the roll-ups hold, computed from records (see contributionOf). */
  private fromRecords(query: UsageQuery): Promise<UsageRow[]> {
    const { sql, params } = where({ ...query, startTime: undefined, endTime: undefined }, { created: 'created_at' });
    // Whole UTC days, as from the roll-ups.
    const days: string[] = [];
    for (const [op, bound] of [
      ['>=', query.startTime],
      ['<=', query.endTime],
    ] as const) {
      if (bound === undefined) continue;
      params.push(bound.slice(0, 10));
      days.push(`(created_at AT TIME ZONE 'UTC')::date ${op} $${params.length}::date`);
    }
    params.push(query.granularity);
    const sent = `(SELECT count(*) FROM jsonb_array_elements(record->'attempts') a WHERE a->>'status' IS DISTINCT FROM 'failed') > 0`;
    const delivered = `(SELECT count(*) FROM jsonb_array_elements(record->'attempts') a WHERE a->>'status' = 'delivered') > 0`;
    return this.db.query(
      `SELECT to_char(date_trunc($${params.length}, (created_at AT TIME ZONE 'UTC')::date), 'YYYY-MM-DD') AS start, count(*)::int AS requests,
              count(*) FILTER (WHERE ${sent})::int AS sent, count(*) FILTER (WHERE ${delivered})::int AS delivered,
              count(*) FILTER (WHERE delivery_status IN ('failed', 'undelivered') OR status = 'failed')::int AS failed,
              count(*) FILTER (WHERE status = 'verified')::int AS verified, count(*) FILTER (WHERE status = 'canceled')::int AS canceled,
              count(*) FILTER (WHERE status = 'expired')::int AS expired, sum(price_micros)::text AS cost_micros,
              count(*) FILTER (WHERE status = 'blocked')::int AS blocked,
              coalesce(sum((record->>'costAvoidedMicros')::bigint) FILTER (WHERE status = 'blocked'), 0)::text AS cost_avoided_micros
         FROM sdr.records WHERE ${[sql, ...days].join(' AND ')} GROUP BY 1 ORDER BY 1`,
      params,
    );
  }
}
