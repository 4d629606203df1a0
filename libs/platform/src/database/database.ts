import { Logger, type Provider } from '@nestjs/common';
import { createHash } from 'node:crypto';
import { Client } from 'pg';
import { DataSource, type MixedList, type EntitySchema } from 'typeorm';
import { APP_CONFIG, type AppConfig } from '../config/app-config';
import { ReadinessRegistry } from '../health/readiness.registry';

export interface ServiceDatabaseOptions {
  /** The Postgres schema (table space) the service owns; no other service reads it. */
  schema: string;
  // eslint-disable-next-line @typescript-eslint/no-unsafe-function-type
  entities: MixedList<Function | string | EntitySchema>;
  // eslint-disable-next-line @typescript-eslint/no-unsafe-function-type
  migrations: MixedList<Function | string>;
}

export function createServiceDataSource(url: string, poolSize: number, options: ServiceDatabaseOptions): DataSource {
  return new DataSource({
    type: 'postgres',
    url,
    schema: options.schema,
    entities: options.entities,
    migrations: options.migrations,
    migrationsTableName: 'migrations',
    migrationsTransactionMode: 'each',
    synchronize: false,
    logging: false,
    extra: {
      max: poolSize,
      // Fail fast while Postgres is unreachable, so the API answers 503 instead of hanging.
      connectionTimeoutMillis: 2000,
      idleTimeoutMillis: 30_000,
    },
  });
}

/**
 * Brings the service's schema up to date. An advisory lock keyed on the schema name makes
 * replicas that start together run the migrations one after the other.
 */
/** Needs a pool of at least two connections: one holds the lock while the other migrates. */
export async function migrate(dataSource: DataSource, schema: string): Promise<void> {
  const lockKey = createHash('sha256').update(`smart2fa:migrate:${schema}`).digest().readBigInt64BE(0).toString();
  const runner = dataSource.createQueryRunner();
  await runner.connect();
  try {
    await runner.query('SELECT pg_advisory_lock($1)', [lockKey]);
    await runner.query(`CREATE SCHEMA IF NOT EXISTS "${schema}"`);
    await dataSource.runMigrations({ transaction: 'each' });
  } finally {
    await runner.query('SELECT pg_advisory_unlock($1)', [lockKey]).catch(() => undefined);
    await runner.release();
  }
}

/**
 * Creates the database named in the URL if it does not exist yet, so that a fresh machine
 * starts with `npm start` alone. Without the right to create databases it leaves it to the
 * connection attempt to report what is missing.
 */
export async function ensureDatabase(url: string): Promise<void> {
  const name = decodeURIComponent(new URL(url).pathname.slice(1));
  if (!name) return;
  const maintenance = new URL(url);
  maintenance.pathname = '/postgres';
  const client = new Client({ connectionString: maintenance.toString(), connectionTimeoutMillis: 5000 });
  try {
    await client.connect();
    const found = await client.query('SELECT 1 FROM pg_database WHERE datname = $1', [name]);
    if (!found.rowCount) await client.query(`CREATE DATABASE "${name.replace(/"/g, '""')}"`);
  } catch (error) {
    // 42P04 / 23505: created meanwhile by another service of this process or another process.
    // Anything else: let the real connection say what is wrong.
    if (!['42P04', '23505'].includes((error as { code?: string }).code ?? ''))
      new Logger('Database').warn(`could not ensure database ${name}: ${(error as Error).message}`);
  } finally {
    await client.end().catch(() => undefined);
  }
}

/**
 * A provider of the service's own DataSource under `token`: connected, migrated and watched
 * by the readiness probe before the service serves.
 */
export function serviceDataSourceProvider(token: string | symbol, options: ServiceDatabaseOptions): Provider {
  return {
    provide: token,
    inject: [APP_CONFIG, ReadinessRegistry],
    useFactory: async (config: AppConfig, readiness: ReadinessRegistry) => {
      await ensureDatabase(config.database.url);
      const dataSource = createServiceDataSource(config.database.url, config.database.poolSize, options);
      await dataSource.initialize();
      await migrate(dataSource, options.schema);
      new Logger('Database').log(`schema ${options.schema} migrated`);
      readiness.register(`postgres:${options.schema}`, () => dataSource.query('SELECT 1'));
      return dataSource;
    },
  };
}
