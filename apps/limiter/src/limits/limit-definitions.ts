import { Inject, Injectable } from '@nestjs/common';
import { DomainError, ErrorCode } from '@app/contracts';
import { Clock, REDIS, type RedisClient } from '@app/platform';
import type { LimitEntity } from './limit.entity';
import { LimitsRepository } from './limits.repository';

/** A cached entry is re-read at the latest after this long, even without a version change. */
const MAX_AGE_MS = 30_000;
const MAX_ACCOUNTS = 10_000;

interface CacheEntry {
  version: string;
  loadedAt: number;
  /** Name → limit, or null for a name known not to exist. */
  byName: Map<string, LimitEntity | null>;
}

/**
 * Limit definitions as sends see them: read from Postgres, cached per account in this
 * replica, and re-read as soon as any replica changed one. Every change bumps a per-account
 * version in Redis; every lookup reads that version (one GET on the way to the counters, which
 * need Redis anyway) and drops a cache entry of another version. So an update or delete takes
 * effect on the very next send on every replica, with no broadcast that could be missed.
 */
@Injectable()
export class LimitDefinitions {
  private readonly cache = new Map<string, CacheEntry>();

  constructor(
    private readonly repository: LimitsRepository,
    @Inject(REDIS) private readonly redis: RedisClient,
    private readonly clock: Clock,
  ) {}

  /** The account's limits of these names, in order; 495 for the first unknown name. */
  async resolve(accountSid: string, names: string[]): Promise<LimitEntity[]> {
    const version = (await this.redis.get(versionKey(accountSid))) ?? '0';
    const now = this.clock.now().getTime();
    let entry = this.cache.get(accountSid);
    if (!entry || entry.version !== version || now - entry.loadedAt > MAX_AGE_MS || now < entry.loadedAt) {
      entry = { version, loadedAt: now, byName: new Map() };
      if (this.cache.size >= MAX_ACCOUNTS) this.cache.delete(this.cache.keys().next().value as string);
      this.cache.set(accountSid, entry);
    }
    const missing = [...new Set(names.filter((n) => !entry.byName.has(n)))];
    if (missing.length) {
      const rows = await this.repository.findByNames(accountSid, missing);
      for (const name of missing) entry.byName.set(name, rows.find((r) => r.name === name) ?? null);
    }
    return names.map((name) => {
      const limit = entry.byName.get(name);
      if (!limit) throw new DomainError(ErrorCode.UnknownLimitName, name);
      return limit;
    });
  }

  /**
   * Runs a change of the account's limits. The version is bumped before (so a Redis outage
   * refuses the change with 503 and writes nothing) and again after the commit (so a replica
   * that re-read the old rows in between drops them). Should the second bump fail, replicas
   * serve the old definition for at most MAX_AGE_MS.
   */
  async change<T>(accountSid: string, write: () => Promise<T>): Promise<T> {
    await this.redis.incr(versionKey(accountSid));
    const result = await write();
    this.cache.delete(accountSid);
    await this.redis.incr(versionKey(accountSid)).catch(() => undefined);
    return result;
  }
}

function versionKey(accountSid: string): string {
  return `limits:version:{${accountSid}}`;
}
