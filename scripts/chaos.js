'use strict';
/**
 * `npm run chaos [-- --scenario NAME[,NAME…]] [--rate N] [--down S] [--provider-ms MS] [--list]`
 *
 * Kills things under a steady load and counts what happened to every send. Runs on its own
 * nats-server, redis-server and PostgreSQL (initdb into a temporary directory), started on free
 * loopback ports — never the machine's shared ones — with the services split in processes
 * (gateway, otp-core, limiter, two dispatcher-sms replicas, sdr) and a provider of its own (an
 * HTTP webhook that honours Idempotency-Key, as a real one does). A steady rate of sends goes
 * to the gateway, each to a number of its own; nothing is retried, so every answer is counted
 * as given. Scenarios, in turn: SIGKILL of otp-core, a dispatcher-sms replica, limiter,
 * gateway, sdr, nats-server, redis-server and postgres, each brought back after `--down`
 * seconds; Redis down for 30 s; and a 3-node NATS cluster with R3 streams losing one node.
 *
 * Per scenario it prints: acknowledged (200), lost (acknowledged, never completed at the provider),
 * doubled (a number that got two different dispatches, i.e. two codes), 503s, 503s that were
 * delivered anyway (must be 0), 457s (outcome unknown) and how many of them were delivered,
 * other 5xx, refused connections (the gateway down), client time-outs, recovery (seconds from
 * the restore to the next 200), the delivery lag of acknowledged sends (answer → the provider's
 * answer reaching a live dispatcher) as p50 / max, and the provider calls in flight when the
 * fault struck with the time until each completed (for a killed dispatcher: by the other
 * replica). The provider takes `--provider-ms` (300) per call, so a kill catches calls in flight. Not part of `npm test`; it asserts nothing, it prints figures.
 */
const { spawn, spawnSync } = require('node:child_process');
const fs = require('node:fs');
const http = require('node:http');
const net = require('node:net');
const os = require('node:os');
const path = require('node:path');
const { randomBytes, randomUUID } = require('node:crypto');
const { parseArgs } = require('node:util');
const { ROOT, buildIfNeeded } = require('./build-if-needed');

const SINGLE = ['otp-core', 'dispatcher-sms', 'limiter', 'gateway', 'sdr', 'nats', 'redis', 'postgres', 'redis-30s'];
const ALL = [...SINGLE, 'nats-cluster'];

const { values: opts } = parseArgs({
  options: {
    scenario: { type: 'string' },
    rate: { type: 'string', default: '10' },
    down: { type: 'string', default: '3' },
    'provider-ms': { type: 'string', default: '300' },
    list: { type: 'boolean', default: false },
  },
});
if (opts.list) {
  process.stdout.write(`${ALL.join('\n')}\n`);
  process.exit(0);
}
const chosen = opts.scenario ? opts.scenario.split(',').map((s) => s.trim()) : ALL;
for (const s of chosen) if (!ALL.includes(s)) fail(`unknown scenario '${s}' (npm run chaos -- --list)`);
const RATE = Number(opts.rate);
const DOWN_MS = Number(opts.down) * 1000;
const PROVIDER_MS = Number(opts['provider-ms']);
if (!(RATE > 0 && RATE <= 200)) fail('--rate must be 1 to 200 sends per second');
if (!(DOWN_MS >= 0 && DOWN_MS <= 120_000)) fail('--down must be 0 to 120 seconds');
if (!(PROVIDER_MS >= 0 && PROVIDER_MS <= 10_000)) fail('--provider-ms must be 0 to 10000');

function fail(message) {
  process.stderr.write(`chaos: ${message}\n`);
  process.exit(2);
}

const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));
const log = (line) => process.stderr.write(`[chaos ${new Date().toISOString().slice(11, 19)}] ${line}\n`);

function freePort() {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.unref();
    server.on('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address();
      server.close(() => resolve(port));
    });
  });
}

function reachable(port) {
  return new Promise((resolve) => {
    const socket = net.createConnection({ host: '127.0.0.1', port });
    const done = (ok) => {
      socket.destroy();
      resolve(ok);
    };
    socket.setTimeout(1000, () => done(false));
    socket.once('connect', () => done(true));
    socket.once('error', () => done(false));
  });
}

