import { z } from 'zod';
import { FRAUD_DECISIONS } from './events';
import { timeBound, timestamp } from './paging';
import { accountSid, boolField, idOf, intField, ipAddress } from './validation';

/**
 * The fraud guard (SPEC 12): per-account settings, geo permissions, a safe list and the
 * active blocks, over `fraud.v1.*` (and `/2fa/fraud/*` through the gateway). Every command
 * names the one account it acts on; the gateway resolves it (the caller, or one of its
 * sub-accounts) as for limits.
 */

export const FRAUD_MODES = ['block', 'monitor'] as const;
export type FraudMode = (typeof FRAUD_MODES)[number];
export const FRAUD_LEVELS = ['relaxed', 'standard', 'strict'] as const;
export type FraudLevel = (typeof FRAUD_LEVELS)[number];

/** Why the guard refused a send: the `reason` of a 456. */
export const FRAUD_REASONS = [
  'geo_permission',
  'number_type',
  'prefix_velocity',
  'country_velocity',
  'ip_velocity',
  'low_conversion',
  'manual_block',
] as const;
export type FraudReason = (typeof FRAUD_REASONS)[number];

/** The channels the guard checks (email is not guarded). */
export const GUARDED_CHANNELS = ['sms', 'call'] as const;
export type GuardedChannel = (typeof GUARDED_CHANNELS)[number];

export const fraudSafeListId = idOf('FS');
export const fraudBlockId = idOf('FB');

const oneOf = <T extends string>(values: readonly [T, ...T[]]) =>
  z.enum(values, { error: `must be one of ${values.join(', ')}` });

/** ISO 3166-1 alpha-2, any case (`US`, `gb`), upper-cased. */
export const countryCodeField = z
  .string({ error: 'must be a string' })
  .trim()
  .regex(/^[A-Za-z]{2}$/, 'must be an ISO 3166-1 alpha-2 country code (US, GB)')
  .transform((s) => s.toUpperCase());

/**
 * What the limiter's `limiter.v1.consume` needs to run the guard before the limits, so that a
 * send stays one round trip. The destination is the command's own.
 */
export const FraudCheck = z.object({
  channel: oneOf(GUARDED_CHANNELS),
  recipientIp: ipAddress.optional(),
  /** `false` skips the guard, when the account's settings allow bypass. */
  riskCheck: z.boolean().optional(),
});
export type FraudCheck = z.infer<typeof FraudCheck>;

/** The guard's verdict on a send the limiter then counted (a refusal is a 456 instead). */
export const FraudVerdict = z.object({
  decision: z.enum(FRAUD_DECISIONS).exclude(['blocked']),
  reasons: z.array(z.string()).optional(),
});
export type FraudVerdict = z.infer<typeof FraudVerdict>;

const actingAccount = { accountSid };

export const FraudSettingsQuery = z.object(actingAccount);
export type FraudSettingsQuery = z.infer<typeof FraudSettingsQuery>;

export const UpdateFraudSettingsCommand = z.object({
  ...actingAccount,
  mode: oneOf(FRAUD_MODES).optional(),
  level: oneOf(FRAUD_LEVELS).optional(),
  allowBypass: boolField.optional(),
});
export type UpdateFraudSettingsCommand = z.infer<typeof UpdateFraudSettingsCommand>;

export const FraudSettingsData = z
  .object({
    accountSid: z.string(),
    mode: z.enum(FRAUD_MODES).meta({ description: '`block` refuses (456); `monitor` decides and records but sends.' }),
    level: z.enum(FRAUD_LEVELS).meta({ description: 'How low the velocity floors are: `strict` trips soonest.' }),
    allowBypass: z.boolean().meta({ description: 'Whether a send may pass `riskCheck: false` to skip the guard.' }),
    defaultBlockedCountries: z.array(z.string()).meta({
      description:
        'Countries the operator blocks for every account (FRAUD_DEFAULT_BLOCKED_COUNTRIES) unless a geo permission allows them.',
    }),
    dateUpdated: timestamp.nullable().meta({ description: 'Null while the account keeps the defaults.' }),
  })
  .meta({ id: 'FraudSettings' });
export type FraudSettingsData = z.infer<typeof FraudSettingsData>;

const permission = oneOf(['allow', 'block'] as const);
export type GeoPermission = 'allow' | 'block';

export const UpdateGeoPermissionCommand = z.object({
  ...actingAccount,
  countryCode: countryCodeField,
  sms: permission.optional(),
  call: permission.optional(),
});
export type UpdateGeoPermissionCommand = z.infer<typeof UpdateGeoPermissionCommand>;

