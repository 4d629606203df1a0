'use strict';
/**
 * `npm run bench [-- --split | --verify-scale | --floor | --against-floor]`: end-to-end sends and verifies per second of the
 * service, side by side with the minimal reference pipeline (scripts/bench/reference.js), in
 * the same run, with the same load generator (an undici loop), connections and duration, in
 * alternating rounds (SPEC section 10).
 *
 * A send of the service counts only once all the work it causes is done: the dispatch handed
 * to the (log) provider, every event projected into the SDR, every JetStream consumer drained
 * (status callbacks included) and the outbox empty. A round's clock runs from its first
 * request until then, so the projection lag is inside the measurement and zero at its end.
 *
 * Per side it prints answers/s and done/s, p50/p99, non-2xx answers, CPU ms and RSS per
 * process, Postgres statements per operation (counted in each process at `pg.Client#query` by
 * scripts/bench/probe.js: pg_stat_statements is not preloaded on a stock server), NATS
 * messages per operation (the client counters of each process's connections), and the ratios.
 *
 *   --split          each service in its own process (else the all-in-one)
 *   --verify-scale   verify p50/p99 with 10 thousand, 1 million and 10 million stored requests
 *   --floor          instead of the service, the contract's floor (scripts/bench/floor.js): the
 *                    reference plus only the messages a send causes by SPEC section 8
 *   --against-floor  the service against the contract's floor instead of the reference
 *
 * Environment: BENCH_DURATION_S (5), BENCH_CONNECTIONS (16), BENCH_ROUNDS (3),
 * BENCH_KINDS (send,verify: which operations; one alone is handy with BENCH_CPU_PROF),
 * BENCH_SCALE_SIZES (10000,1000000,10000000), BENCH_SCALE_VERIFIES (4000), BENCH_LOG_LEVEL
 * (warn), BENCH_CPU_PROF (a directory for CPU profiles of every process), and DATABASE_URL / REDIS_URL / NATS_URL as for the tests. Everything runs on
 * scratch databases, its own NATS prefixes and Redis key prefixes, removed at the end.
 */
const { fork, execFileSync } = require('node:child_process');
const { createHmac, randomBytes } = require('node:crypto');
const fs = require('node:fs');
const net = require('node:net');
const os = require('node:os');
const path = require('node:path');
const { ROOT, buildIfNeeded } = require('./build-if-needed');
const { deleteStreams, scratchDatabase, withClient } = require('./bench-support');

const SPLIT = process.argv.includes('--split');
const SCALE = process.argv.includes('--verify-scale');
const FLOOR = process.argv.includes('--floor');
const AGAINST_FLOOR = process.argv.includes('--against-floor');
const DURATION_MS = Number(process.env.BENCH_DURATION_S ?? 5) * 1000;
const CONNECTIONS = Number(process.env.BENCH_CONNECTIONS ?? 16);
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 3);
const SCALE_SIZES = (process.env.BENCH_SCALE_SIZES ?? '10000,1000000,10000000').split(',').map(Number);
const SCALE_VERIFIES = Number(process.env.BENCH_SCALE_VERIFIES ?? 4000);
const KINDS = (process.env.BENCH_KINDS ?? 'send,verify').split(',');
const POOL_SIZE = Number(process.env.BENCH_POOL_SIZE ?? 5);
const LOG_LEVEL = process.env.BENCH_LOG_LEVEL ?? 'warn';
const SERVICES = ['gateway', 'otp-core', 'limiter', 'dispatcher-sms', 'dispatcher-voice', 'dispatcher-email', 'sdr'];
const NATS_URL = process.env.NATS_URL ?? 'nats://127.0.0.1:4222';
const REDIS_URL = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';
const SECRET = randomBytes(32).toString('hex');
const PROBE = path.join(__dirname, 'bench/probe.js');
const LOGS = fs.mkdtempSync(path.join(os.tmpdir(), 'smart2fa-bench-'));

const dist = (p) => path.join(ROOT, 'dist', p);
const hashCode = (id, code) => createHmac('sha256', SECRET).update(`${id}\0${code}`).digest('hex');

/** One side of the comparison: its server, a pool of connections to it, what it owes. */
function side(name, table, server, db, auth, outstanding) {
  const pool = new (require('undici').Pool)(server.url, { connections: CONNECTIONS });
  return {
    name,
    table,
    pool,
    processes: server.processes,
    auth,
    db,
    expect: { dispatched: 0, verified: 0 },
    outstanding,
  };
}

