import { Inject, Injectable, Logger, type OnApplicationShutdown, type OnModuleInit } from '@nestjs/common';
import type { FraudReason } from '@app/contracts';
import { APP_CONFIG, type AppConfig, createRedisClient, type RedisClient } from '@app/platform';
import { createHash } from 'node:crypto';
import { FRAUD_DECIDE_LUA, FRAUD_VERIFIED_LUA } from './fraud-decide.lua';
import type { FraudThresholds, ScopeKind } from './fraud-levels';

/** The guard's own Redis connection (FRAUD_REDIS_URL, REDIS_URL by default). */
export const FRAUD_REDIS = Symbol('FRAUD_REDIS');

/** One scope a send counts in: a prefix, its country, its recipient IP. */
export interface FraudScope {
  kind: ScopeKind;
  /** The prefix digits, the country code or the IP: kept in the block, never in a key name. */
  label: string;
}

export type Decided =
  | { counted: true }
  | {
      counted: false;
      reason: FraudReason;
      /** When the block ends (ms); 0 for a refusal without a block (geo permission, number type). */
      untilMs: number;
      /** The scope blocked, when a block decided. */
      scope?: FraudScope;
      blockId?: string;
      counters: Record<string, number>;
    };

export interface StoredBlock {
  id: string;
  kind: ScopeKind;
  label: string;
  reason: FraudReason;
  untilMs: number;
  createdMs: number;
  level: number;
  counters: Record<string, number>;
}

/**
 * The account's settings changed since the policy the caller decided with was read (its version
 * differs from the stored one): the script counted nothing. `version` is the stored one, read
 * before the caller re-reads the settings, so a change after that re-read is seen next time.
 */
export interface Stale {
  stale: true;
  version: string;
}

/** For {@link FraudStore.decide} and {@link FraudStore.verified}: decide without comparing versions. */
export const ANY_VERSION = '*';

type DecideReply = [1] | [0, string, number, number, string, string] | [2, string];

interface WithScripts {
  fraudDecide(...args: (string | number)[]): Promise<DecideReply>;
  fraudVerified(...args: (string | number)[]): Promise<[1] | [2, string]>;
}

/** Scopes with a conversion rule also count verifies per time bucket. */
function hasConversion(t: FraudThresholds, kind: ScopeKind): boolean {
  return t.scopes[kind].conversionMin > 0;
}

/**
 * The guard's counters and blocks in Redis: one atomic script per decision and per verified
 * send, which first compares the version of the account's settings the caller decided with
 * (`version`: '' when none is stored) with the stored one and, if it differs, answers
 * {@link Stale} having counted nothing, so a change on any replica needs no read of its own per
 * send. Every key of an account carries the account as its {hash tag} (one Cluster slot),
 * the version key included; scopes are named by a digest, so no number, prefix or IP is part
 * of a key.
 */
@Injectable()
export class FraudStore implements OnModuleInit {
  constructor(@Inject(FRAUD_REDIS) private readonly redis: RedisClient) {}

  onModuleInit(): void {
    if (!('fraudDecide' in this.redis)) {
      this.redis.defineCommand('fraudDecide', { lua: FRAUD_DECIDE_LUA });
      this.redis.defineCommand('fraudVerified', { lua: FRAUD_VERIFIED_LUA });
    }
  }

  async decide(
    accountSid: string,
    scopes: readonly FraudScope[],
    staticReason: FraudReason | undefined,
    t: FraudThresholds,
    nowMs: number,
    version: string,
  ): Promise<Decided | Stale> {
    const hexes = scopes.map(scopeHex);
    const keys = [
      indexKey(accountSid),
      ...hexes.flatMap((hex) => [`fraud:{${accountSid}}:st:${hex}`, `fraud:{${accountSid}}:bl:${hex}`]),
      versionKey(accountSid),
    ];
    const args = [
      nowMs,
      staticReason ?? '',
      t.tauUMs,
      t.tauVMs,
      t.bucketMs,
      t.windowBuckets,
      t.resolveBuckets,
      t.memoryMs,
      t.durationsMs.join(','),
      t.probationMin,
      t.prefixTripsBlockCountry,
      version,
      ...scopes.flatMap((s, i) => {
        const r = t.scopes[s.kind];
        return [
          s.kind,
          s.label,
          `FB${hexes[i]}`,
          r.floor,
          r.share,
          r.velocityReason,
          r.conversionMin,
          r.conversionBelow,
        ];
      }),
    ];
    const reply = await (this.redis as unknown as WithScripts).fraudDecide(keys.length, ...keys, ...args);
    if (reply[0] === 1) return { counted: true };
    if (reply[0] === 2) return { stale: true, version: reply[1] };
    const [, reason, untilMs, scopeIndex, blockId, counters] = reply;
    return {
      counted: false,
      reason: reason as FraudReason,
      untilMs: Number(untilMs),
      scope: scopeIndex > 0 ? scopes[scopeIndex - 1] : undefined,
      blockId: blockId || undefined,
      counters: parseCounters(counters),
    };
  }

