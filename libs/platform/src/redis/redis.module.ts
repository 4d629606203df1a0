import { Global, Inject, Injectable, Logger, Module, type OnApplicationShutdown } from '@nestjs/common';
import { Cluster, Redis, type RedisOptions } from 'ioredis';
import { APP_CONFIG, type AppConfig } from '../config/app-config';
import { ReadinessRegistry } from '../health/readiness.registry';

export const REDIS = Symbol('REDIS');

/** What REDIS provides: one server, or a Redis Cluster (`REDIS_CLUSTER=true`). */
export type RedisClient = Redis | Cluster;

@Injectable()
class RedisLifecycle implements OnApplicationShutdown {
  constructor(@Inject(REDIS) private readonly redis: RedisClient) {}
  async onApplicationShutdown(): Promise<void> {
    await this.redis.quit().catch(() => this.redis.disconnect());
  }
}

/**
 * Fail fast while Redis is unreachable (no offline queue, no retry: a command in flight when
 * the connection drops fails at once instead of waiting for a reconnection that would outlast
 * the caller's command time-out — a 457 where a 503 is the truth), so callers answer 503
 * instead of hanging; ioredis keeps reconnecting in the background. No auto-pipelining: it
 * broke the limits on a cluster (test/limiter).
 */
const FAIL_FAST: RedisOptions = {
  enableOfflineQueue: false,
  maxRetriesPerRequest: 0,
  connectTimeout: 2000,
  retryStrategy: (times) => Math.min(times * 200, 2000),
  lazyConnect: true,
};

/** One server, or a cluster found through its seed nodes; keys carry `{hash tags}` for the latter. */
export function createRedisClient(config: AppConfig['redis'], extra: RedisOptions = {}): RedisClient {
  const keyPrefix = config.prefix || undefined;
  if (!config.cluster) return new Redis(config.urls[0], { ...FAIL_FAST, ...extra, keyPrefix });
  const first = new URL(config.urls[0]);
  return new Cluster(
    config.urls.map((u) => {
      const node = new URL(u);
      return { host: node.hostname, port: Number(node.port || 6379) };
    }),
    {
      keyPrefix,
      enableOfflineQueue: false,
      lazyConnect: true,
      clusterRetryStrategy: (times) => Math.min(times * 200, 2000),
      redisOptions: {
        ...FAIL_FAST,
        ...extra,
        username: decodeURIComponent(first.username) || undefined,
        password: decodeURIComponent(first.password) || undefined,
        tls: first.protocol === 'rediss:' ? {} : undefined,
      },
    },
  );
}

/**
 * One Redis connection per process. Commands fail at once while Redis is unreachable (no
 * offline queue, no retry), so callers answer 503 instead of hanging; ioredis keeps
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
        const redis = createRedisClient(config.redis);
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
