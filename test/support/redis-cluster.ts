import { type ChildProcess, execFile, spawn } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { Redis } from 'ioredis';
import { eventually } from './eventually';

const run = promisify(execFile);
const NODES = 3;

/**
 * A real three-node Redis Cluster on loopback ports, made of `redis-server --cluster-enabled`
 * processes and joined with `redis-cli --cluster create`: keys spread over three masters, so a
 * script that touched two slots would fail with CROSSSLOT as it would in production.
 */
export class RedisCluster {
  private readonly processes: ChildProcess[] = [];
  private dir = '';
  readonly ports: number[] = [];

  /** `redis://` seed URLs, comma-separated, as REDIS_URL takes them with REDIS_CLUSTER=true. */
  get url(): string {
    return this.ports.map((p) => `redis://127.0.0.1:${p}`).join(',');
  }

  async start(): Promise<this> {
    for (const binary of ['redis-server', 'redis-cli']) {
      await run(binary, ['--version']).catch(() => {
        throw new Error(
          `${binary} not found: the Redis Cluster tests start a local cluster; install the redis-server package (apt-get install redis-server)`,
        );
      });
    }
    this.dir = await mkdtemp(join(tmpdir(), 'smart2fa-redis-cluster-'));
    while (this.ports.length < NODES) this.ports.push(await freeClusterPort(this.ports));
    for (const port of this.ports) {
      const child = spawn(
        'redis-server',
        [
          '--port',
          String(port),
          '--bind',
          '127.0.0.1',
          '--cluster-enabled',
          'yes',
          '--cluster-config-file',
          join(this.dir, `nodes-${port}.conf`),
          '--dir',
          this.dir,
          '--save',
          '',
          '--appendonly',
          'no',
          '--daemonize',
          'no',
          '--loglevel',
          'warning',
        ],
        { stdio: 'ignore' },
      );
      this.processes.push(child);
    }
    await eventually(async () => {
      for (const port of this.ports) await ping(port);
    });
    await run('redis-cli', [
      '--cluster',
      'create',
      ...this.ports.map((p) => `127.0.0.1:${p}`),
      '--cluster-replicas',
      '0',
      '--cluster-yes',
    ]);
    await eventually(async () => {
      for (const port of this.ports) {
        const { stdout } = await run('redis-cli', ['-p', String(port), 'cluster', 'info']);
        if (!stdout.includes('cluster_state:ok')) throw new Error(`cluster not ready on ${port}`);
      }
    });
    return this;
  }

  async stop(): Promise<void> {
    for (const child of this.processes) child.kill('SIGKILL');
    if (this.dir) await rm(this.dir, { recursive: true, force: true });
  }
}

async function ping(port: number): Promise<void> {
  const redis = new Redis({
    port,
    host: '127.0.0.1',
    lazyConnect: true,
    maxRetriesPerRequest: 0,
    retryStrategy: () => null,
  });
  try {
    await redis.connect();
    await redis.ping();
  } finally {
    redis.disconnect();
  }
}

/** A free port whose cluster bus port (port + 10000) is free too. */
async function freeClusterPort(taken: number[]): Promise<number> {
  for (;;) {
    const port = 20_000 + Math.floor(Math.random() * 20_000);
    if (taken.includes(port)) continue;
    if ((await portFree(port)) && (await portFree(port + 10_000))) return port;
  }
}

function portFree(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const server = createServer();
    server.once('error', () => resolve(false));
    server.listen(port, '127.0.0.1', () => server.close(() => resolve(true)));
  });
}
