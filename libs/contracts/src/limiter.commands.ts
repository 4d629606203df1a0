import { z } from 'zod';
import { FraudCheck, FraudVerdict } from './fraud.commands';
import { limitRefs } from './otp.commands';
import { okWith, pageFields, pageSchema, searchScope, sortBy, timeBound, timestamp } from './paging';
import { accountSid, idOf, intField, nonEmpty, parsedIfJsonString } from './validation';

export const limitSid = idOf('LM');

/** At most this many sends per window; a window lasts at most a year (SPEC 3.4). */
export const MAX_BUCKET_MAX = 1_000_000_000;
export const MAX_BUCKET_INTERVAL = 31_536_000;

const bucket = z
  .object(
    {
      name: nonEmpty(64).meta({ description: 'Unique in the limit.', examples: ['per-minute'] }),
      max: intField(1, MAX_BUCKET_MAX).meta({ description: 'Sends the bucket holds per window.', examples: [1] }),
      interval: intField(1, MAX_BUCKET_INTERVAL).meta({ description: 'The window, in seconds.', examples: [60] }),
    },
    { error: 'each bucket must be an object {name, max, interval}' },
  )
  .meta({ id: 'Bucket' });
export type Bucket = z.infer<typeof bucket>;

/**
 * 1–10 buckets with unique names, given as an array or as that array in a JSON string, with
 * numbers as numbers or numeric strings: seed 001 shows every one of these forms.
 */
export const buckets = z
  .preprocess(
    parsedIfJsonString,
    z
      .array(bucket, { error: 'must be an array of {name, max, interval}, or that array as a JSON string' })
      .min(1, 'must hold at least one bucket')
      .max(10, 'may hold at most 10 buckets')
      .superRefine((list, ctx) => {
        const seen = new Set<string>();
        list.forEach((b, i) => {
          if (seen.has(b.name))
            ctx.addIssue({
              code: 'custom',
              path: [i, 'name'],
              message: `must be unique in the limit (${b.name} repeats)`,
            });
          seen.add(b.name);
        });
      }),
  )
  .meta({ description: 'The buckets, in order (also accepted as that array in a JSON string).' });

const description = z.string({ error: 'must be a string' }).max(1024, 'must be at most 1024 characters');
const email = z.string().max(254).optional();

/**
 * Create a limit for `accountSid` (the caller or one of its sub-accounts). `createdBy` is the
 * account that asked; the emails are carried for the seed's response shape.
 */
export const CreateLimitCommand = z.object({
  accountSid,
  accountEmail: email,
  createdBy: accountSid.optional(),
  createdByEmail: email,
  name: nonEmpty(64).meta({ description: 'Unique per account; a send names the limit by it.', examples: ['per-user'] }),
  buckets,
  description: description.optional(),
});
export type CreateLimitCommand = z.infer<typeof CreateLimitCommand>;

/** The limit must belong to one of `accountSids` (the caller and its sub-accounts). */
export const UpdateLimitCommand = z.object({
  ...searchScope,
  sid: limitSid,
  buckets: buckets.optional(),
  description: description.optional(),
  /** The name never changes; giving another one is refused. */
  name: nonEmpty(64).optional(),
});
export type UpdateLimitCommand = z.infer<typeof UpdateLimitCommand>;

export const LimitByIdQuery = z.object({ ...searchScope, sid: limitSid });
export type LimitByIdQuery = z.infer<typeof LimitByIdQuery>;

export const LIMIT_SORT_FIELDS = ['name', 'dateCreated'] as const;
export const DEFAULT_LIMIT_SORT = { field: 'dateCreated', direction: 'asc' } as const;

export const SearchLimitsQuery = z.object({
  ...searchScope,
  ...pageFields,
  name: z.string({ error: 'must be a string' }).max(64, 'must be at most 64 characters').optional(),
  startTime: timeBound.optional(),
  endTime: timeBound.optional(),
  SortBy: sortBy(LIMIT_SORT_FIELDS, DEFAULT_LIMIT_SORT),
});
export type SearchLimitsQuery = z.infer<typeof SearchLimitsQuery>;

/** A limit as seed 001 returns it: `buckets` as a JSON string with numbers as strings. */
export const LimitData = z
  .object({
    sid: z.string().meta({ examples: ['LM6f1c3b9a0d2e4f5a6b7c8d9e0f1a2b3c'] }),
    name: z.string(),
    buckets: z.string().meta({
      description: 'The buckets as a JSON string, numbers as strings (as seed 001 returns them).',
      examples: ['[{"name":"per-minute","max":"1","interval":"60"}]'],
    }),
    description: z.string().nullable(),
    accountSid: z.string().meta({ description: 'The account that created the limit.' }),
    accountEmail: z.string().nullable(),
    targetAccountSid: z
      .string()
      .meta({ description: 'The account the limit belongs to (a sub-account when created on its behalf).' }),
    targetAccountEmail: z.string().nullable(),
    uri: z.string(),
    dateCreated: timestamp,
    dateUpdated: timestamp,
  })
  .meta({ id: 'Limit' });
export type LimitData = z.infer<typeof LimitData>;

export const LimitReply = okWith(LimitData);
export type LimitReply = z.infer<typeof LimitReply>;

export const LimitPageReply = okWith(pageSchema(LimitData));
export type LimitPageReply = z.infer<typeof LimitPageReply>;

/**
 * Count one operation against the caller's limits (SPEC section 6). Without `limits` the
 * default limit applies: `max` per `interval` per account and destination (453).
 */
export const ConsumeLimitsCommand = z.object({
  accountSid,
  /** The destination the default limit keys on. */
  destination: nonEmpty(254),
  limits: limitRefs.optional(),
  /** Run the fraud guard first (sms and call sends): a refusal (456) counts nothing. */
  fraud: FraudCheck.optional(),
});
export type ConsumeLimitsCommand = z.infer<typeof ConsumeLimitsCommand>;

export const ConsumeLimitsReply = z.object({
  code: z.literal(200),
  message: z.literal('OK'),
  /** Operations left in the tightest bucket that counted this one. */
  remaining: z.number().int().meta({ description: 'Operations left in the tightest bucket that counted this one.' }),
  /** Seconds until that bucket's window closes. */
  resetIn: z.number().int().meta({ description: "Seconds until that bucket's window closes." }),
  /** That bucket's `max`. */
  limit: z.number().int().meta({ description: "That bucket's `max`." }),
  /** The fraud guard's verdict, when the command asked for it. */
  fraud: FraudVerdict.optional(),
});
export type ConsumeLimitsReply = z.infer<typeof ConsumeLimitsReply>;
