import { z } from 'zod';
import { DELIVERY_STATUSES, type DeliveryStatus, OTP_STATUSES, type OtpStatus } from './events';
import { type Page, pageFields, searchScope, sortBy, timeBound } from './paging';
import { CHANNELS, type Channel } from './subjects';
import { accountSid, otpRequestId } from './validation';

/**
 * Session detail records (SDR) and usage (SPEC 3.5): one record per OTP request, projected
 * by apps/sdr from `otp.v1.events.>`, and usage roll-ups per account, day, service, channel,
 * country and status.
 */

const oneOf = <T extends string>(values: readonly [T, ...T[]]) =>
  z.enum(values, { error: `must be one of ${values.join(', ')}` });

/** Filters shared by the record search and the usage report. */
export const sdrFilters = {
  ...searchScope,
  service: z
    .string({ error: 'must be a string' })
    .trim()
    .min(1, 'must not be empty')
    .max(64, 'must be at most 64 characters')
    .optional(),
  /** The destination exactly as sent (E.164 number or email address). */
  to: z
    .string({ error: 'must be a string' })
    .trim()
    .min(1, 'must not be empty')
    .max(254, 'must be at most 254 characters')
    .optional(),
  channel: oneOf(CHANNELS).optional(),
  status: oneOf(OTP_STATUSES).optional(),
  deliveryStatus: oneOf(DELIVERY_STATUSES).optional(),
  /** ISO 3166-1 alpha-2, any case (`US`, `in`). */
  countryCode: z
    .string({ error: 'must be a string' })
    .trim()
    .regex(/^[A-Za-z]{2}$/, 'must be an ISO 3166-1 alpha-2 country code (US, IN)')
    .transform((s) => s.toUpperCase())
    .optional(),
  startTime: timeBound.optional(),
  endTime: timeBound.optional(),
};

export const SDR_SORT_FIELDS = ['dateCreated', 'status', 'deliveryStatus', 'channel', 'countryCode', 'price'] as const;
export type SdrSortField = (typeof SDR_SORT_FIELDS)[number];
/** Newest first: what someone looking at their sessions wants to see. */
export const DEFAULT_SDR_SORT = { field: 'dateCreated', direction: 'desc' } as const;

/**
 * `callerSid` is the account asking: the destination is shown only on its own records, masked
 * on its sub-accounts' (SPEC 3.5).
 */
export const SearchSdrQuery = z.object({
  ...pageFields,
  ...sdrFilters,
  callerSid: accountSid,
  SortBy: sortBy<SdrSortField>(SDR_SORT_FIELDS, DEFAULT_SDR_SORT),
});
export type SearchSdrQuery = z.infer<typeof SearchSdrQuery>;

export const SdrByIdQuery = z.object({ ...searchScope, callerSid: accountSid, requestId: otpRequestId });
export type SdrByIdQuery = z.infer<typeof SdrByIdQuery>;

export const USAGE_GRANULARITIES = ['day', 'month', 'year'] as const;
export type UsageGranularity = (typeof USAGE_GRANULARITIES)[number];

/**
 * Usage per period. Periods are UTC days, months or years; `startTime` and `endTime` select
 * whole days (a time of day is ignored), since usage is served from daily roll-ups.
 */
export const UsageQuery = z.object({
  ...sdrFilters,
  granularity: oneOf(USAGE_GRANULARITIES).default('day'),
});
export type UsageQuery = z.infer<typeof UsageQuery>;

/** One dispatch of a request: a channel, a destination, what the provider said. */
export interface SdrAttemptData {
  dispatchId: string;
  channel: Channel;
  /** Masked unless the caller owns the record. */
  to: string;
  countryCode: string | null;
  provider: string | null;
  providerMessageId: string | null;
  /** Last delivery status (null until a dispatcher reported one). */
  status: DeliveryStatus | null;
  error: { code: string; message: string } | null;
  /** Delivery attempts the dispatcher made. */
  attempt: number;
  /** Billable units (SMS segments). */
  units: number;
  price: string;
  dateDispatched: string | null;
  /** When each delivery status was first reported. */
  statusTimes: Partial<Record<DeliveryStatus, string>>;
  dateUpdated: string;
}

/** One OTP session. Never the code. */
export interface SdrData {
  requestId: string;
  accountSid: string;
  parentAccountSid: string | null;
  service: string;
  /** The channel asked for. */
  channel: Channel;
  /** Every channel a dispatch went through, in order. */
  channels: Channel[];
  from: string | null;
  /** Masked unless the caller owns the record. */
  to: string;
  /** From the number; null for email. */
  countryCode: string | null;
  status: OtpStatus;
  statusReason: string | null;
  /** The latest dispatch's delivery status. */
  deliveryStatus: DeliveryStatus | null;
  /** Wrong codes entered. */
  wrongAttempts: number;
  /** Codes entered (wrong ones plus the one that verified). */
  verifyAttempts: number;
  dateCreated: string;
  dateExpires: string;
  dateVerified: string | null;
  dateCanceled: string | null;
  dateExpired: string | null;
  dateFailed: string | null;
  /** Decimal string in the price table's currency. */
  price: string;
  priceUnit: string;
  attempts: SdrAttemptData[];
  uri: string;
}

export interface SdrReply {
  code: 200;
  message: 'OK';
  data: SdrData;
}

export interface SdrPageReply {
  code: 200;
  message: 'OK';
  data: Page<SdrData>;
}

export interface UsagePeriod {
  /** `2026-11-23`, `2026-11` or `2026`. */
  period: string;
  startTime: string;
  endTime: string;
  requests: number;
  sent: number;
  delivered: number;
  failed: number;
  verified: number;
  canceled: number;
  expired: number;
  /** verified / sent, 0 when nothing was sent. */
  conversionRate: number;
  cost: string;
}

export interface UsageReply {
  code: 200;
  message: 'OK';
  data: {
    granularity: UsageGranularity;
    priceUnit: string;
    periods: UsagePeriod[];
    total: Omit<UsagePeriod, 'period' | 'startTime' | 'endTime'>;
  };
}
