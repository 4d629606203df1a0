import { Inject, Injectable } from '@nestjs/common';
import {
  DomainError,
  formatTimestamp,
  maskDestination,
  type PageData,
  type SdrByIdQuery,
  type SdrRecordData,
  type SearchSdrQuery,
  type UsagePeriod,
  type UsageQuery,
  type UsageReply,
  ErrorCode,
} from '@app/contracts';
import { formatMicros, type PriceTable } from '../prices/price-table';
import { PRICE_TABLE } from '../prices/price-table.provider';
import { deliveryStatusOf, priceMicrosOf, type SdrRecord } from './sdr-record';
import { type UsageRow, SdrReadsRepository } from './sdr-reads.repository';

/**
 * Records and usage as the API shows them (SPEC 3.5), as data: the replies in the seed's shape
 * (envelope, page and record URIs) are made by `sdrReply` / `sdrPageReply` (contracts).
 */
@Injectable()
export class SdrQueries {
  constructor(
    private readonly reads: SdrReadsRepository,
    @Inject(PRICE_TABLE) private readonly prices: PriceTable,
  ) {}

  async search(query: SearchSdrQuery): Promise<PageData<SdrRecordData>> {
    const { records, total } = await this.reads.search(query);
    const items = records.map((r) => this.toData(r, query.callerSid));
    return { items, total, page: query.page, pageSize: query.pageSize };
  }

  /** A record in the caller's scope, or 481: a stranger's record is as unknown as none. */
  async get(query: SdrByIdQuery): Promise<SdrRecordData> {
    const record = await this.reads.find(query.requestId, query.accountSids);
    if (!record) throw new DomainError(ErrorCode.UnknownSessionRecord);
    return this.toData(record, query.callerSid);
  }

  /** Usage per period, with the totals and conversion rates (SPEC 3.5). */
  async usage(query: UsageQuery): Promise<UsageReply['data']> {
    const unit = query.granularity;
    const rows = await this.reads.usage(query);
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
    };
  }

  /** The record as the caller may see it: the destination only on its own records. */
  private toData(r: SdrRecord, callerSid: string): SdrRecordData {
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
    };
  }
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