async function waitFor(what, check, timeoutMs = 60_000) {
  const until = Date.now() + timeoutMs;
  while (Date.now() < until) {
    if (await check().catch(() => false)) return;
    await sleep(200);
  }
  throw new Error(`${what} did not come up within ${timeoutMs / 1000} s`);
}

const children = new Set();
function start(name, command, args, options = {}) {
  const child = spawn(command, args, { stdio: ['ignore', 'pipe', 'pipe'], ...options });
  const tail = [];
  const keep = (chunk) => {
    tail.push(chunk.toString('utf8'));
    if (tail.length > 40) tail.shift();
  };
  child.stdout.on('data', keep);
  child.stderr.on('data', keep);
  child.tail = tail;
  child.label = name;
  children.add(child);
  child.once('exit', () => children.delete(child));
  return child;
}

function killHard(child) {
  return new Promise((resolve) => {
    if (!child || child.exitCode !== null || child.signalCode !== null) return resolve();
    child.once('exit', () => resolve());
    child.kill('SIGKILL');
  });
}

// ---------------------------------------------------------------------------------------------
// Infrastructure of our own: NATS (one node or a cluster of three), Redis, PostgreSQL.

function pgBin(name) {
  const base = '/usr/lib/postgresql';
  const versions = fs.existsSync(base) ? fs.readdirSync(base).sort((a, b) => Number(b) - Number(a)) : [];
  for (const v of versions) {
    const file = path.join(base, v, 'bin', name);
    if (fs.existsSync(file)) return file;
  }
  fail(`PostgreSQL's ${name} not found under /usr/lib/postgresql/*/bin (apt-get install postgresql)`);
}

for (const binary of ['nats-server', 'redis-server']) {
  if (spawnSync('sh', ['-c', `command -v ${binary}`]).status !== 0)
    fail(`${binary} not found on PATH (Debian: apt-get install ${binary})`);
}

/** PostgreSQL refuses to run as root: as root, the cluster belongs to the `postgres` user. */
const AS_POSTGRES = process.getuid && process.getuid() === 0 ? ['runuser', ['-u', 'postgres', '--']] : null;
function asPostgres(command, args) {
  return AS_POSTGRES ? [AS_POSTGRES[0], [...AS_POSTGRES[1], command, ...args]] : [command, args];
}

class Infra {
  constructor(dir, clusterSize) {
    this.dir = dir;
    this.clusterSize = clusterSize;
    this.nats = [];
  }

  async start() {
    this.redisPort = await freePort();
    this.pgPort = await freePort();
    for (let i = 0; i < this.clusterSize; i++) this.nats.push({ port: await freePort(), cluster: await freePort() });
    await Promise.all([this.startRedis(), this.initPostgres().then(() => this.startPostgres())]);
    for (let i = 0; i < this.clusterSize; i++) this.startNats(i);
    for (let i = 0; i < this.clusterSize; i++) await waitFor(`nats ${i}`, () => reachable(this.nats[i].port));
    if (this.clusterSize > 1) await sleep(3000); // the routes form and JetStream elects its meta leader
  }

  get natsUrl() {
    return this.nats.map((n) => `nats://127.0.0.1:${n.port}`).join(',');
  }
  get redisUrl() {
    return `redis://127.0.0.1:${this.redisPort}`;
  }
  get databaseUrl() {
    return `postgres://postgres@127.0.0.1:${this.pgPort}/smart2fa`;
  }

  startNats(i) {
    const node = this.nats[i];
    const store = path.join(this.dir, `nats-${i}`);
    const args = ['-a', '127.0.0.1', '-p', String(node.port), '-js', '-sd', store, '-n', `chaos-${i}`];
    if (this.clusterSize > 1) {
      const routes = this.nats.map((n) => `nats-route://127.0.0.1:${n.cluster}`).join(',');
      args.push('--cluster_name', 'chaos', '--cluster', `nats://127.0.0.1:${node.cluster}`, '--routes', routes);
    }
    node.process = start(`nats-${i}`, 'nats-server', args);
  }

  async startRedis() {
    // Append-only, fsync every second: a SIGKILL loses at most the last second, like a real node.
    this.redis = start('redis', 'redis-server', [
      '--port',
      String(this.redisPort),
      '--bind',
      '127.0.0.1',
      '--save',
      '',
      '--appendonly',
      'yes',
      '--dir',
      this.dir,
    ]);
    await waitFor('redis', () => reachable(this.redisPort));
  }

