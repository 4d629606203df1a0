import type { FraudLevel, FraudReason } from '@app/contracts';

/** The scopes the adaptive rules count in, in the order they are checked. */
export const SCOPE_KINDS = ['prefix4', 'prefix6', 'country', 'ip'] as const;
export type ScopeKind = (typeof SCOPE_KINDS)[number];

export interface ScopeRule {
  /** Unverified pressure always allowed (0: no velocity rule for this scope). */
  floor: number;
  /** Pressure allowed per recently verified send of the scope. */
  share: number;
  velocityReason: FraudReason;
  /** Resolved sends before the conversion rule judges (0: no conversion rule). */
  conversionMin: number;
  /** The conversion (verified / resolved) below which the scope is blocked. */
  conversionBelow: number;
}

export interface FraudThresholds {
  /** Decay time constant of the unverified pressure (a verify drains 1 at once). */
  tauUMs: number;
  /** Decay time constant of the recent verified sends. */
  tauVMs: number;
  /** Conversion time buckets, how many make the window, and how many buckets old a send must be to count as resolved. */
  bucketMs: number;
  windowBuckets: number;
  resolveBuckets: number;
  /** A scope blocked within this long escalates, and is on probation (a smaller conversion minimum). */
  memoryMs: number;
  probationMin: number;
  /** Prefixes of one country newly blocked within memoryMs that block the country (an attacker hopping prefixes). */
  prefixTripsBlockCountry: number;
  /** Block durations by escalation level. */
  durationsMs: number[];
  scopes: Record<ScopeKind, ScopeRule>;
}

const MIN = 60_000;
const HOUR = 60 * MIN;

/**
 * `standard`: tuned with `npm run simulate:fraud` (figures in README "Fraud guard"): a burst
 * to one cold prefix passes 8 sends, 20 people of one prefix within 10 minutes pass.
 */
const STANDARD: FraudThresholds = {
  tauUMs: 10 * MIN,
  tauVMs: HOUR,
  bucketMs: 10 * MIN,
  windowBuckets: 12,
  resolveBuckets: 1,
  memoryMs: 24 * HOUR,
  probationMin: 5,
  prefixTripsBlockCountry: 3,
  durationsMs: [15 * MIN, HOUR, 12 * HOUR, 24 * HOUR],
  scopes: {
    prefix4: { floor: 8, share: 0.5, velocityReason: 'prefix_velocity', conversionMin: 20, conversionBelow: 0.1 },
    prefix6: { floor: 15, share: 0.25, velocityReason: 'prefix_velocity', conversionMin: 0, conversionBelow: 0 },
    country: { floor: 25, share: 0.25, velocityReason: 'country_velocity', conversionMin: 12, conversionBelow: 0.2 },
    ip: { floor: 6, share: 0.5, velocityReason: 'ip_velocity', conversionMin: 0, conversionBelow: 0 },
  },
};

function scaled(base: FraudThresholds, floors: number, conversion: number): FraudThresholds {
  const scopes = Object.fromEntries(
    Object.entries(base.scopes).map(([kind, r]) => [
      kind,
      {
        ...r,
        floor: r.floor && Math.max(2, Math.round(r.floor * floors)),
        conversionMin: r.conversionMin && Math.max(5, Math.round(r.conversionMin / conversion)),
        conversionBelow: Math.min(0.9, r.conversionBelow * conversion),
      },
    ]),
  ) as Record<ScopeKind, ScopeRule>;
  return { ...base, scopes };
}

/** Thresholds by level: `relaxed` doubles the floors and halves the conversion bar, `strict` the reverse. */
export const FRAUD_LEVELS: Record<FraudLevel, FraudThresholds> = {
  relaxed: scaled(STANDARD, 2, 0.5),
  standard: STANDARD,
  strict: scaled(STANDARD, 0.6, 1.5),
};
