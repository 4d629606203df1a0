import {
  type Channel,
  DELIVERY_STATUS_RANK,
  type DeliveryStatus,
  dispatchIdOf,
  type FraudDecision,
  type OtpStatus,
  parseDispatchId,
} from '@app/contracts';
import { countryOf } from '../prices/country';
import type { PriceTable } from '../prices/price-table';
import type { SdrEvent } from './sdr-event';

/**
 * The session detail record of one OTP request, folded from its events by {@link applyEvent}.
 *
 * Ordering rules (events may arrive in any order, twice, or be replayed from the start): every
 * field is merged with a rule that does not depend on arrival order, so any permutation of the
 * same set of events folds to the same record.
 * - Request fields (account, service, channel, to, from, times) come from lifecycle events;
 *   every lifecycle event carries them, except a `dispatched` naming a dispatch, whose channel
 *   and destination are that dispatch's. Until a lifecycle event arrives, a `delivery_status`
 *   or `dispatched` fills them provisionally.
 * - OTP status: a terminal status (verified, canceled, expired, failed) always beats `pending`;
 *   between two of the same kind the later `occurredAt` wins, then the greater eventId.
 * - A status time (verified, canceled, failed) is the earliest event reporting it; expiry is
 *   at `expiresAt`.
 * - Wrong attempts: the greatest count any `verify_failed` reported.
 * - Each dispatch (`<requestId>-<n>`) keeps the delivery status of its greatest
 *   (attempt, rank, occurredAt, eventId), rank being queued < sent < delivered|undelivered|failed:
 *   a terminal status is never overwritten by an earlier one of the same delivery attempt, and a
 *   later delivery attempt supersedes an earlier one. Units: the greatest reported (default 1).
 */
export interface SdrRecord {
  requestId: string;
  accountSid: string;
  parentAccountSid: string | null;
  service: string;
  channel: Channel;
  from: string | null;
  to: string;
  countryCode: string | null;
  createdAt: string;
  expiresAt: string;
  /** 0: only provisional (from a delivery status), 1: from a lifecycle event. */
  source: 0 | 1;
  status: OtpStatus;
  statusReason: string | null;
  /** Order key of the event that set the status. */
  statusKey: string;
  wrongAttempts: number;
  times: Partial<Record<'verified' | 'canceled' | 'expired' | 'failed' | 'blocked', string>>;
  attempts: SdrAttempt[];
  /** The fraud guard's decision on the send (SPEC 12); absent on records older than the guard. */
  fraudDecision?: FraudDecision | null;
  fraudReasons?: string[];
  /** A blocked send: what one message to its destination would have cost (millionths). */
  costAvoidedMicros?: number;
}

export interface SdrAttempt {
  dispatchId: string;
  seq: number;
  channel: Channel;
  to: string;
  countryCode: string | null;
  provider: string | null;
  providerMessageId: string | null;
  status: DeliveryStatus | null;
  error: { code: string; message: string } | null;
  attempt: number;
  units: number;
  /** Price in millionths of the currency unit (integers add up exactly). */
  priceMicros: number;
  dispatchedAt: string | null;
  statusTimes: Partial<Record<DeliveryStatus, string>>;
  /** Order key of the delivery status event that set `status`. */
  statusKey: string;
  updatedAt: string;
}

/** A key that sorts as the rule says: fixed-width fields, then the ISO time, then the event id. */
function orderKey(parts: number[], occurredAt: string, eventId: string): string {
  return `${parts.map((p) => String(p).padStart(6, '0')).join(':')}|${occurredAt}|${eventId}`;
}

function earliest(a: string | undefined, b: string): string {
  return a !== undefined && a <= b ? a : b;
}