export const GeoPermissionData = z
  .object({
    countryCode: z.string().meta({ examples: ['CU'] }),
    sms: permission,
    call: permission,
    source: z
      .enum(['account', 'default'])
      .meta({ description: "`account`: set by the account; `default`: the operator's default." }),
  })
  .meta({ id: 'FraudGeoPermission' });
export type GeoPermissionData = z.infer<typeof GeoPermissionData>;

/** Digits of a number or of the start of one, with the leading `+`: `+4477009001`. */
const PREFIX = /^\+[1-9]\d{0,14}$/;

/** A safe-list entry's fields (without the account and the rules between them). */
export const SafeListEntryFields = z.object({
  number: z
    .string({ error: 'must be a string' })
    .transform((s) => s.replace(/[\s()-]/g, ''))
    .refine((s) => PREFIX.test(s) && s.length >= 8, 'must be a phone number in E.164 form (+14155550123)')
    .optional(),
  prefix: z
    .string({ error: 'must be a string' })
    .transform((s) => s.replace(/[\s()-]/g, ''))
    .refine((s) => PREFIX.test(s) && s.length >= 3, 'must be the start of an E.164 number, 2 to 15 digits (+4477)')
    .optional(),
  /** Until when the entry holds; none: until deleted. */
  expiresAt: timeBound.optional(),
  /** Seconds the entry holds (instead of expiresAt). */
  ttl: intField(60, 31_536_000).optional(),
  description: z.string({ error: 'must be a string' }).max(256, 'must be at most 256 characters').optional(),
});

export const AddSafeListEntryCommand = SafeListEntryFields.extend(actingAccount).superRefine((c, ctx) => {
  if ((c.number === undefined) === (c.prefix === undefined))
    ctx.addIssue({ code: 'custom', path: ['number'], message: 'exactly one of number and prefix is required' });
  if (c.expiresAt !== undefined && c.ttl !== undefined)
    ctx.addIssue({ code: 'custom', path: ['ttl'], message: 'give expiresAt or ttl, not both' });
});
export type AddSafeListEntryCommand = z.infer<typeof AddSafeListEntryCommand>;

export const SafeListEntryData = z
  .object({
    id: z.string().meta({ examples: ['FS6f1c3b9a0d2e4f5a6b7c8d9e0f1a2b3c'] }),
    accountSid: z.string(),
    kind: z.enum(['number', 'prefix']),
    value: z.string().meta({ description: 'The number, or the start of numbers, in E.164 form.' }),
    description: z.string().nullable(),
    dateCreated: timestamp,
    dateExpires: timestamp.nullable().meta({ description: 'Null: holds until deleted.' }),
  })
  .meta({ id: 'FraudSafeListEntry' });
export type SafeListEntryData = z.infer<typeof SafeListEntryData>;

export const SafeListEntryQuery = z.object({ ...actingAccount, id: fraudSafeListId });
export type SafeListEntryQuery = z.infer<typeof SafeListEntryQuery>;

export const FraudBlockQuery = z.object({ ...actingAccount, id: fraudBlockId });
export type FraudBlockQuery = z.infer<typeof FraudBlockQuery>;

export const FRAUD_SCOPE_KINDS = ['prefix4', 'prefix6', 'country', 'ip'] as const;

export const FraudBlockData = z
  .object({
    id: z.string().meta({ examples: ['FB6f1c3b9a0d2e4f5a6b7c8d9e0f1a2b3c'] }),
    accountSid: z.string(),
    scope: z.object({ kind: z.enum(FRAUD_SCOPE_KINDS), value: z.string() }).meta({
      description: 'What is blocked: a prefix (without the last 4 or 6 digits), a country or a recipient IP.',
    }),
    reason: z.enum(FRAUD_REASONS),
    counters: z
      .record(z.string(), z.number())
      .meta({ description: 'The figures that tripped it (unverified pressure, threshold, conversion…).' }),
    level: z
      .number()
      .int()
      .meta({ description: '1 for the first block of this scope in a day, then 2, 3, 4 (15 min, 1 h, 12 h, 24 h).' }),
    dateCreated: timestamp,
    dateUntil: timestamp,
  })
  .meta({ id: 'FraudBlock' });
export type FraudBlockData = z.infer<typeof FraudBlockData>;

export interface FraudReply<T> {
  code: 200;
  message: 'OK';
  data: T;
}