  async initPostgres() {
    this.pgDir = path.join(this.dir, 'pg');
    fs.mkdirSync(this.pgDir, { mode: 0o700 });
    if (AS_POSTGRES) spawnSync('chown', ['-R', 'postgres', this.dir]);
    const [cmd, args] = asPostgres(pgBin('initdb'), ['-D', this.pgDir, '-U', 'postgres', '--auth=trust', '-E', 'UTF8']);
    const r = spawnSync(cmd, args, { encoding: 'utf8' });
    if (r.status !== 0) throw new Error(`initdb failed: ${r.stderr || r.stdout}`);
  }

  async startPostgres() {
    const [cmd, args] = asPostgres(pgBin('postgres'), [
      '-D',
      this.pgDir,
      '-p',
      String(this.pgPort),
      '-k',
      this.pgDir,
      '-c',
      'listen_addresses=127.0.0.1',
      '-c',
      'max_connections=200',
    ]);
    // Right after a SIGKILL the old backends may still hold the shared memory: try again.
    for (let attempt = 1; ; attempt++) {
      this.postgres = start('postgres', cmd, args);
      try {
        await waitFor('postgres', () => reachable(this.pgPort), 20_000);
        return;
      } catch (error) {
        if (attempt >= 5) throw error;
        await killHard(this.postgres);
        await sleep(1000);
      }
    }
  }

  /** The postmaster itself (runuser is only its parent). */
  postmasterPid() {
    const first = fs.readFileSync(path.join(this.pgDir, 'postmaster.pid'), 'utf8').split('\n')[0];
    return Number(first);
  }

  async stop() {
    for (const child of [...children]) await killHard(child);
    fs.rmSync(this.dir, { recursive: true, force: true });
  }
}

// ---------------------------------------------------------------------------------------------
// The provider: an HTTP webhook that honours Idempotency-Key; it records when each dispatch
// first arrived and whether a number got more than one dispatch.

class Provider {
  constructor() {
    this.first = new Map(); // dispatch id -> first arrival (ms)
    // dispatch id -> first answer that reached a live caller (ms): the caller knows it was sent.
    // A call whose caller was killed mid-call arrived, but only its redelivery completes.
    this.completed = new Map();
    this.byNumber = new Map(); // number -> Set of dispatch ids
    this.repeats = 0;
    this.server = http.createServer((req, res) => {
      const chunks = [];
      req.on('data', (c) => chunks.push(c));
      req.on('end', () => {
        let body = {};
        try {
          body = JSON.parse(Buffer.concat(chunks).toString('utf8'));
        } catch {
          // counted as nothing
        }
        const key = String(req.headers['idempotency-key'] ?? body.reference);
        if (this.first.has(key)) this.repeats++;
        else this.first.set(key, Date.now());
        if (!this.byNumber.has(body.to)) this.byNumber.set(body.to, new Set());
        this.byNumber.get(body.to).add(key);
        // A provider's round trip (--provider-ms), long enough that a killed dispatcher holds calls in flight.
        setTimeout(() => {
          if (req.socket.destroyed) return;
          res.writeHead(200, { 'content-type': 'application/json' });
          res.end(JSON.stringify({ messageId: `chaos-${key}` }), () => {
            if (!this.completed.has(key)) this.completed.set(key, Date.now());
          });
        }, PROVIDER_MS);
      });
    });
  }
  async start() {
    await new Promise((resolve) => this.server.listen(0, '127.0.0.1', resolve));
    return `http://127.0.0.1:${this.server.address().port}/sms`;
  }
  stop() {
    this.server.closeAllConnections();
    return new Promise((resolve) => this.server.close(resolve));
  }
}

// ---------------------------------------------------------------------------------------------
// The services, each its own process.

const MAINS = {
  gateway: 'dist/apps/gateway/src/main.js',
  'otp-core': 'dist/apps/otp-core/src/main.js',
  limiter: 'dist/apps/limiter/src/main.js',
  'dispatcher-sms': 'dist/apps/dispatcher-sms/src/main.js',
  sdr: 'dist/apps/sdr/src/main.js',
};