async function main() {
  buildIfNeeded([dist('apps/all-in-one/src/main.js'), dist('apps/gateway/src/cli/accounts.cli.js')]);
  const { connect } = require('nats');
  const tag = `${process.pid}`;
  const appDb = scratchDatabase(`smart2fa_bench_${tag}_app`);
  const refDb = scratchDatabase(`smart2fa_bench_${tag}_ref`);
  const appPrefix = `bench${tag}`;
  const refPrefix = `bref${tag}`;
  const nc = await connect({ servers: NATS_URL });
  const children = [];
  const cleanups = [];
  // Ctrl-C: the services and the scratch state go too.
  process.once('SIGINT', () => {
    for (const child of children) child.kill('SIGTERM');
    Promise.allSettled([appDb.drop(), refDb.drop(), deleteStreams(nc, appPrefix), deleteStreams(nc, refPrefix)]).then(
      () => process.exit(130),
    );
  });
  try {
    await appDb.recreate();
    await refDb.recreate();
    let appSide;
    if (FLOOR) {
      appSide = await minimalSide('floor', appDb.url, appPrefix, nc, children);
    } else {
      const app = await startApp(appDb.url, appPrefix, children);
      // One connection of ours that watches the service's work (the outbox, the records).
      const watcher = new (require('pg').Client)({ connectionString: appDb.url });
      await watcher.connect();
      cleanups.push(() => watcher.end());
      const account = JSON.parse(
        execFileSync(
          process.execPath,
          [dist('apps/gateway/src/cli/accounts.cli.js'), 'create', '--email', 'bench@example.com'],
          {
            env: { ...process.env, DATABASE_URL: appDb.url, LOG_LEVEL: 'silent' },
            encoding: 'utf8',
          },
        ).trim(),
      );
      appSide = side(
        SPLIT ? 'service (split)' : 'service (all-in-one)',
        'otp',
        app,
        appDb.url,
        `Basic ${Buffer.from(`${account.accountSid}:${account.authToken}`).toString('base64')}`,
        (expect) => outstanding(nc, appPrefix, watcher, expect),
      );
      appSide.account = account.accountSid;
    }
    if (SCALE) {
      await verifyScale(appSide);
      return;
    }
    const refSide = await minimalSide(AGAINST_FLOOR ? 'floor' : 'reference', refDb.url, refPrefix, nc, children);
    await compare(appSide, refSide);
    await Promise.all([appSide.pool.close(), refSide.pool.close()]);
  } finally {
    for (const cleanup of cleanups) await cleanup().catch(() => undefined);
    for (const child of children) {
      child.stopping = true;
      child.kill('SIGTERM');
    }
    await Promise.all(children.map((c) => new Promise((r) => (c.exitCode !== null ? r() : c.once('exit', r)))));
    await deleteStreams(nc, appPrefix).catch(() => undefined);
    await deleteStreams(nc, refPrefix).catch(() => undefined);
    await nc.close();
    await deleteRedisKeys([`${appPrefix}:`, `${refPrefix}:`]);
    await appDb.drop().catch(() => undefined);
    await refDb.drop().catch(() => undefined);
  }
}

// ---------------------------------------------------------------------------------------------
// Processes

async function freePort() {
  return new Promise((resolve, reject) => {
    const s = net.createServer().listen(0, '127.0.0.1', () => {
      const { port } = s.address();
      s.close(() => resolve(port));
    });
    s.on('error', reject);
  });
}

function spawn(name, file, env, children) {
  const log = fs.openSync(path.join(LOGS, `${name}.log`), 'a');
  // BENCH_CPU_PROF=DIR: each process writes a V8 CPU profile there when it stops (`node --cpu-prof`).
  const prof = process.env.BENCH_CPU_PROF ? ['--cpu-prof', `--cpu-prof-dir=${process.env.BENCH_CPU_PROF}`] : [];
  const child = fork(file, [], { env, execArgv: ['-r', PROBE, ...prof], stdio: ['ignore', log, log, 'ipc'] });
  child.benchName = name;
  children.push(child);
  child.once('exit', (code) => {
    if (code && code !== 0 && !child.stopping)
      process.stderr.write(`${name} exited with ${code} (see ${LOGS}/${name}.log)\n`);
  });
  return child;
}

