import { Inject, Injectable, type OnModuleInit } from '@nestjs/common';
import type { Bucket } from '@app/contracts';
import { Clock, REDIS, type RedisClient } from '@app/platform';
import { createHash } from 'node:crypto';
import { CONSUME_BUCKETS_LUA } from '../lua/consume-buckets.lua';

type ScriptResult = [allowed: 0 | 1, remaining: number, ms: number, max: number];

interface WithScripts {
  consumeBuckets(...args: (string | number)[]): Promise<ScriptResult>;
}

export type Consumed =
  { allowed: true; remaining: number; resetMs: number; max: number } | { allowed: false; waitMs: number; max: number };

/** Counts operations in buckets kept in Redis, one atomic script call per limit. */
@Injectable()
export class BucketCounter implements OnModuleInit {
  constructor(
    @Inject(REDIS) private readonly redis: RedisClient,
    private readonly clock: Clock,
  ) {}

  onModuleInit(): void {
    if (!('consumeBuckets' in this.redis)) this.redis.defineCommand('consumeBuckets', { lua: CONSUME_BUCKETS_LUA });
  }

  /**
   * Counts one operation in every bucket, or in none if one is full. `scope` names the counters
   * (a limit and the key it is applied to); it becomes the keys' hash tag, so one call touches
   * one Redis Cluster slot.
   */
  async consume(scope: string, buckets: readonly Pick<Bucket, 'name' | 'max' | 'interval'>[]): Promise<Consumed> {
    const keys = buckets.map((b) => `limit:{${scope}}:${digest(b.name, 16)}`);
    const args = buckets.flatMap((b) => [b.max, b.interval * 1000]);
    const [allowed, remaining, ms, max] = await (this.redis as unknown as WithScripts).consumeBuckets(
      keys.length,
      ...keys,
      this.clock.now().getTime(),
      ...args,
    );
    return allowed ? { allowed: true, remaining, resetMs: ms, max } : { allowed: false, waitMs: ms, max };
  }
}

/** A short SHA-256 hex digest: keys carry no phone number, IP or limit key in clear. */
export function digest(value: string, length = 32): string {
  return createHash('sha256').update(value).digest('hex').slice(0, length);
}
