import { Inject, Injectable } from '@nestjs/common';
import {
  DEFAULT_SDR_SORT,
  DomainError,
  formatTimestamp,
  maskDestination,
  pageOf,
  type SdrByIdQuery,
  type SdrData,
  type SdrPageReply,
  type SdrReply,
  type SearchSdrQuery,
  type UsagePeriod,
  type UsageQuery,
  type UsageReply,
} from '@app/contracts';
import type { DataSource } from 'typeorm';
import { formatMicros, type PriceTable } from '../prices/price-table';
import { PRICE_TABLE } from '../prices/price-table.provider';
import { SDR_DATA_SOURCE } from '../sdr.database';
import { deliveryStatusOf, priceMicrosOf, type SdrRecord } from './sdr-record';

export const SDR_SEARCH_PATH = '/2fa/sdr/search';

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

/** Records and usage as the API shows them (SPEC 3.5). */
@Injectable()
export class SdrQueries {
  constructor(
    @Inject(SDR_DATA_SOURCE) private readonly db: DataSource,
    @Inject(PRICE_TABLE) private readonly prices: PriceTable,
  ) {}

  async search(query: SearchSdrQuery): Promise<SdrPageReply> {
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
    const sort = query.SortBy;
    const uriParams = {
      service: query.service,
      to: query.to,
      channel: query.channel,
      status: query.status,
      deliveryStatus: query.deliveryStatus,
      countryCode: query.countryCode,
      startTime: query.startTime,
      endTime: query.endTime,
      // The default order goes without saying, as in the limits search.
      SortBy:
        sort.field === DEFAULT_SDR_SORT.field && sort.direction === DEFAULT_SDR_SORT.direction
          ? undefined
          : `${sort.field}:${sort.direction}`,
    };
    const result = rows.map((r) => this.toData(r.record, query.callerSid));
    return { code: 200, message: 'OK', data: pageOf(result, total, query, SDR_SEARCH_PATH, uriParams) };
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

  /** A record in the caller's scope, or 481: a stranger's record is as unknown as none. */
  async get(query: SdrByIdQuery): Promise<SdrReply> {
    const rows: { record: SdrRecord }[] = await this.db.query(
      `SELECT record FROM sdr.records WHERE request_id = $1 AND account_sid = ANY($2::text[])`,
      [query.requestId, query.accountSids],
    );
    if (!rows.length) throw new DomainError(481);
    return { code: 200, message: 'OK', data: this.toData(rows[0].record, query.callerSid) };
  }

  /**
   * Usage per period from the daily roll-ups. A destination filter has no roll-up (it would be
   * one row per number): it is counted from that destination's records, found by index.
   */
  async usage(query: UsageQuery): Promise<UsageReply> {
    const unit = query.granularity;
    const rows: UsageRow[] = query.to === undefined ? await this.fromRollups(query) : await this.fromRecords(query);
    const periods = rows.map((r) => period(r, unit));
    const total = periods.reduce(
      (t, p) => ({
        ...t,
        requests: t.requests + p.requests,
        sent: t.sent + p.sent,
        delivered: t.delivered + p.delivered,
        failed: t.failed + p.failed,
        verified: t.verified + p.verified,
        canceled: t.canceled + p.canceled,
        expired: t.expired + p.expired,
        blocked: t.blocked + p.blocked,
        costMicros: t.costMicros + BigInt(p.costMicros),
        costAvoidedMicros: t.costAvoidedMicros + BigInt(p.costAvoidedMicros),
      }),
      {
        requests: 0,
        sent: 0,
        delivered: 0,
        failed: 0,
        verified: 0,
        canceled: 0,
        expired: 0,
        blocked: 0,
        costMicros: 0n,
        costAvoidedMicros: 0n,
      },
    );
    return {
      code: 200,
      message: 'OK',
      data: {
        granularity: unit,
        priceUnit: this.prices.currency,
        periods: periods.map(({ costMicros, costAvoidedMicros, ...p }) => ({
          ...p,
          cost: formatMicros(costMicros),
          costAvoided: formatMicros(costAvoidedMicros),
        })),
        total: {
          ...counts(total),
          conversionRate: rate(total.verified, total.sent),
          cost: formatMicros(total.costMicros),
          costAvoided: formatMicros(total.costAvoidedMicros),
        },
      },
    };
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

  /** The record as the caller may see it: the destination only on its own records. */
  private toData(r: SdrRecord, callerSid: string): SdrData {
    const show = (to: string) => (r.accountSid === callerSid ? to : maskDestination(to));
    const time = (iso: string | undefined | null) => (iso ? formatTimestamp(new Date(iso)) : null);
    const channels = [...new Set(r.attempts.map((a) => a.channel))];
    return {
      requestId: r.requestId,
      accountSid: r.accountSid,
      parentAccountSid: r.parentAccountSid,
      service: r.service,
      channel: r.channel,
      channels: channels.length ? channels : [r.channel],
      from: r.from,
      to: show(r.to),
      countryCode: r.countryCode,
      status: r.status,
      statusReason: r.statusReason,
      deliveryStatus: deliveryStatusOf(r),
      wrongAttempts: r.wrongAttempts,
      verifyAttempts: r.wrongAttempts + (r.status === 'verified' ? 1 : 0),
      dateCreated: time(r.createdAt)!,
      dateExpires: time(r.expiresAt)!,
      dateVerified: time(r.times.verified),
      dateCanceled: time(r.times.canceled),
      dateExpired: time(r.times.expired),
      dateFailed: time(r.times.failed),
      price: formatMicros(priceMicrosOf(r)),
      priceUnit: this.prices.currency,
      fraudDecision: r.fraudDecision ?? null,
      fraudReasons: r.fraudReasons ?? [],
      attempts: r.attempts.map((a) => ({
        dispatchId: a.dispatchId,
        channel: a.channel,
        to: show(a.to),
        countryCode: a.countryCode,
        provider: a.provider,
        providerMessageId: a.providerMessageId,
        status: a.status,
        error: a.error,
        attempt: a.attempt,
        units: a.units,
        price: formatMicros(a.priceMicros),
        dateDispatched: time(a.dispatchedAt),
        statusTimes: Object.fromEntries(Object.entries(a.statusTimes).map(([s, t]) => [s, time(t)])),
        dateUpdated: time(a.updatedAt || a.dispatchedAt) ?? time(r.createdAt)!,
      })),
      uri: `${SDR_SEARCH_PATH}/${r.requestId}`,
    };
  }
}

interface UsageRow {
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

type Counts = Pick<
  UsagePeriod,
  'requests' | 'sent' | 'delivered' | 'failed' | 'verified' | 'canceled' | 'expired' | 'blocked'
>;

function counts(r: Counts): Counts {
  return {
    requests: r.requests,
    sent: r.sent,
    delivered: r.delivered,
    failed: r.failed,
    verified: r.verified,
    canceled: r.canceled,
    expired: r.expired,
    blocked: r.blocked,
  };
}

function rate(verified: number, sent: number): number {
  return sent ? Math.round((verified / sent) * 10_000) / 10_000 : 0;
}

/** A period's row: its name, its first and last instant (UTC), its figures. */
function period(
  r: UsageRow,
  unit: UsageQuery['granularity'],
): Omit<UsagePeriod, 'cost' | 'costAvoided'> & { costMicros: string; costAvoidedMicros: string } {
  const start = new Date(`${r.start}T00:00:00Z`);
  const end = new Date(start);
  if (unit === 'day') end.setUTCDate(end.getUTCDate() + 1);
  else if (unit === 'month') end.setUTCMonth(end.getUTCMonth() + 1);
  else end.setUTCFullYear(end.getUTCFullYear() + 1);
  end.setUTCMilliseconds(-1);
  const name = unit === 'day' ? r.start : unit === 'month' ? r.start.slice(0, 7) : r.start.slice(0, 4);
  return {
    period: name,
    startTime: formatTimestamp(start),
    endTime: formatTimestamp(end),
    ...counts(r),
    conversionRate: rate(r.verified, r.sent),
    costMicros: r.cost_micros ?? '0',
    costAvoidedMicros: r.cost_avoided_micros ?? '0',
  };
}