async function untilReady(url, child) {
  const deadline = Date.now() + 120_000;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`${child.benchName} exited during start (see ${LOGS})`);
    try {
      if ((await fetch(`${url}/readyz`)).status === 200) return;
    } catch {
      // not listening yet
    }
    if (Date.now() > deadline) throw new Error(`${child.benchName} not ready after 120 s (see ${LOGS})`);
    await sleep(200);
  }
}

async function startApp(databaseUrl, prefix, children) {
  const base = {
    ...process.env,
    NODE_ENV: 'production',
    DATABASE_URL: databaseUrl,
    REDIS_URL,
    NATS_URL,
    NATS_PREFIX: prefix,
    REDIS_PREFIX: `${prefix}:`,
    OTP_SECRET: SECRET,
    STATUS_CALLBACK_SECRET: randomBytes(32).toString('hex'),
    LOG_LEVEL,
    DEFAULT_LIMIT_MAX: '1000000',
    // Thousands of sends a second to consecutive numbers is what SMS pumping looks like: the
    // fraud guard decides every send (its cost is measured) but in monitor mode, so it blocks none.
    FRAUD_DEFAULT_MODE: 'monitor',
    // The server is shared: a pool of this size per schema, and the reference's the same.
    DATABASE_POOL_SIZE: String(POOL_SIZE),
  };
  const names = SPLIT ? SERVICES : ['all-in-one'];
  const processes = [];
  let gatewayUrl;
  // One after the other: each migrates its own schema before it serves.
  for (const name of names) {
    const port = await freePort();
    const child = spawn(name, dist(`apps/${name}/src/main.js`), { ...base, PORT: String(port) }, children);
    const url = `http://127.0.0.1:${port}`;
    await untilReady(url, child);
    processes.push(child);
    if (name === 'gateway' || name === 'all-in-one') gatewayUrl = url;
  }
  return { url: gatewayUrl, processes };
}

/**
 * The reference or (`name` 'floor') the contract's floor as a side: its process started, its
 * work outstanding while its consumers have messages (the reference has none).
 */
async function minimalSide(name, databaseUrl, prefix, nc, children) {
  const server = await startReference(databaseUrl, prefix, nc, children, name);
  return name === 'floor'
    ? side('contract floor', 'ref', server, databaseUrl, 'Basic none', () => busyConsumers(nc, prefix))
    : side('reference', 'ref', server, databaseUrl, 'Basic none', async () => undefined);
}

/** The reference (or, `name` 'floor', the contract's floor) on its database and NATS prefix. */
async function startReference(databaseUrl, prefix, nc, children, name = 'reference') {
  await withClient(databaseUrl, (c) =>
    c.query(`CREATE TABLE ref_requests (id text PRIMARY KEY, account_sid text NOT NULL, service text NOT NULL,
               destination text NOT NULL, code_hash text NOT NULL, status text NOT NULL, attempts int NOT NULL,
               max_attempts int NOT NULL, created_at timestamptz NOT NULL, expires_at timestamptz NOT NULL)`),
  );
  // The floor makes its own streams.
  if (name === 'reference')
    await (await nc.jetstreamManager()).streams.add({ name: `${prefix}_REF`, subjects: [`${prefix}.ref.>`] });
  const port = await freePort();
  const child = spawn(
    name,
    path.join(__dirname, `bench/${name}.js`),
    {
      ...process.env,
      REF_DATABASE_URL: databaseUrl,
      REF_REDIS_URL: REDIS_URL,
      REF_NATS_URL: NATS_URL,
      REF_PREFIX: prefix,
      REF_SECRET: SECRET,
      REF_PORT: String(port),
      REF_POOL_SIZE: String(POOL_SIZE),
    },
    children,
  );
  await new Promise((resolve, reject) => {
    child.once('message', resolve);
    child.once('exit', () => reject(new Error(`the ${name} exited during start (see ${LOGS})`)));
  });
  return { url: `http://127.0.0.1:${port}`, processes: [child] };
}

let probeIds = 0;
function probe(child) {
  const id = ++probeIds;
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`${child.benchName} did not answer the probe`)), 10_000);
    const onMessage = (m) => {
      if (m?.probe !== id) return;
      clearTimeout(timer);
      child.off('message', onMessage);
      resolve(m);
    };
    child.on('message', onMessage);
    child.send({ probe: true, id });
  });
}

const probeAll = (side) => Promise.all(side.processes.map(probe));

