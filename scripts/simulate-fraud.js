'use strict';
/**
 * `npm run simulate:fraud [-- --per-hour 5000 --days 14 --seed 14 --level standard --batch 256 --no-monitor]`:
 * the fraud guard's real decision path (FraudGuard and its Lua scripts) on the real Redis
 * (REDIS_URL, under a key prefix of its own, removed afterwards), driven by a seeded traffic
 * model on an injected clock: `--days` of legitimate traffic (about `--per-hour` sends an hour
 * with a daily cycle, 20 countries, ~3,000 prefixes in a Zipf mix, 70-90% verified after a
 * lognormal delay, 5% resends), then an attack day with attacks A, B, C, a cold start, prefix hopping, a launch
 * and a cluster of real users. Runs it in `block` mode, then the same traffic in `monitor`
 * mode, and prints the table. Deterministic: the same options print the same figures.
 */
const path = require('node:path');
const { ROOT, buildIfNeeded } = require('./build-if-needed');

const dist = (p) => path.join(ROOT, 'dist', p);

function options(argv) {
  const o = { seed: 14, days: 14, perHour: 5000, batch: 256, level: 'standard', monitor: true };
  const numeric = { '--seed': 'seed', '--days': 'days', '--per-hour': 'perHour', '--batch': 'batch' };
  for (let i = 0; i < argv.length; i++) {
    const flag = argv[i];
    if (numeric[flag]) {
      o[numeric[flag]] = Number(argv[++i]);
    } else if (flag === '--level') {
      o.level = argv[++i];
    } else if (flag === '--no-monitor') {
      o.monitor = false;
    } else {
      process.stderr.write(`unknown option ${flag}\n`);
      process.exit(2);
    }
  }
  return o;
}

async function removeKeys(redis, prefix) {
  let cursor = '0';
  do {
    const [next, keys] = await redis.scan(cursor, 'MATCH', `${prefix}*`, 'COUNT', 1000);
    cursor = next;
    if (keys.length) await redis.del(...keys);
  } while (cursor !== '0');
}

const pct = (x) => `${(x * 100).toFixed(2)}%`;

async function main() {
  const o = options(process.argv.slice(2));
  buildIfNeeded([dist('apps/limiter/src/fraud/simulation/fraud-simulation.js')]);
  require('reflect-metadata');
  const Redis = require('ioredis');
  const platform = require(dist('libs/platform/src/index.js'));
  const { simulate } = require(dist('apps/limiter/src/fraud/simulation/fraud-simulation.js'));
  const { Logger } = require('@nestjs/common');
  Logger.overrideLogger(['error']);

  const base = platform.loadConfig({ ...process.env, FRAUD_GUARD: 'true' });
  const admin = new Redis(base.redis.urls[0]);
  const run = async (mode, onDecision) => {
    const prefix = `fraudsim:${process.pid}:${mode}:`;
    const config = platform.loadConfig({ ...process.env, FRAUD_GUARD: 'true', REDIS_PREFIX: prefix });
    const redis = platform.createRedisClient(config.fraud.redis, {
      commandTimeout: 30_000,
      enableAutoPipelining: true,
    });
    await redis.connect();
    try {
      process.stderr.write(`${mode} mode: ${o.days} days of history at ${o.perHour}/h, then the attack day…\n`);
      return await simulate(redis, config, {
        seed: o.seed,
        historyDays: o.days,
        perHour: o.perHour,
        batch: o.batch,
        level: o.level,
        mode,
        onDecision,
        progress: (line) => process.stderr.write(`${line}\n`),
        trace: process.env.FRAUD_SIM_TRACE,
      });
    } finally {
      await removeKeys(admin, prefix);
      redis.disconnect();
    }
  };

  const blockDecisions = [];
  const block = await run('block', (i, refused) => (blockDecisions[i] = refused));
  let monitor;
  let differing = 0;
  if (o.monitor) {
    monitor = await run('monitor', (i, flagged) => {
      if (blockDecisions[i] !== flagged) differing++;
    });
  }
  await admin.quit();

  const rows = [
    ['A: 2,000 sends at 1/s, one UZ prefix, sequential, 0% verified', block.attacks.A],
    ['B: 20/h over 40 KG prefixes for 24 h, 0% verified', block.attacks.B],
    ['C: A (LK prefix) during a 2x legitimate spike', block.attacks.C],
    ['cold start: A on a new account', block.attacks.cold],
    ['E: prefix hopping, 10 sends each to 24 KE prefixes, one every 10 min', block.attacks.hop],
  ];
  const out = [];
  out.push(
    `Fraud guard simulation — seed ${o.seed}, level ${o.level}, ${o.days} days of history at ${o.perHour} sends/h`,
  );
  out.push('');
  out.push('| scenario | attack sends | let through | blocked | time to block |');
  out.push('| --- | --- | --- | --- | --- |');
  for (const [name, a] of rows) {
    out.push(
      `| ${name} | ${a.sends} | ${a.letThrough} | ${pct(a.blockedShare)} | ${a.timeToBlock === null ? 'never' : `${Math.round(a.timeToBlock)} s`} |`,
    );
  }
  out.push('');
  const l = block.legit;
  out.push('| legitimate traffic | sends | blocked |');
  out.push('| --- | --- | --- |');
  out.push(
    `| D: launch, new account, first hour (${block.launch.verified} verified) | ${block.launch.sends} | ${block.launch.refused} |`,
  );
  out.push(`| D: 20 people in one prefix within 10 min | ${block.cluster.sends} | ${block.cluster.refused} |`);
  out.push(`| outside attacked scopes | ${l.sends - l.insideSends} | ${l.refusedOutside} |`);
  out.push(`| inside attacked scopes (the A and C prefixes, KG) | ${l.insideSends} | ${l.refusedInside} |`);
  out.push(
    `| all legitimate | ${l.sends} | ${l.refusedOutside + l.refusedInside} (${pct((l.refusedOutside + l.refusedInside) / Math.max(1, l.sends))}) |`,
  );
  out.push('');
  out.push(`Refusals by kind and reason (block mode): ${JSON.stringify(block.reasons)}`);
  out.push(
    `Verifies counted speculatively for a send that was refused (batching, --batch ${o.batch}): ${block.speculationMisses}`,
  );
  if (monitor) {
    out.push(
      `Monitor mode: ${monitor.decisions} decisions, ${differing} differ from block mode, ${monitor.refusals} refused (456); ` +
        `would-block ${Object.values(monitor.reasons).reduce((a, b) => a + b, 0)} vs blocked ${Object.values(block.reasons).reduce((a, b) => a + b, 0)}`,
    );
  }
  out.push(
    `Decisions: ${block.decisions} in ${block.seconds.toFixed(0)} s (block mode)${monitor ? `, ${monitor.seconds.toFixed(0)} s (monitor mode)` : ''}`,
  );
  process.stdout.write(`${out.join('\n')}\n`);
}

main().catch((error) => {
  process.stderr.write(`${error.stack ?? error}\n`);
  process.exit(1);
});
