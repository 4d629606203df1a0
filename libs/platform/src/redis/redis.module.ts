import { Global, Inject, Injectable, Logger, Module, type OnApplicationShutdown } from '@nestjs/common';
import { Redis } from 'ioredis';
import { APP_CONFIG, type AppConfig } from '../config/app-config';
import { ReadinessRegistry } from '../health/readiness.registry';

export const REDIS = Symbol('REDIS');

@Injectable()
class RedisLifecycle implements OnApplicationShutdown {
  constructor(@Inject(REDIS) private readonly redis: Redis) {}
  async onApplicationShutdown(): Promise<void> {
    await this.redis.quit().catch(() => this.redis.disconnect());
  }
}

/**
 * One Redis connection per process. Commands fail at once while Redis is unreachable (no
 * offline queue, one try), so callers answer 503 instead of hanging; ioredis keeps
 * reconnecting in the background, so service resumes without a restart.
 */
@Global()
@Module({
  providers: [
    {
      provide: REDIS,
      inject: [APP_CONFIG, ReadinessRegistry],
      useFactory: async (config: AppConfig, readiness: ReadinessRegistry) => {
        const logger = new Logger('Redis');
        const redis = new Redis(config.redis.url, {
          keyPrefix: config.redis.prefix || undefined,
          enableOfflineQueue: false,
          maxRetriesPerRequest: 1,
          connectTimeout: 2000,
          retryStrategy: (times) => Math.min(times * 200, 2000),
          lazyConnect: true,
        });
        let down = false;
        redis.on('error', (error) => {
          if (!down) logger.warn(`Redis unavailable: ${error.message}`);
          down = true;
        });
        redis.on('ready', () => {
          if (down) logger.log('Redis reachable again');
          down = false;
        });
        await redis.connect();
        readiness.register('redis', () => redis.ping());
        return redis;
      },
    },
    RedisLifecycle,
  ],
  exports: [REDIS],
})
export class RedisModule {}