async function deleteRedisKeys(prefixes) {
  const { Redis } = require('ioredis');
  const redis = new Redis(REDIS_URL, { lazyConnect: true, maxRetriesPerRequest: 1 });
  try {
    await redis.connect();
    for (const prefix of prefixes) {
      let cursor = '0';
      do {
        const [next, keys] = await redis.scan(cursor, 'MATCH', `${prefix}*`, 'COUNT', 1000);
        cursor = next;
        if (keys.length) await redis.del(...keys);
      } while (cursor !== '0');
    }
  } finally {
    redis.disconnect();
  }
}

// ---------------------------------------------------------------------------------------------
// Load and completion

/** `connections` loops, each one request at a time, for `durationMs` or until `next` runs dry. */
async function load(pool, { path: route, auth, next, durationMs, connections = CONNECTIONS }) {
  const latencies = [];
  let ok = 0;
  const failures = new Map();
  const started = performance.now();
  const end = started + durationMs;
  let lastAnswer = started;
  async function loop() {
    while (performance.now() < end) {
      const body = next();
      if (body === undefined) return;
      const t = performance.now();
      try {
        const res = await pool.request({
          path: route,
          method: 'POST',
          headers: { 'content-type': 'application/json', authorization: auth },
          body: JSON.stringify(body),
        });
        const text = await res.body.text();
        lastAnswer = performance.now();
        latencies.push(lastAnswer - t);
        if (res.statusCode >= 200 && res.statusCode < 300) ok++;
        else
          failures.set(
            `${res.statusCode} ${text.slice(0, 120)}`,
            (failures.get(`${res.statusCode} ${text.slice(0, 120)}`) ?? 0) + 1,
          );
      } catch (error) {
        failures.set(error.code ?? error.message, (failures.get(error.code ?? error.message) ?? 0) + 1);
      }
    }
  }
  await Promise.all(Array.from({ length: connections }, loop));
  latencies.sort((a, b) => a - b);
  return { ok, failures, latencies, started, lastAnswer };
}

/**
 * What of the service's work is not done yet (undefined when all of it is): the outbox, the
 * JetStream consumers, the records the SDR must hold by now.
 */
async function outstanding(nc, prefix, db, expect) {
  const consumers = await busyConsumers(nc, prefix);
  if (consumers) return consumers;
  {
    const [row] = (
      await db.query(
        `SELECT (SELECT count(*) FROM otp.outbox)::int AS outbox,
                (SELECT count(*) FROM sdr.records WHERE delivery_status IS NOT NULL)::int AS dispatched,
                (SELECT count(*) FROM sdr.records WHERE status = 'verified')::int AS verified`,
      )
    ).rows;
    if (row.outbox === 0 && row.dispatched >= expect.dispatched && row.verified >= expect.verified) return undefined;
    return `outbox ${row.outbox}, records dispatched ${row.dispatched}/${expect.dispatched}, verified ${row.verified}/${expect.verified}`;
  }
}

/** The JetStream consumers of one run that still have messages to take or to acknowledge. */
async function busyConsumers(nc, prefix) {
  const jsm = await nc.jetstreamManager();
  const consumers = [];
  for await (const s of jsm.streams.list()) {
    if (!s.config.name.startsWith(`${prefix}_`)) continue;
    for await (const c of jsm.consumers.list(s.config.name))
      if (c.num_pending + c.num_ack_pending) consumers.push(`${c.name} ${c.num_pending + c.num_ack_pending}`);
  }
  return consumers.length ? `consumers: ${consumers.join(', ')}` : undefined;
}

async function untilDrained(side) {
  const started = performance.now();
  let said = started;
  for (;;) {
    const left = await side.outstanding(side.expect);
    if (left === undefined) return performance.now();
    if (performance.now() - said > 10_000) {
      said = performance.now();
      process.stderr.write(`  ${side.name}: waiting for ${left}\n`);
    }
    if (performance.now() - started > 600_000)
      throw new Error(`${side.name}: work not done 10 minutes after the load: ${left}`);
    await sleep(50);
  }
}

// ---------------------------------------------------------------------------------------------
// Side-by-side rounds

let destinations = 0;
/** A destination no earlier send of this run used (the default limit and supersede stay out of the way). */
function nextDestination() {
  destinations++;
  return `+1415${String(2_000_000 + destinations).padStart(7, '0')}`;
}

function sendBody() {
  return { service: 'bench', from: 'ACME', to: nextDestination(), body: 'Your code is {code}' };
}

