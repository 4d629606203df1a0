import { Inject, Injectable, type OnModuleInit } from '@nestjs/common';
import { type ConsumeLimitsCommand, type ConsumeLimitsReply, DomainError } from '@app/contracts';
import { APP_CONFIG, type AppConfig, REDIS } from '@app/platform';
import type { Redis } from 'ioredis';
import { createHash } from 'node:crypto';
import { CONSUME_WINDOW_LUA } from './lua/consume-window.lua';

type WindowResult = [allowed: 0 | 1, count: number, ttlMs: number];

interface RedisWithScripts extends Redis {
  consumeWindow(key: string, max: number, windowMs: number): Promise<WindowResult>;
}

/**
 * Counts operations against limits in Redis. Named limits (ordered buckets) come with their
 * definitions in a later issue; today every account has only the default limit.
 */
@Injectable()
export class LimiterService implements OnModuleInit {
  constructor(
    @Inject(REDIS) private readonly redis: Redis,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {}

  onModuleInit(): void {
    if (!('consumeWindow' in this.redis)) {
      this.redis.defineCommand('consumeWindow', { numberOfKeys: 1, lua: CONSUME_WINDOW_LUA });
    }
  }

  async consume(command: ConsumeLimitsCommand): Promise<ConsumeLimitsReply> {
    if (command.limits?.length) {
      // No limit definitions exist yet, so any named limit is unknown: refuse before counting.
      throw new DomainError(495, command.limits[0].name);
    }
    return this.consumeDefault(command.accountSid, command.destination);
  }

  /** The default limit: `max` per `interval` per account and destination (453). */
  private async consumeDefault(accountSid: string, destination: string): Promise<ConsumeLimitsReply> {
    const { max, intervalSeconds } = this.config.defaultLimit;
    // The destination is hashed so that no phone number or address sits in Redis keys.
    const key = `limit:default:{${accountSid}:${sha256(destination)}}`;
    const [allowed, count, ttlMs] = await (this.redis as RedisWithScripts).consumeWindow(key, max, intervalSeconds * 1000);
    const resetIn = Math.max(1, Math.ceil(ttlMs / 1000));
    if (!allowed) throw new DomainError(453, undefined, { retryAfter: resetIn });
    return { code: 200, message: 'OK', remaining: Math.max(0, max - count), resetIn };
  }
}

function sha256(value: string): string {
  return createHash('sha256').update(value).digest('hex').slice(0, 32);
}