class Services {
  constructor(infra, providerUrl, replicas) {
    this.infra = infra;
    this.providerUrl = providerUrl;
    this.replicas = replicas;
    this.procs = {};
    this.env = {
      PATH: process.env.PATH,
      NODE_ENV: 'production',
      HOST: '127.0.0.1',
      DATABASE_URL: infra.databaseUrl,
      DATABASE_POOL_SIZE: '10',
      REDIS_URL: infra.redisUrl,
      NATS_URL: infra.natsUrl,
      NATS_STREAM_REPLICAS: String(replicas),
      OTP_SECRET: randomBytes(32).toString('hex'),
      STATUS_CALLBACK_SECRET: randomBytes(32).toString('hex'),
      SMS_PROVIDER: 'webhook',
      SMS_WEBHOOK_URL: providerUrl,
      SMS_WEBHOOK_SECRET: randomBytes(24).toString('hex'),
      DEFAULT_LIMIT_MAX: '1000000',
      // A steady stream of sends to fresh numbers looks like SMS pumping: the guard decides each
      // (a Redis outage makes it fail open) but, in monitor mode, blocks none.
      FRAUD_DEFAULT_MODE: 'monitor',
      LOG_LEVEL: 'warn',
    };
  }

  async startAll() {
    this.gatewayPort = await freePort();
    // otp-core first: it creates the database and the streams others wait for.
    for (const name of ['otp-core', 'limiter', 'gateway', 'dispatcher-sms#1', 'dispatcher-sms#2', 'sdr'])
      await this.start(name);
  }

  async start(name) {
    const app = name.split('#')[0];
    const port = app === 'gateway' ? this.gatewayPort : await freePort();
    const child = start(name, process.execPath, [path.join(ROOT, MAINS[app])], {
      cwd: ROOT,
      env: { ...this.env, PORT: String(port) },
    });
    this.procs[name] = { child, port };
    await waitFor(
      name,
      () =>
        new Promise((resolve) => {
          if (child.exitCode !== null) return resolve(false);
          http
            .get({ host: '127.0.0.1', port, path: '/readyz', timeout: 2000 }, (res) => {
              res.resume();
              resolve(res.statusCode === 200);
            })
            .on('error', () => resolve(false));
        }),
      90_000,
    ).catch((error) => {
      throw new Error(`${error.message}\n${child.tail.join('')}`);
    });
  }

  kill(name) {
    return killHard(this.procs[name]?.child);
  }

  async createAccount() {
    const r = spawnSync(
      process.execPath,
      [path.join(ROOT, 'dist/apps/gateway/src/cli/accounts.cli.js'), 'create', '--email', 'chaos@example.com'],
      { cwd: ROOT, env: this.env, encoding: 'utf8' },
    );
    if (r.status !== 0) throw new Error(`account: ${r.stderr}`);
    return JSON.parse(r.stdout.trim().split('\n').pop());
  }
}

// ---------------------------------------------------------------------------------------------
// The load: a steady rate of sends, each to a number of its own, each answer recorded.

class Load {
  constructor(port, account) {
    this.port = port;
    this.auth = `Basic ${Buffer.from(`${account.accountSid}:${account.authToken}`).toString('base64')}`;
    this.sends = [];
    this.seq = 0;
    this.agent = new http.Agent({ keepAlive: true, maxSockets: 256 });
  }

  run() {
    this.running = true;
    const interval = 1000 / RATE;
    let next = Date.now();
    const tick = () => {
      if (!this.running) return;
      const now = Date.now();
      while (next <= now) {
        this.one();
        next += interval;
      }
      this.timer = setTimeout(tick, Math.max(1, next - Date.now()));
    };
    tick();
  }

  stop() {
    this.running = false;
    clearTimeout(this.timer);
    return this.idle();
  }

  async idle() {
    while (this.sends.some((s) => s.outcome === undefined)) await sleep(100);
  }