/** Pending requests with known codes, written straight into the store: what a verify round consumes. */
async function seedTargets(side, table, count) {
  const targets = [];
  await withClient(side.db, async (c) => {
    for (let done = 0; done < count; done += 10_000) {
      const n = Math.min(10_000, count - done);
      const rows = Array.from({ length: n }, () => {
        const id = `OTP${randomBytes(16).toString('hex')}`;
        const code = String(Math.floor(Math.random() * 1e6)).padStart(6, '0');
        targets.push({ requestId: id, code });
        return [id, nextDestination(), hashCode(id, code)];
      });
      const cols = [0, 1, 2].map((i) => rows.map((r) => r[i]));
      await c.query(
        table === 'ref'
          ? `INSERT INTO ref_requests (id, account_sid, service, destination, code_hash, status, attempts, max_attempts, created_at, expires_at)
             SELECT id, 'ACref', 'bench', d, h, 'pending', 0, 5, now(), now() + interval '1 hour' FROM unnest($1::text[], $2::text[], $3::text[]) AS t(id, d, h)`
          : `INSERT INTO otp.otp_requests (id, account_sid, service, channel, from_address, destination, code_hash, status, attempts, max_attempts, created_at, expires_at)
             SELECT id, $4, 'bench', 'sms', 'ACME', d, h, 'pending', 0, 5, now(), now() + interval '1 hour' FROM unnest($1::text[], $2::text[], $3::text[]) AS t(id, d, h)`,
        table === 'ref' ? cols : [...cols, side.account],
      );
    }
  });
  return targets;
}

async function round(side, kind, targets) {
  const before = await probeAll(side);
  const next = kind === 'send' ? sendBody : () => targets.pop();
  const result = await load(side.pool, { path: `/2fa/${kind}`, auth: side.auth, next, durationMs: DURATION_MS });
  if (kind === 'send') side.expect.dispatched += result.ok;
  else side.expect.verified += result.ok;
  const doneAt = Math.max(result.lastAnswer, await untilDrained(side));
  const after = await probeAll(side);
  const ops = Math.max(1, result.ok);
  const loadMs = result.lastAnswer - result.started;
  return {
    side: side.name,
    kind,
    ok: result.ok,
    failures: result.failures,
    answered: result.ok / (loadMs / 1000),
    done: result.ok / ((doneAt - result.started) / 1000),
    lagMs: doneAt - result.lastAnswer,
    p50: quantile(result.latencies, 0.5),
    p99: quantile(result.latencies, 0.99),
    processes: side.processes.map((p, i) => ({
      name: p.benchName,
      cpuMsPerOp: (after[i].cpuMs - before[i].cpuMs) / ops,
      rssMb: after[i].rss / 2 ** 20,
    })),
    statementsPerOp: sum(after.map((a, i) => a.statements - before[i].statements)) / ops,
    natsPerOp:
      sum(after.map((a, i) => a.nats.inMsgs + a.nats.outMsgs - before[i].nats.inMsgs - before[i].nats.outMsgs)) / ops,
  };
}

async function compare(app, ref) {
  const pool = Number(process.env.BENCH_VERIFY_POOL ?? Math.max(20_000, 5000 * (DURATION_MS / 1000) * ROUNDS));
  process.stderr.write(`seeding ${pool} verify targets per side…\n`);
  const appTargets = await seedTargets(app, app.table, pool);
  const refTargets = await seedTargets(ref, ref.table, pool);
  // A short warm-up of each side (JIT, pools, connections), not measured.
  await load(app.pool, { path: '/2fa/send', auth: app.auth, next: sendBody, durationMs: 1000 }).then(
    (r) => (app.expect.dispatched += r.ok),
  );
  await load(ref.pool, { path: '/2fa/send', auth: ref.auth, next: sendBody, durationMs: 1000 });
  await untilDrained(app);
  await untilDrained(ref);
  const results = [];
  for (let r = 0; r < ROUNDS; r++) {
    // Alternating who goes first, so that neither side always runs on a warmer machine.
    const order = r % 2 === 0 ? [app, ref] : [ref, app];
    for (const kind of KINDS)
      for (const side of order) {
        const res = await round(side, kind, side === app ? appTargets : refTargets);
        res.round = r + 1;
        results.push(res);
        printRound(res);
      }
  }
  printSummary(results, app.name, ref.name);
}

// ---------------------------------------------------------------------------------------------
// Verify latency against the number of stored requests