/** Folds one event into the record (`undefined` for the first one). Pure: never mutates. */
export function applyEvent(previous: SdrRecord | undefined, event: SdrEvent, prices: PriceTable): SdrRecord {
  const { occurredAt, eventId } = event.metadata;
  let record = previous
    ? { ...previous, times: { ...previous.times }, attempts: [...previous.attempts] }
    : provisional(event);
  if (event.type === 'delivery_status') {
    record = withAttempt(record, event.data.dispatchId, event.data.channel, event.data.to, (a) => {
      const key = orderKey([event.data.attempt, DELIVERY_STATUS_RANK[event.data.status]], occurredAt, eventId);
      const wins = key > a.statusKey;
      return {
        ...a,
        status: wins ? event.data.status : a.status,
        statusKey: wins ? key : a.statusKey,
        provider: wins || a.provider === null ? event.data.provider : a.provider,
        providerMessageId:
          (wins ? event.data.providerMessageId : null) ?? a.providerMessageId ?? event.data.providerMessageId,
        error: wins ? event.data.error : a.error,
        attempt: Math.max(a.attempt, event.data.attempt),
        units: Math.max(a.units, event.data.units ?? 1),
        statusTimes: { ...a.statusTimes, [event.data.status]: earliest(a.statusTimes[event.data.status], occurredAt) },
        updatedAt: a.updatedAt > occurredAt ? a.updatedAt : occurredAt,
      };
    });
    return reprice(record, prices);
  }

  const data = event.data;
  const isDispatchOfItsOwn = event.type === 'dispatched' && data.dispatchId !== undefined;
  if (!isDispatchOfItsOwn && (record.source === 0 || (record.from === null && data.from))) {
    record = {
      ...record,
      source: 1,
      accountSid: data.accountSid,
      parentAccountSid: data.parentAccountSid,
      service: data.service,
      channel: data.channel,
      to: data.to,
      from: data.from ?? record.from,
      countryCode: countryOf(data.channel, data.to),
      createdAt: data.createdAt,
      expiresAt: data.expiresAt,
    };
  }
  if (event.type === 'dispatched') {
    // Before dispatches were numbered in the event, a request had one: `<requestId>-1`.
    const dispatchId = data.dispatchId ?? dispatchIdOf(data.requestId, 1);
    record = withAttempt(record, dispatchId, data.channel, data.to, (a) => ({
      ...a,
      dispatchedAt: a.dispatchedAt === null ? occurredAt : earliest(a.dispatchedAt, occurredAt),
    }));
  }
  const statusKey = orderKey([data.status === 'pending' ? 0 : 1], occurredAt, eventId);
  if (statusKey > record.statusKey) {
    record.status = data.status;
    record.statusReason = data.status === 'pending' ? null : (data.reason ?? null);
    record.statusKey = statusKey;
  }
  // Expiry happens at `expiresAt` to the second, whenever the sweeper got round to recording it.
  if (data.status !== 'pending')
    record.times[data.status] = earliest(
      record.times[data.status],
      data.status === 'expired' ? data.expiresAt : occurredAt,
    );
  if (event.type === 'verify_failed' && data.attempts !== undefined)
    record.wrongAttempts = Math.max(record.wrongAttempts, data.attempts);
  // The guard's decision comes with `created` or `blocked`; a refusal is what stands.
  if (data.fraudDecision && (event.type === 'blocked' || record.fraudDecision !== 'blocked')) {
    record.fraudDecision = data.fraudDecision;
    record.fraudReasons = data.fraudReasons ?? [];
  }
  if (event.type === 'blocked') record.costAvoidedMicros = prices.unitPriceMicros(data.channel, record.countryCode);
  return reprice(record, prices);
}

/** A record known only from its first event; lifecycle events complete it. */
function provisional(event: SdrEvent): SdrRecord {
  const d = event.data;
  return {
    requestId: d.requestId,
    accountSid: d.accountSid,
    parentAccountSid: d.parentAccountSid,
    service: 'service' in d ? d.service : '',
    channel: d.channel,
    from: null,
    to: d.to,
    countryCode: countryOf(d.channel, d.to),
    createdAt: 'createdAt' in d ? d.createdAt : event.metadata.occurredAt,
    expiresAt: 'expiresAt' in d ? d.expiresAt : event.metadata.occurredAt,
    source: 0,
    status: 'pending',
    statusReason: null,
    statusKey: '',
    wrongAttempts: 0,
    times: {},
    attempts: [],
  };
}

