import { Inject, Injectable } from '@nestjs/common';
import type { FraudLevel, FraudMode, GeoPermission, GuardedChannel } from '@app/contracts';
import { APP_CONFIG, type AppConfig, Clock, type RedisClient } from '@app/platform';
import { FRAUD_REDIS, versionKey } from './fraud-store';
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

/**
 * A policy and the version of the account's settings it was read at: '' when none is stored, or
 * when it could not be read (Redis out of reach), so that the stored one, once readable, differs.
 */
export interface VersionedPolicy {
  readonly policy: FraudPolicy;
  readonly version: string;
}

interface CacheEntry extends VersionedPolicy {
  readonly loadedAt: number;
}

/**
 * The accounts' fraud guard settings, geo permissions and safe lists as sends see them: read
 * from Postgres, cached per account in this replica, dropped as soon as any replica changed
 * one (a per-account version in the guard's Redis, as for limit definitions). The guard's
 * scripts compare that version themselves ({@link cached}, then {@link reload} when they answer
 * stale); what decides without a script reads it first ({@link checked}). A cached entry is read
 * again after MAX_AGE_MS or when a safe-list entry in it expires, and while that Redis is out of
 * reach it serves until then.
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

  /** The policy, its version compared with the stored one first (one Redis read). */
  async get(accountSid: string): Promise<FraudPolicy> {
    return (await this.checked(accountSid)).policy;
  }

  /** As {@link get}, with the version it was read at. */
  async checked(accountSid: string): Promise<VersionedPolicy> {
    // undefined: out of reach (the cached entry serves); '' no version stored.
    const stored = await this.redis.get(versionKey(accountSid)).then(
      (v) => v ?? '',
      () => undefined,
    );
    const entry = this.young(accountSid);
    if (entry && (stored === undefined || entry.version === stored)) return entry;
    return await this.load(accountSid, stored ?? '');
  }

  /**
   * The cached policy without asking Redis (a script that decides with it compares its version);
   * read again, as by {@link checked}, once it is too old or a safe-list entry in it expired.
   */
  async cached(accountSid: string): Promise<VersionedPolicy> {
    return this.young(accountSid) ?? (await this.checked(accountSid));
  }

  /** Reads the policy again after a script found `version` stored instead of the cached one. */
  async reload(accountSid: string, version: string): Promise<VersionedPolicy> {
    return await this.load(accountSid, version);
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

  /** The cached entry, unless it is older than MAX_AGE_MS (or from the future) or part of it expired. */
  private young(accountSid: string): CacheEntry | undefined {
    const entry = this.cache.get(accountSid);
    const now = this.clock.now().getTime();
    if (!entry || now < entry.loadedAt || now - entry.loadedAt > MAX_AGE_MS || now >= entry.policy.expiresAtMs)
      return undefined;
    return entry;
  }

  /** Reads the settings from Postgres; `version` must have been read before, so a change after it is seen. */
  private async load(accountSid: string, version: string): Promise<CacheEntry> {
    const now = this.clock.now();
    const [settings, geo, safe] = await Promise.all([
      this.repository.settings(accountSid),
      this.repository.geoPermissions(accountSid),
      this.repository.safeList(accountSid, now),
    ]);
    const policy: FraudPolicy = {
      mode: settings?.mode ?? this.config.fraud.defaultMode,
      level: settings?.level ?? this.config.fraud.defaultLevel,
      allowBypass: settings?.allowBypass ?? false,
      updatedAt: settings?.updatedAt ?? null,
      geo: new Map(geo.map((g) => [g.countryCode, g])),
      safeNumbers: new Set(safe.filter((e) => e.kind === 'number').map((e) => e.value)),
      safePrefixes: safe.filter((e) => e.kind === 'prefix').map((e) => e.value),
      expiresAtMs: firstExpiry(safe),
    };
    const entry = { policy, version, loadedAt: now.getTime() };
    this.cache.delete(accountSid);
    if (this.cache.size >= MAX_ACCOUNTS) this.cache.delete(this.cache.keys().next().value as string);
    this.cache.set(accountSid, entry);
    return entry;
  }
}

function firstExpiry(entries: SafeListRow[]): number {
  return entries.reduce((min, e) => (e.expiresAt ? Math.min(min, e.expiresAt.getTime()) : min), Infinity);
}