  one() {
    const n = this.seq++;
    const to = `+1415${String(200 + (Math.floor(n / 10_000) % 800))}${String(n % 10_000).padStart(4, '0')}`;
    const record = { to, at: Date.now(), outcome: undefined };
    this.sends.push(record);
    const body = JSON.stringify({ service: 'chaos', from: 'ACME', to, body: 'Your code is {code}' });
    const req = http.request(
      {
        host: '127.0.0.1',
        port: this.port,
        path: '/2fa/send',
        method: 'POST',
        agent: this.agent,
        timeout: 15_000,
        headers: {
          authorization: this.auth,
          'content-type': 'application/json',
          'idempotency-key': randomUUID(),
          'content-length': Buffer.byteLength(body),
        },
      },
      (res) => {
        const chunks = [];
        res.on('data', (c) => chunks.push(c));
        res.on('end', () => {
          record.answeredAt = Date.now();
          record.status = res.statusCode;
          try {
            const parsed = JSON.parse(Buffer.concat(chunks).toString('utf8'));
            record.code = parsed.code;
            record.requestId = parsed.requestID;
          } catch {
            record.code = undefined;
          }
          record.outcome = record.status === 200 ? 'ok' : `http_${record.status}`;
        });
      },
    );
    req.on('timeout', () => req.destroy(new Error('client time-out')));
    req.on('error', (error) => {
      if (record.outcome !== undefined) return;
      record.answeredAt = Date.now();
      record.outcome = /time-out/.test(error.message) ? 'timeout' : 'refused';
    });
    req.end(body);
  }
}

// ---------------------------------------------------------------------------------------------
// Scenarios.

function pct(sorted, p) {
  if (!sorted.length) return NaN;
  return sorted[Math.min(sorted.length - 1, Math.floor((sorted.length * p) / 100))];
}

/** Waits until every acknowledged send of the window was completed at the provider, or the time is up. */
async function settle(sends, provider, timeoutMs) {
  const until = Date.now() + timeoutMs;
  for (;;) {
    const missing = sends.filter((s) => s.outcome === 'ok' && !provider.completed.has(`${s.requestId}-1`));
    if (!missing.length || Date.now() > until) return;
    await sleep(500);
  }
}

function report(name, sends, provider, restoredAt, inFlightAtKill, killedAt) {
  const ok = sends.filter((s) => s.outcome === 'ok');
  const delivered = (s) => provider.byNumber.has(s.to);
  const lost = ok.filter((s) => !provider.completed.has(`${s.requestId}-1`));
  const doubled = sends.filter((s) => (provider.byNumber.get(s.to)?.size ?? 0) > 1);
  const unavailable = sends.filter((s) => s.code === 503);
  const unknown = sends.filter((s) => s.code === 457);
  const other5xx = sends.filter((s) => s.status >= 500 && s.code !== 503 && s.code !== 457);
  const other = sends.filter((s) => s.status && s.status !== 200 && s.status < 500);
  const afterRestore = ok.filter((s) => s.at >= restoredAt).sort((a, b) => a.at - b.at);
  const recovery = afterRestore.length ? (afterRestore[0].answeredAt - restoredAt) / 1000 : NaN;
  const lags = ok
    .filter((s) => provider.completed.has(`${s.requestId}-1`))
    .map((s) => provider.completed.get(`${s.requestId}-1`) - s.answeredAt)
    .sort((a, b) => a - b);
  // Calls in flight at the provider when the fault struck: how long until one completed.
  const inFlightLags = inFlightAtKill
    .filter((key) => provider.completed.has(key))
    .map((key) => provider.completed.get(key) - killedAt);
  return {
    scenario: name,
    sends: sends.length,
    acknowledged: ok.length,
    lost: lost.length,
    doubled: doubled.length,
    503: unavailable.length,
    '503 delivered': unavailable.filter(delivered).length,
    457: unknown.length,
    '457 delivered': unknown.filter(delivered).length,
    'other 5xx': other5xx.length,
    '4xx': other.length,
    refused: sends.filter((s) => s.outcome === 'refused').length,
    timeouts: sends.filter((s) => s.outcome === 'timeout').length,
    'recovery s': Number.isNaN(recovery) ? '-' : Math.max(0, recovery).toFixed(1),
    'lag p50 s': Number.isNaN(pct(lags, 50)) ? '-' : (Math.max(0, pct(lags, 50)) / 1000).toFixed(2),
    'lag max s': lags.length ? (Math.max(0, lags[lags.length - 1]) / 1000).toFixed(2) : '-',
    'in flight at kill': inFlightAtKill.length,
    'in flight done ≤ s': inFlightLags.length ? (Math.max(...inFlightLags) / 1000).toFixed(2) : '-',
  };
}

