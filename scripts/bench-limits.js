'use strict';
/**
 * `npm run bench:limits`: how fast the limiter answers `limiter.v1.consume`, the call made
 * before every send (and every verify that names limits). Starts the real limiter service in
 * this process against a scratch database and a scratch Redis key prefix, defines two limits
 * of two buckets each, and times, over NATS:
 *   - the default limit (one bucket keyed on the destination),
 *   - a send naming both limits (two Lua calls, four buckets),
 *   - the default limit with the fraud guard deciding (an sms send, in monitor mode so that
 *     nothing is refused), measured in blocks alternating with the default limit alone, so that
 *     the difference is what the guard adds to a send, whatever the machine is doing,
 * first one request at a time (latency p50/p99), then BENCH_CONCURRENCY in flight
 * (throughput). Every key is distinct, so no request is refused; what is measured is the
 * cost of checking and counting, not of refusing.
 *
 * Needs Postgres, Redis and NATS as for the tests (DATABASE_URL, REDIS_URL, NATS_URL).
 */
const path = require('node:path');
const { randomBytes } = require('node:crypto');
const { ROOT, buildIfNeeded } = require('./build-if-needed');
const { deleteStreams, scratchDatabase } = require('./bench-support');

const N = Number(process.env.BENCH_N ?? 2000);
const CONCURRENCY = Number(process.env.BENCH_CONCURRENCY ?? 64);
const SCRATCH = 'smart2fa_bench_limits';
const ACCOUNT = `AC${randomBytes(16).toString('hex')}`;

const dist = (p) => path.join(ROOT, 'dist', p);

async function main() {
  buildIfNeeded([dist('apps/limiter/src/main.js')]);
  require('reflect-metadata');
  const { connect, JSONCodec } = require('nats');
  const Redis = require('ioredis');
  const platform = require(dist('libs/platform/src/index.js'));
  const { limiterService } = require(dist('apps/limiter/src/limiter.definition.js'));

  const scratch = scratchDatabase(SCRATCH);
  await scratch.recreate();

  const prefix = `bench${process.pid}`;
  const env = {
    ...process.env,
    DATABASE_URL: scratch.url,
    NATS_PREFIX: prefix,
    REDIS_PREFIX: `${prefix}:`,
    LOG_LEVEL: 'warn',
    DEFAULT_LIMIT_MAX: String(N * 10),
    FRAUD_GUARD: 'true',
    FRAUD_DEFAULT_MODE: 'monitor',
  };
  const app = await platform.startService(limiterService, {
    config: platform.loadConfig(env),
    port: 0,
    logStream: { write: () => true },
  });
  const nc = await connect({ servers: env.NATS_URL ?? 'nats://127.0.0.1:4222' });
  const codec = JSONCodec();
  const call = async (subject, payload) => {
    const reply = codec.decode(
      (await nc.request(`${prefix}.${subject}`, codec.encode(payload), { timeout: 10_000 })).data,
    );
    if (reply.code !== 200) throw new Error(`${subject}: ${JSON.stringify(reply)}`);
    return reply;
  };
  try {
    for (const name of ['per-user', 'per-ip']) {
      await call('limiter.v1.create', {
        accountSid: ACCOUNT,
        name,
        buckets: [
          { name: 'short', max: N * 10, interval: 300 },
          { name: 'daily', max: N * 100, interval: 86_400 },
        ],
      });
    }
    let seq = 0;
    // Valid US numbers spread over many prefixes, as real traffic is (the guard parses them).
    const usNumber = () => `+1${[415, 212, 312, 617, 206][seq % 5]}${String(2000000 + ((seq * 7919) % 7999999))}`;
    const timed = async (payload) => {
      const t0 = performance.now();
      await call('limiter.v1.consume', payload());
      return performance.now() - t0;
    };
    const pctOf = (latencies, p) => {
      const sorted = [...latencies].sort((a, b) => a - b);
      return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))];
    };
    {
      const plain = () => ({ accountSid: ACCOUNT, destination: usNumber() + String(seq++ % 10) });
      const guarded = () => ({
        ...plain(),
        fraud: { channel: 'sms', recipientIp: `10.0.${seq % 250}.${seq++ % 250}` },
      });
      for (let i = 0; i < 200; i++) await call('limiter.v1.consume', guarded()); // warm-up
      const without = [];
      const withGuard = [];
      for (let block = 0; block < 10; block++) {
        for (let i = 0; i < N / 10; i++) without.push(await timed(plain));
        for (let i = 0; i < N / 10; i++) withGuard.push(await timed(guarded));
      }
      const f = (x) => x.toFixed(2);
      console.log(`the fraud guard on an sms send (monitor mode), ${N} each, alternating blocks of ${N / 10}`);
      console.log(
        `${'default limit alone'.padEnd(30)} p50 ${f(pctOf(without, 50))} ms  p99 ${f(pctOf(without, 99))} ms`,
      );
      console.log(
        `${'default limit + fraud guard'.padEnd(30)} p50 ${f(pctOf(withGuard, 50))} ms  p99 ${f(pctOf(withGuard, 99))} ms`,
      );
      console.log(
        `${'the guard adds'.padEnd(30)} p50 ${f(pctOf(withGuard, 50) - pctOf(without, 50))} ms  p99 ${f(pctOf(withGuard, 99) - pctOf(without, 99))} ms\n`,
      );
    }
    const scenarios = {
      'default limit (1 bucket)': () => ({
        accountSid: ACCOUNT,
        destination: `+1415555${String(seq++).padStart(4, '0')}-${seq}`,
      }),
      'two named limits (4 buckets)': () => ({
        accountSid: ACCOUNT,
        destination: 'x',
        limits: { 'per-user': `user-${seq++}`, 'per-ip': `ip-${seq}` },
      }),
    };
    console.log(`limiter.v1.consume over NATS, N=${N} per scenario, ${CONCURRENCY} in flight for throughput`);
    for (const [label, payload] of Object.entries(scenarios)) {
      for (let i = 0; i < 200; i++) await call('limiter.v1.consume', payload()); // warm-up
      const latencies = [];
      for (let i = 0; i < N; i++) latencies.push(await timed(payload));
      const t0 = performance.now();
      let next = 0;
      await Promise.all(
        Array.from({ length: CONCURRENCY }, async () => {
          while (next++ < N) await call('limiter.v1.consume', payload());
        }),
      );
      const perSecond = N / ((performance.now() - t0) / 1000);
      const pct = (p) => pctOf(latencies, p).toFixed(2);
      console.log(`${label.padEnd(30)} p50 ${pct(50)} ms  p99 ${pct(99)} ms  ${Math.round(perSecond)} consumes/s`);
    }
    const rss = process.memoryUsage().rss / 1024 / 1024;
    console.log(`process RSS after the run: ${rss.toFixed(0)} MiB (limiter service and this client together)`);
  } finally {
    await app.close();
    await deleteStreams(nc, prefix);
    await nc.close();
    const redis = new Redis(process.env.REDIS_URL ?? 'redis://127.0.0.1:6379');
    let cursor = '0';
    do {
      const [nextCursor, keys] = await redis.scan(cursor, 'MATCH', `${prefix}:*`, 'COUNT', 1000);
      cursor = nextCursor;
      if (keys.length) await redis.del(...keys);
    } while (cursor !== '0');
    redis.disconnect();
    await scratch.drop();
  }
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});