function withAttempt(
  record: SdrRecord,
  dispatchId: string,
  channel: Channel,
  to: string,
  change: (a: SdrAttempt) => SdrAttempt,
): SdrRecord {
  const index = record.attempts.findIndex((a) => a.dispatchId === dispatchId);
  const current: SdrAttempt =
    index >= 0
      ? record.attempts[index]
      : {
          dispatchId,
          seq: parseDispatchId(dispatchId)?.seq ?? 0,
          channel,
          to,
          countryCode: countryOf(channel, to),
          provider: null,
          providerMessageId: null,
          status: null,
          error: null,
          attempt: 0,
          units: 1,
          priceMicros: 0,
          dispatchedAt: null,
          statusTimes: {},
          statusKey: '',
          updatedAt: '',
        };
  const attempts = [...record.attempts];
  attempts.splice(index >= 0 ? index : attempts.length, index >= 0 ? 1 : 0, change(current));
  attempts.sort((a, b) => a.seq - b.seq || (a.dispatchId < b.dispatchId ? -1 : 1));
  return { ...record, attempts };
}

/**
 * Prices every dispatch from the table: its units at the price of its channel and country,
 * unless the provider refused it (`failed`): a refused message is not billed.
 */
function reprice(record: SdrRecord, prices: PriceTable): SdrRecord {
  record.attempts = record.attempts.map((a) => ({
    ...a,
    priceMicros: a.status === 'failed' ? 0 : prices.unitPriceMicros(a.channel, a.countryCode) * a.units,
  }));
  return record;
}

/** The latest dispatch's delivery status: what the person finally got. */
export function deliveryStatusOf(record: SdrRecord): DeliveryStatus | null {
  return record.attempts.length ? record.attempts[record.attempts.length - 1].status : null;
}

export function priceMicrosOf(record: SdrRecord): number {
  return record.attempts.reduce((sum, a) => sum + a.priceMicros, 0);
}

/** The roll-up row a record counts in, and what it counts there. */
export interface Contribution {
  key: {
    accountSid: string;
    day: string;
    /** The first day of the month. */
    month: string;
    service: string;
    channel: Channel;
    countryCode: string;
    status: OtpStatus;
    deliveryStatus: string;
  };
  counts: {
    requests: number;
    sent: number;
    delivered: number;
    failed: number;
    verified: number;
    canceled: number;
    expired: number;
    costMicros: number;
    blocked: number;
    costAvoidedMicros: number;
  };
}

/**
 * Usage definitions (documented in the README):
 * - sent: a dispatch went out or is on its way (any dispatch not refused as `failed`);
 * - delivered: a dispatch was delivered;
 * - failed: the latest dispatch failed or was undelivered, or the request ended `failed`;
 * - verified, canceled, expired: the request's final status;
 * - cost: the record's price;
 * - blocked: the fraud guard refused the send (nothing was sent); cost avoided: one message's price.
 */
export function contributionOf(record: SdrRecord): Contribution {
  const delivery = deliveryStatusOf(record);
  return {
    key: {
      accountSid: record.accountSid,
      day: record.createdAt.slice(0, 10),
      month: `${record.createdAt.slice(0, 7)}-01`,
      service: record.service,
      channel: record.channel,
      countryCode: record.countryCode ?? '',
      status: record.status,
      deliveryStatus: delivery ?? '',
    },
    counts: {
      requests: 1,
      sent: record.attempts.some((a) => a.status !== 'failed') ? 1 : 0,
      delivered: record.attempts.some((a) => a.status === 'delivered') ? 1 : 0,
      failed: delivery === 'failed' || delivery === 'undelivered' || record.status === 'failed' ? 1 : 0,
      verified: record.status === 'verified' ? 1 : 0,
      canceled: record.status === 'canceled' ? 1 : 0,
      expired: record.status === 'expired' ? 1 : 0,
      costMicros: priceMicrosOf(record),
      blocked: record.status === 'blocked' ? 1 : 0,
      costAvoidedMicros: record.status === 'blocked' ? (record.costAvoidedMicros ?? 0) : 0,
    },
  };
}
