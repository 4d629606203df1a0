import { Inject, Injectable } from '@nestjs/common';
import type { FraudLevel, FraudMode, GeoPermission, GuardedChannel } from '@app/contracts';
import { APP_CONFIG, type AppConfig, Clock, type RedisClient } from '@app/platform';
import { FRAUD_REDIS } from './fraud-store';
import { FraudRepository, type GeoPermissionRow, type SafeListRow } from './fraud.repository';

/** A cached entry is re-read at the latest after this long, even without a version change. */
const MAX_AGE_MS = 30_000;
const MAX_ACCOUNTS = 10_000;

/** What the guard needs to know of an account for every send. */
export interface FraudPolicy {
  mode: FraudMode;
  level: FraudLevel;
  allowBypass: boolean;
  updatedAt: Date | null;
  geo: Map<string, GeoPermissionRow>;
  safeNumbers: Set<string>;
  safePrefixes: string[];
  /** The first safe-list entry to expire (ms): the entry is re-read then. */
  expiresAtMs: number;
}

interface CacheEntry {
  version: string | null;
  loadedAt: number;
  policy: FraudPolicy;
}

/**
 * The accounts' fraud guard settings, geo permissions and safe lists as sends see them: read
 * from Postgres, cached per account in this replica, dropped as soon as any replica changed
 * one (a per-account version in the guard's Redis, as for limit definitions). While that
 * Redis is out of reach, a cached entry serves until MAX_AGE_MS.
 */
@Injectable()
export class FraudPolicies {
  private readonly cache = new Map<string, CacheEntry>();

  constructor(
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    @Inject(FRAUD_REDIS) private readonly redis: RedisClient,
    private readonly repository: FraudRepository,
    private readonly clock: Clock,
  ) {}

  async get(accountSid: string): Promise<FraudPolicy> {
    const version = await this.redis.get(versionKey(accountSid)).catch(() => undefined);
    const now = this.clock.now().getTime();
    const entry = this.cache.get(accountSid);
    const fresh =
      entry &&
      now >= entry.loadedAt &&
      now - entry.loadedAt <= MAX_AGE_MS &&
      now < entry.policy.expiresAtMs &&
      (version === undefined || entry.version === version);
    if (fresh) return entry.policy;
    const policy = await this.load(accountSid);
    if (this.cache.size >= MAX_ACCOUNTS) this.cache.delete(this.cache.keys().next().value as string);
    this.cache.set(accountSid, { version: version ?? null, loadedAt: now, policy });
    return policy;
  }

  /** The permission of a country for a channel: the account's own, else the operator's default. */
  permission(policy: FraudPolicy, countryCode: string | undefined, channel: GuardedChannel): GeoPermission {
    const own = countryCode ? policy.geo.get(countryCode) : undefined;
    if (own) return own[channel];
    return countryCode && this.config.fraud.defaultBlockedCountries.includes(countryCode) ? 'block' : 'allow';
  }

  /** Runs a change of the account's settings; every replica re-reads them on its next send. */
  async change<T>(accountSid: string, write: () => Promise<T>): Promise<T> {
    const result = await write();
    this.cache.delete(accountSid);
    // The guard fails open: a change is kept even if the version cannot be bumped (replicas then re-read within MAX_AGE_MS).
    await this.redis.incr(versionKey(accountSid)).catch(() => undefined);
    return result;
  }

  private async load(accountSid: string): Promise<FraudPolicy> {
    const now = this.clock.now();
    const [settings, geo, safe] = await Promise.all([
      this.repository.settings(accountSid),
      this.repository.geoPermissions(accountSid),
      this.repository.safeList(accountSid, now),
    ]);
    return {
      mode: settings?.mode ?? this.config.fraud.defaultMode,
      level: settings?.level ?? this.config.fraud.defaultLevel,
      allowBypass: settings?.allowBypass ?? false,
      updatedAt: settings?.updatedAt ?? null,
      geo: new Map(geo.map((g) => [g.countryCode, g])),
      safeNumbers: new Set(safe.filter((e) => e.kind === 'number').map((e) => e.value)),
      safePrefixes: safe.filter((e) => e.kind === 'prefix').map((e) => e.value),
      expiresAtMs: firstExpiry(safe),
    };
  }
}

function firstExpiry(entries: SafeListRow[]): number {
  return entries.reduce((min, e) => (e.expiresAt ? Math.min(min, e.expiresAt.getTime()) : min), Infinity);
}

function versionKey(accountSid: string): string {
  return `fraud:{${accountSid}}:version`;
}
