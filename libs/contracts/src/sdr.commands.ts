import { z } from 'zod';
import { DELIVERY_STATUSES, FRAUD_DECISIONS, OTP_STATUSES } from './events';
import { okWith, pageFields, pageSchema, searchScope, sortBy, timeBound, timestamp } from './paging';
import { CHANNELS } from './subjects';
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

const deliveryStatus = z.enum(DELIVERY_STATUSES);

/** One dispatch of a request: a channel, a destination, what the provider said. */
export const SdrAttemptData = z
  .object({
    dispatchId: z.string(),
    channel: z.enum(CHANNELS),
    to: z.string().meta({ description: 'Masked unless the caller owns the record.' }),
    countryCode: z.string().nullable(),
    provider: z.string().nullable(),
    providerMessageId: z.string().nullable(),
    status: deliveryStatus
      .nullable()
      .meta({ description: 'Last delivery status (null until a dispatcher reported one).' }),
    error: z.object({ code: z.string(), message: z.string() }).nullable(),
    attempt: z.number().int().meta({ description: 'Delivery attempts the dispatcher made.' }),
    units: z.number().int().meta({ description: 'Billable units (SMS segments).' }),
    price: z.string(),
    dateDispatched: timestamp.nullable(),
    statusTimes: z
      .partialRecord(deliveryStatus, timestamp)
      .meta({ description: 'When each delivery status was first reported.' }),
    dateUpdated: timestamp,
  })
  .meta({ id: 'SessionAttempt' });
export type SdrAttemptData = z.infer<typeof SdrAttemptData>;

/** One OTP session. Never the code. */
export const SdrData = z
  .object({
    requestId: z.string(),
    accountSid: z.string(),
    parentAccountSid: z.string().nullable(),
    service: z.string(),
    channel: z.enum(CHANNELS).meta({ description: 'The channel asked for.' }),
    channels: z.array(z.enum(CHANNELS)).meta({ description: 'Every channel a dispatch went through, in order.' }),
    from: z.string().nullable(),
    to: z.string().meta({ description: 'Masked unless the caller owns the record.' }),
    countryCode: z.string().nullable().meta({ description: 'From the number; null for email.' }),
    status: z.enum(OTP_STATUSES),
    statusReason: z.string().nullable(),
    deliveryStatus: deliveryStatus.nullable().meta({ description: "The latest dispatch's delivery status." }),
    wrongAttempts: z.number().int().meta({ description: 'Wrong codes entered.' }),
    verifyAttempts: z.number().int().meta({ description: 'Codes entered (wrong ones plus the one that verified).' }),
    dateCreated: timestamp,
    dateExpires: timestamp,
    dateVerified: timestamp.nullable(),
    dateCanceled: timestamp.nullable(),
    dateExpired: timestamp.nullable(),
    dateFailed: timestamp.nullable(),
    price: z.string().meta({ description: "Decimal string in the price table's currency." }),
    priceUnit: z.string(),
    fraudDecision: z
      .enum(FRAUD_DECISIONS)
      .nullable()
      .meta({ description: "The fraud guard's decision (sms and call; null on email and older records)." }),
    fraudReasons: z
      .array(z.string())
      .meta({ description: 'With blocked and monitor_blocked: the rules that refused.' }),
    attempts: z.array(SdrAttemptData),
    uri: z.string(),
  })
  .meta({ id: 'SessionRecord' });
export type SdrData = z.infer<typeof SdrData>;

export const SdrReply = okWith(SdrData);
export type SdrReply = z.infer<typeof SdrReply>;

export const SdrPageReply = okWith(pageSchema(SdrData));
export type SdrPageReply = z.infer<typeof SdrPageReply>;

const usageCounts = {
  requests: z.number().int(),
  sent: z.number().int(),
  delivered: z.number().int(),
  failed: z.number().int(),
  verified: z.number().int(),
  canceled: z.number().int(),
  expired: z.number().int(),
  blocked: z.number().int().meta({ description: 'Sends the fraud guard refused (nothing was sent).' }),
  conversionRate: z.number().meta({ description: 'verified / sent, 0 when nothing was sent.' }),
  cost: z.string(),
  costAvoided: z.string().meta({ description: 'What the blocked sends would have cost, one message each.' }),
};

export const UsagePeriod = z
  .object({
    period: z.string().meta({ examples: ['2026-11-23', '2026-11', '2026'] }),
    startTime: timestamp,
    endTime: timestamp,
    ...usageCounts,
  })
  .meta({ id: 'UsagePeriod' });
export type UsagePeriod = z.infer<typeof UsagePeriod>;

export const UsageData = z
  .object({
    granularity: z.enum(USAGE_GRANULARITIES),
    priceUnit: z.string(),
    periods: z.array(UsagePeriod),
    total: z.object(usageCounts),
  })
  .meta({ id: 'Usage' });

export const UsageReply = okWith(UsageData);
export type UsageReply = z.infer<typeof UsageReply>;