async function verifyScale(app) {
  let stored = 0;
  const rows = [];
  for (const size of SCALE_SIZES) {
    const t0 = performance.now();
    await withClient(app.db, async (c) => {
      await c.query(`SET synchronous_commit = off`);
      // Ended requests of the past on the bench account and nineteen others, spread over a
      // year and over destinations: what a long-running deployment keeps.
      for (let from = stored + 1; from <= size; from += 500_000) {
        const to = Math.min(size, from + 499_999);
        await c.query(
          `INSERT INTO otp.otp_requests (id, account_sid, service, channel, from_address, destination, code_hash, status,
                                         attempts, max_attempts, created_at, expires_at, ended_at)
           SELECT 'OTP' || md5('s' || g), CASE WHEN g % 2 = 0 THEN $3 ELSE 'AC' || md5('a' || g % 19) END,
                  (ARRAY['bench','login','signup'])[1 + g % 3], 'sms', 'ACME',
                  '+1212' || lpad((g % 9000000 + 1000000)::text, 7, '0'), md5('h' || g),
                  (ARRAY['verified','expired','canceled','failed'])[1 + g % 4], 1, 5,
                  now() - make_interval(secs => 3600 + g % 31536000), now() - make_interval(secs => 3300 + g % 31536000),
                  now() - make_interval(secs => 3300 + g % 31536000)
             FROM generate_series($1::int, $2::int) g`,
          [from, to, app.account],
        );
        process.stderr.write(`  stored ${to.toLocaleString('en')} requests\n`);
      }
      await c.query(`ANALYZE otp.otp_requests`);
    });
    stored = Math.max(stored, size);
    const seconds = (performance.now() - t0) / 1000;
    const targets = await seedTargets(app, 'otp', SCALE_VERIFIES);
    // What a long-running table is: vacuumed and analysed, the bulk load's dirty pages written
    // out (else the checkpoint after millions of inserts lands in the measurement).
    await withClient(app.db, async (c) => {
      await c.query(`VACUUM (ANALYZE) otp.otp_requests`);
      await c.query(`CHECKPOINT`).catch((error) => process.stderr.write(`  no CHECKPOINT (${error.message})\n`));
    });
    // A few to warm the caches, then the measured ones.
    await load(app.pool, {
      path: '/2fa/verify',
      auth: app.auth,
      next: () => targets.pop(),
      durationMs: 1000,
      connections: 4,
    });
    const result = await load(app.pool, {
      path: '/2fa/verify',
      auth: app.auth,
      next: () => targets.pop(),
      durationMs: 600_000,
      connections: 4,
    });
    rows.push({ size, seconds, ...result });
    process.stderr.write(
      `${size.toLocaleString('en')} stored: ${result.ok} verifies, p50 ${quantile(result.latencies, 0.5).toFixed(1)} ms, p99 ${quantile(result.latencies, 0.99).toFixed(1)} ms\n`,
    );
  }
  process.stdout.write(`\nverify latency against stored requests (${SPLIT ? 'split' : 'all-in-one'}, 4 connections)\n`);
  process.stdout.write(
    `${'stored'.padStart(12)} ${'verifies'.padStart(9)} ${'non-2xx'.padStart(8)} ${'p50 ms'.padStart(8)} ${'p99 ms'.padStart(8)} ${'p99 / first'.padStart(12)}\n`,
  );
  const first = quantile(rows[0].latencies, 0.99);
  for (const r of rows) {
    const p99 = quantile(r.latencies, 0.99);
    process.stdout.write(
      `${r.size.toLocaleString('en').padStart(12)} ${String(r.ok).padStart(9)} ${String(sum([...r.failures.values()])).padStart(8)} ${quantile(r.latencies, 0.5).toFixed(1).padStart(8)} ${p99.toFixed(1).padStart(8)} ${(p99 / first).toFixed(2).padStart(12)}\n`,
    );
  }
}

// ---------------------------------------------------------------------------------------------
// Output

function quantile(sorted, q) {
  if (!sorted.length) return NaN;
  return sorted[Math.min(sorted.length - 1, Math.floor(sorted.length * q))];
}

const sum = (xs) => xs.reduce((a, b) => a + b, 0);
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};