  async verified(
    accountSid: string,
    scopes: readonly FraudScope[],
    createdMs: number,
    t: FraudThresholds,
    nowMs: number,
    version: string,
  ): Promise<Stale | undefined> {
    const keys = [...scopes.map((s) => stateKey(accountSid, s)), versionKey(accountSid)];
    const reply = await (this.redis as unknown as WithScripts).fraudVerified(
      keys.length,
      ...keys,
      nowMs,
      createdMs,
      t.tauUMs,
      t.tauVMs,
      t.bucketMs,
      t.windowBuckets,
      scopes.map((s) => (hasConversion(t, s.kind) ? '1' : '0')).join(','),
      version,
    );
    return reply[0] === 2 ? { stale: true, version: reply[1] } : undefined;
  }

  /** The account's active blocks, soonest end first. */
  async blocks(accountSid: string, nowMs: number): Promise<StoredBlock[]> {
    const ids = await this.redis.zrangebyscore(indexKey(accountSid), `(${nowMs}`, '+inf');
    const blocks = await Promise.all(ids.map((id) => this.block(accountSid, id)));
    return blocks.filter((b): b is StoredBlock => b !== undefined && b.untilMs > nowMs);
  }

  async block(accountSid: string, id: string): Promise<StoredBlock | undefined> {
    const h = await this.redis.hgetall(blockKeyOfId(accountSid, id));
    if (!h.id) return undefined;
    return {
      id: h.id,
      kind: h.kind as ScopeKind,
      label: h.label,
      reason: h.reason as FraudReason,
      untilMs: Number(h.until),
      createdMs: Number(h.created),
      level: Number(h.level),
      counters: parseCounters(h.counters),
    };
  }

  /**
   * Lifts a block at once. The scope's counters go with it (an operator vouched for it): the
   * pressure that tripped it, its escalation and its probation would otherwise trip it again.
   */
  async unblock(accountSid: string, id: string): Promise<StoredBlock | undefined> {
    const block = await this.block(accountSid, id);
    if (!block) return undefined;
    await this.redis
      .multi()
      .del(blockKeyOfId(accountSid, id))
      .del(`fraud:{${accountSid}}:st:${id.slice(2)}`)
      .zrem(indexKey(accountSid), id)
      .exec();
    return block;
  }
}

function parseCounters(json: string | undefined): Record<string, number> {
  try {
    const value = JSON.parse(json || '{}') as unknown;
    // cjson encodes an empty table as {}; anything else is what the script wrote.
    return value && typeof value === 'object' && !Array.isArray(value) ? (value as Record<string, number>) : {};
  } catch {
    return {};
  }
}

function scopeHex(s: FraudScope): string {
  return createHash('sha256').update(`${s.kind}:${s.label}`).digest('hex').slice(0, 32);
}

export function blockIdOf(s: FraudScope): string {
  return `FB${scopeHex(s)}`;
}

function indexKey(accountSid: string): string {
  return `fraud:{${accountSid}}:blocks`;
}

function stateKey(accountSid: string, s: FraudScope): string {
  return `fraud:{${accountSid}}:st:${scopeHex(s)}`;
}

function blockKeyOfId(accountSid: string, id: string): string {
  return `fraud:{${accountSid}}:bl:${id.slice(2)}`;
}

/** The account's settings version: every change increments it (FraudPolicies). */
export function versionKey(accountSid: string): string {
  return `fraud:{${accountSid}}:version`;
}

/** Closes the guard's own connection on shutdown. */
@Injectable()
export class FraudRedisLifecycle implements OnApplicationShutdown {
  constructor(@Inject(FRAUD_REDIS) private readonly redis: RedisClient) {}
  async onApplicationShutdown(): Promise<void> {
    await this.redis.quit().catch(() => this.redis.disconnect());
  }
}

/**
 * The guard's connection: fails fast like the limiter's (no offline queue, a command timeout),
 * but a failure only makes the guard fail open. Not part of readiness, and the service starts
 * while it is unreachable (ioredis keeps reconnecting).
 */
export const fraudRedisProvider = {
  provide: FRAUD_REDIS,
  inject: [APP_CONFIG],
  useFactory: (config: AppConfig): RedisClient => {
    const logger = new Logger('FraudRedis');
    const redis = createRedisClient(config.fraud.redis, { commandTimeout: config.fraud.redisTimeoutMs });
    let down = false;
    redis.on('error', (error: Error) => {
      if (!down) logger.warn(`fraud guard store unavailable (the guard fails open): ${error.message}`);
      down = true;
    });
    redis.on('ready', () => {
      if (down) logger.log('fraud guard store reachable again');
      down = false;
    });
    redis.connect().catch(() => undefined);
    return redis;
  },
};
