import { createConnection } from 'node:net';

/**
 * Where the tests find Postgres, Redis and NATS: from DATABASE_URL, REDIS_URL and NATS_URL
 * when set (CI and the development machines set them), else from containers that
 * global-setup starts with testcontainers. A missing service fails the run with a message
 * saying what to start; no test skips.
 */
export const SERVICE_VARIABLES = ['DATABASE_URL', 'REDIS_URL', 'NATS_URL'] as const;

export const HOW_TO_START: Record<(typeof SERVICE_VARIABLES)[number], string> = {
  DATABASE_URL: 'pg_ctlcluster --skip-systemctl-redirect $(ls /etc/postgresql) main start',
  REDIS_URL: 'redis-server --daemonize yes --port 6379 --save "" --appendonly no',
  NATS_URL:
    'nats-server -js (e.g. start-stop-daemon --start --background --exec /usr/sbin/nats-server -- -a 127.0.0.1 -p 4222 -js)',
};

export function hostPort(url: string, defaultPort: number): { host: string; port: number } {
  const u = new URL(url.split(',')[0]);
  return { host: u.hostname.replace(/^\[|\]$/g, ''), port: Number(u.port || defaultPort) };
}

export function reachable(host: string, port: number, timeoutMs = 2000): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = createConnection({ host, port });
    const done = (ok: boolean) => {
      socket.destroy();
      resolve(ok);
    };
    socket.setTimeout(timeoutMs, () => done(false));
    socket.once('connect', () => done(true));
    socket.once('error', () => done(false));
  });
}

export function serviceUrls(): { databaseUrl: string; redisUrl: string; natsUrl: string } {
  const missing = SERVICE_VARIABLES.filter((v) => !process.env[v]);
  if (missing.length)
    throw new Error(`test services not resolved: ${missing.join(', ')} unset (global-setup should have set them)`);
  return {
    databaseUrl: process.env.DATABASE_URL as string,
    redisUrl: process.env.REDIS_URL as string,
    natsUrl: process.env.NATS_URL as string,
  };
}