function printRound(r) {
  const fails = sum([...r.failures.values()]);
  process.stderr.write(
    `round ${r.round} ${r.kind.padEnd(6)} ${r.side.padEnd(22)} ${String(r.ok).padStart(6)} ok ${String(fails).padStart(4)} non-2xx  ` +
      `answered ${r.answered.toFixed(0).padStart(5)}/s  done ${r.done.toFixed(0).padStart(5)}/s  lag ${r.lagMs.toFixed(0).padStart(5)} ms  ` +
      `p50 ${r.p50.toFixed(1).padStart(6)}  p99 ${r.p99.toFixed(1).padStart(6)} ms  pg ${r.statementsPerOp.toFixed(1)}/op  nats ${r.natsPerOp.toFixed(1)}/op\n`,
  );
  for (const [what, n] of r.failures) process.stderr.write(`    ${n} × ${what}\n`);
}

function printSummary(results, appName, refName) {
  const cpus = os.cpus();
  const out = (s) => process.stdout.write(`${s}\n`);
  out('');
  out(
    `smart-2fa bench: ${appName} against the ${refName}, ${ROUNDS} rounds of ${DURATION_MS / 1000} s, ${CONNECTIONS} connections`,
  );
  out(
    `machine: ${cpus[0].model}, ${cpus.length} cores, Node ${process.version}; load average ${os
      .loadavg()
      .map((l) => l.toFixed(1))
      .join(' ')}`,
  );
  out(
    `Postgres statements: counted per process at pg.Client#query; NATS messages: in + out of each process's connections`,
  );
  out('');
  const byKey = (side, kind) => results.filter((r) => r.side === side && r.kind === kind);
  const header = `${'operation'.padEnd(7)} ${'side'.padEnd(22)} ${'done/s'.padStart(7)} ${'answer/s'.padStart(8)} ${'p50 ms'.padStart(7)} ${'p99 ms'.padStart(7)} ${'non-2xx'.padStart(7)} ${'lag ms'.padStart(7)} ${'pg/op'.padStart(6)} ${'nats/op'.padStart(7)}  CPU ms/op and RSS MB per process`;
  out(header);
  const medians = {};
  for (const kind of KINDS)
    for (const side of [appName, refName]) {
      const rs = byKey(side, kind);
      const m = {
        done: median(rs.map((r) => r.done)),
        answered: median(rs.map((r) => r.answered)),
        p50: median(rs.map((r) => r.p50)),
        p99: median(rs.map((r) => r.p99)),
        fails: sum(rs.map((r) => sum([...r.failures.values()]))),
        lag: Math.max(...rs.map((r) => r.lagMs)),
        pg: median(rs.map((r) => r.statementsPerOp)),
        nats: median(rs.map((r) => r.natsPerOp)),
      };
      medians[`${side}:${kind}`] = m;
      const procs = rs[0].processes
        .map(
          (p, i) =>
            `${p.name} ${median(rs.map((r) => r.processes[i].cpuMsPerOp)).toFixed(2)}/${Math.max(...rs.map((r) => r.processes[i].rssMb)).toFixed(0)}`,
        )
        .join(', ');
      out(
        `${kind.padEnd(7)} ${side.padEnd(22)} ${m.done.toFixed(0).padStart(7)} ${m.answered.toFixed(0).padStart(8)} ${m.p50.toFixed(1).padStart(7)} ${m.p99.toFixed(1).padStart(7)} ${String(m.fails).padStart(7)} ${m.lag.toFixed(0).padStart(7)} ${m.pg.toFixed(1).padStart(6)} ${m.nats.toFixed(1).padStart(7)}  ${procs}`,
      );
    }
  out('');
  for (const kind of KINDS) {
    const a = medians[`${appName}:${kind}`];
    const b = medians[`${refName}:${kind}`];
    const perRound = byKey(appName, kind).map((r, i) => (r.done / byKey(refName, kind)[i].done).toFixed(2));
    out(
      `${kind} ratio (done/s, median of rounds): ${(a.done / b.done).toFixed(2)}  [rounds ${perRound.join(' ')}]   p99 ratio: ${(a.p99 / b.p99).toFixed(2)}   ` +
        `non-2xx: ${a.fails}   lag at the end: 0 (the clock ran until it was; longest ${a.lag.toFixed(0)} ms after the last answer)`,
    );
  }
  out(`(medians over rounds; done/s counts until the dispatch, projections and consumers of the round were finished)`);
}

main().then(
  () => process.exit(0),
  (error) => {
    process.stderr.write(`bench failed: ${error.stack ?? error}\nservice logs: ${LOGS}\n`);
    process.exit(1);
  },
);