/** What each scenario kills and how it brings it back. */
function faults(infra, services) {
  const service = (name) => ({ kill: () => services.kill(name), restore: () => services.start(name) });
  return {
    'otp-core': service('otp-core'),
    'dispatcher-sms': service('dispatcher-sms#1'),
    limiter: service('limiter'),
    gateway: service('gateway'),
    sdr: service('sdr'),
    nats: { kill: () => killHard(infra.nats[0].process), restore: () => restartNats(infra, 0) },
    redis: { kill: () => killHard(infra.redis), restore: () => infra.startRedis() },
    'redis-30s': { kill: () => killHard(infra.redis), restore: () => infra.startRedis(), downMs: 30_000 },
    postgres: {
      kill: async () => {
        process.kill(infra.postmasterPid(), 'SIGKILL');
        await killHard(infra.postgres);
      },
      restore: () => infra.startPostgres(),
    },
    'nats-cluster': { kill: () => killHard(infra.nats[1].process), restore: () => restartNats(infra, 1) },
  };
}

async function restartNats(infra, i) {
  infra.startNats(i);
  await waitFor(`nats ${i}`, () => reachable(infra.nats[i].port));
}

async function scenario(name, fault, load, provider) {
  const BASELINE_MS = 3000;
  const downMs = fault.downMs ?? DOWN_MS;
  log(`${name}: load ${RATE}/s, kill after ${BASELINE_MS / 1000} s, down ${downMs / 1000} s`);
  const from = load.sends.length;
  await sleep(BASELINE_MS);
  const killedAt = Date.now();
  await fault.kill();
  const inFlightAtKill = [...provider.first.keys()].filter((key) => !provider.completed.has(key));
  await sleep(downMs);
  await fault.restore();
  const restoredAt = Date.now();
  // Long enough after the restore to see the recovery and a steady state.
  await sleep(8000);
  const to = load.sends.length;
  const sends = load.sends.slice(from, to);
  await settle(sends, provider, 60_000);
  return report(name, sends, provider, restoredAt, inFlightAtKill, killedAt);
}

async function runStack(names, clusterSize) {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'smart2fa-chaos-'));
  const infra = new Infra(dir, clusterSize);
  const provider = new Provider();
  const results = [];
  try {
    log(`starting nats ×${clusterSize}, redis and postgres of our own in ${dir}`);
    await infra.start();
    const services = new Services(infra, await provider.start(), clusterSize);
    log('starting gateway, otp-core, limiter, dispatcher-sms ×2, sdr');
    await services.startAll();
    const account = await services.createAccount();
    const load = new Load(services.gatewayPort, account);
    load.run();
    const all = faults(infra, services);
    for (const name of names) {
      try {
        results.push(await scenario(name, all[name], load, provider));
      } catch (error) {
        log(`${name} failed: ${error.message}`);
        results.push({ scenario: name, error: error.message.split('\n')[0] });
      }
      print([results[results.length - 1]]);
    }
    await load.stop();
  } finally {
    await provider.stop();
    await infra.stop();
  }
  return results;
}

function print(rows) {
  for (const row of rows) process.stdout.write(`${JSON.stringify(row)}\n`);
}

async function main() {
  buildIfNeeded(Object.values(MAINS).map((m) => path.join(ROOT, m)));
  const started = Date.now();
  const results = [];
  const single = chosen.filter((s) => s !== 'nats-cluster');
  if (single.length) results.push(...(await runStack(single, 1)));
  if (chosen.includes('nats-cluster')) results.push(...(await runStack(['nats-cluster'], 3)));
  process.stdout.write(`\nchaos: ${results.length} scenarios in ${Math.round((Date.now() - started) / 1000)} s\n`);
  console.table(results);
}

process.on('SIGINT', async () => {
  for (const child of [...children]) await killHard(child);
  process.exit(130);
});

main().catch(async (error) => {
  process.stderr.write(`chaos failed: ${error.stack ?? error.message}\n`);
  for (const child of [...children]) await killHard(child);
  process.exit(1);
});
