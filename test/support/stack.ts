import type { DynamicModule, INestApplication, LoggerService } from '@nestjs/common';
import { Test } from '@nestjs/testing';
import {
  type AppConfig,
  type Clock,
  loadConfig,
  ManualClock,
  type ServiceDefinition,
  startService,
} from '@app/platform';
import { randomBytes } from 'node:crypto';
import { Redis } from 'ioredis';
import { connect, type NatsConnection } from 'nats';
import { serviceUrls } from './services';
import { createTestDatabase } from './test-database';

export interface Stack {
  /** Base URL of the first service's HTTP server (the gateway in the all-in-one). */
  url: string;
  apps: INestApplication[];
  app: INestApplication;
  config: AppConfig;
  clock: ManualClock;
  /** A NATS connection of the test's own, for publishing commands like an internal service. */
  nc: NatsConnection;
  /** The environment the services were started with (to start more of them). */
  env: Record<string, string>;
  /** Starts one more service on the same database, prefix and clock. */
  startService(
    definition: ServiceDefinition,
    env?: Record<string, string>,
    overrides?: ProviderOverride[],
  ): Promise<INestApplication>;
  stop(): Promise<void>;
}

/** A provider replaced in a service started by the test (e.g. a connection through a proxy). */
export interface ProviderOverride {
  token: unknown;
  value: unknown;
}

export interface StackOptions {
  /** Provider overrides applied to every service the stack starts. */
  overrides?: ProviderOverride[];
  /** Services to start in-process; the all-in-one by default. */
  services?: ServiceDefinition[];
  /** Environment overrides on top of the test defaults. */
  env?: Record<string, string>;
  clock?: ManualClock;
  /** Rewrites the services' DATABASE_URL (e.g. through a proxy); the test database is made directly. */
  databaseVia?: (url: string) => string;
  /** Collects the services' log lines instead of printing them. */
  logStream?: { write(line: string): unknown };
}

/**
 * Starts services against the real Postgres, Redis and NATS, isolated from every other test
 * file: own database, own NATS subject prefix (and so own streams), own Redis key prefix.
 */
export async function startStack(options: StackOptions = {}): Promise<Stack> {
  const urls = serviceUrls();
  const database = await createTestDatabase(urls.databaseUrl);
  const id = randomBytes(4).toString('hex');
  const env: Record<string, string> = {
    NODE_ENV: 'test',
    DATABASE_URL: options.databaseVia ? options.databaseVia(database.url) : database.url,
    REDIS_URL: urls.redisUrl,
    NATS_URL: urls.natsUrl,
    NATS_PREFIX: `t${id}`,
    REDIS_PREFIX: `t${id}:`,
    OTP_SECRET: randomBytes(32).toString('hex'),
    DEV_OUTBOX: 'true',
    LOG_LEVEL: process.env.TEST_LOG_LEVEL ?? 'silent',
    DATABASE_POOL_SIZE: '4',
    // Generous: on a busy machine a send may take seconds, and a time-out is an answer (457) the
    // tests do not expect; the tests of time-outs set their own.
    NATS_REQUEST_TIMEOUT_MS: '15000',
    // Tests send many codes to few prefixes without verifying them: the fraud guard would refuse
    // them. Its own tests (test/fraud) switch it on.
    FRAUD_GUARD: 'false',
    ...options.env,
  };
  const clock = options.clock ?? new ManualClock(new Date());
  const apps: INestApplication[] = [];
  const start = async (
    definition: ServiceDefinition,
    extra: Record<string, string> = {},
    overrides = options.overrides ?? [],
  ) => {
    const createApp = overrides.length
      ? async (rootModule: DynamicModule, logger: LoggerService) => {
          let builder = Test.createTestingModule({ imports: [rootModule] });
          for (const o of overrides) builder = builder.overrideProvider(o.token).useValue(o.value);
          const moduleRef = await builder.setLogger(logger).compile();
          return moduleRef.createNestApplication({ logger, bodyParser: false, abortOnError: false });
        }
      : undefined;
    const app = await startService(definition, {
      config: loadConfig({ ...env, ...extra }),
      clock: clock as Clock,
      port: 0,
      createApp,
      logStream: options.logStream,
    });
    apps.push(app);
    return app;
  };
  const nc = await connect({ servers: urls.natsUrl });
  try {
    // Loaded only when asked for, so a test of one app does not load the others.
    const services = options.services ?? [
      (await import('../../apps/all-in-one/src/all-in-one.definition')).allInOneService,
    ];
    for (const definition of services) await start(definition);
  } catch (error) {
    await Promise.allSettled(apps.map((a) => a.close()));
    await nc.close();
    await database.drop();
    throw error;
  }
  const app = apps[0];
  const port = (app.getHttpServer().address() as { port: number }).port;
  return {
    url: `http://127.0.0.1:${port}`,
    apps,
    app,
    config: loadConfig(env),
    clock,
    nc,
    env,
    startService: start,
    stop: async () => {
      await Promise.allSettled(apps.map((a) => a.close()));
      await cleanNats(nc, env.NATS_PREFIX);
      await nc.close();
      await cleanRedis(urls.redisUrl, env.REDIS_PREFIX);
      await database.drop();
    },
  };
}

async function cleanNats(nc: NatsConnection, prefix: string): Promise<void> {
  const jsm = await nc.jetstreamManager();
  for await (const stream of jsm.streams.list()) {
    if (stream.config.name.startsWith(`${prefix}_`)) await jsm.streams.delete(stream.config.name);
  }
}

async function cleanRedis(url: string, prefix: string): Promise<void> {
  const redis = new Redis(url);
  try {
    let cursor = '0';
    do {
      const [next, keys] = await redis.scan(cursor, 'MATCH', `${prefix}*`, 'COUNT', 500);
      cursor = next;
      if (keys.length) await redis.del(...keys);
    } while (cursor !== '0');
  } finally {
    redis.disconnect();
  }
}
