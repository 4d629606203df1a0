import { HOW_TO_START, hostPort, reachable, SERVICE_VARIABLES } from './services';

const DEFAULT_PORTS = { DATABASE_URL: 5432, REDIS_URL: 6379, NATS_URL: 4222 } as const;

type Started = { stop: () => Promise<unknown> };
const started: Started[] = [];

/** Resolves the real services every integration test needs, or fails saying what to start. */
export default async function globalSetup(): Promise<void> {
  const missing = SERVICE_VARIABLES.filter((v) => !process.env[v]);
  if (missing.length === SERVICE_VARIABLES.length) {
    await startContainers().catch(async (error: Error) => {
      // No container runtime: services on their standard local ports will do, if they run.
      if (!(await useLocalDefaults())) throw error;
    });
  } else if (missing.length) {
    throw new Error(
      `Set all of ${SERVICE_VARIABLES.join(', ')} or none (then testcontainers starts them); missing: ${missing.join(', ')}`,
    );
  }
  const down: string[] = [];
  for (const variable of SERVICE_VARIABLES) {
    const { host, port } = hostPort(process.env[variable] as string, DEFAULT_PORTS[variable]);
    if (!(await reachable(host, port)))
      down.push(`${variable}=${process.env[variable]} is not reachable; start it: ${HOW_TO_START[variable]}`);
  }
  if (down.length) throw new Error(`Integration tests need real services.\n${down.join('\n')}`);
  (globalThis as { __containers?: Started[] }).__containers = started;
}

const LOCAL_DEFAULTS = {
  DATABASE_URL: 'postgres://postgres@127.0.0.1:5432/postgres',
  REDIS_URL: 'redis://127.0.0.1:6379',
  NATS_URL: 'nats://127.0.0.1:4222',
} as const;

async function useLocalDefaults(): Promise<boolean> {
  for (const variable of SERVICE_VARIABLES) {
    const { host, port } = hostPort(LOCAL_DEFAULTS[variable], DEFAULT_PORTS[variable]);
    if (!(await reachable(host, port))) return false;
  }
  Object.assign(process.env, LOCAL_DEFAULTS);
  process.stderr.write(
    'testcontainers found no container runtime; using Postgres, Redis and NATS on their local default ports\n',
  );
  return true;
}

async function startContainers(): Promise<void> {
  let GenericContainer: typeof import('testcontainers').GenericContainer;
  let Wait: typeof import('testcontainers').Wait;
  try {
    ({ GenericContainer, Wait } = await import('testcontainers'));
    const postgres = await new GenericContainer('postgres:16-alpine')
      .withEnvironment({ POSTGRES_HOST_AUTH_METHOD: 'trust' })
      .withExposedPorts(5432)
      .withWaitStrategy(Wait.forLogMessage(/database system is ready to accept connections/, 2))
      .start();
    started.push(postgres);
    const redis = await new GenericContainer('redis:7-alpine').withExposedPorts(6379).start();
    started.push(redis);
    const nats = await new GenericContainer('nats:2.10-alpine').withCommand(['-js']).withExposedPorts(4222).start();
    started.push(nats);
    process.env.DATABASE_URL = `postgres://postgres@${postgres.getHost()}:${postgres.getMappedPort(5432)}/postgres`;
    process.env.REDIS_URL = `redis://${redis.getHost()}:${redis.getMappedPort(6379)}`;
    process.env.NATS_URL = `nats://${nats.getHost()}:${nats.getMappedPort(4222)}`;
  } catch (error) {
    throw new Error(
      `DATABASE_URL, REDIS_URL and NATS_URL are not set and testcontainers could not start containers (${(error as Error).message}).\n` +
        `Either start Docker, or run local services and set the variables, e.g.\n` +
        `  DATABASE_URL=postgres://postgres@127.0.0.1:5432/postgres REDIS_URL=redis://127.0.0.1:6379 NATS_URL=nats://127.0.0.1:4222 npm test\n` +
        Object.values(HOW_TO_START)
          .map((h) => `  ${h}`)
          .join('\n'),
      { cause: error },
    );
  }
}
