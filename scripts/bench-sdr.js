'use strict';
/**
 * `npm run bench:sdr`: how fast the session detail records and usage answer when they are
 * many. Seeds a scratch database (`smart2fa_bench_sdr`, dropped and made again) with
 * BENCH_RECORDS records (a million by default) and the matching daily roll-ups in bulk SQL,
 * starts the real sdr service in this process against it, and times sdr.v1.search,
 * sdr.v1.get and sdr.v1.usage over NATS (sequential requests, BENCH_N per query, after a
 * warm-up). Prints p50 and p99 per query.
 *
 * Needs Postgres and NATS as for the tests: DATABASE_URL (any database of the server; the
 * scratch one is made next to it) and NATS_URL. BENCH_KEEP=true keeps the scratch database;
 * BENCH_REUSE=true then times the queries on it again without seeding.
 */
const path = require('node:path');
const { ROOT, buildIfNeeded } = require('./build-if-needed');
const { deleteStreams, scratchDatabase, withClient } = require('./bench-support');

const RECORDS = Number(process.env.BENCH_RECORDS ?? 1_000_000);
const N = Number(process.env.BENCH_N ?? 200);
const ACCOUNTS = 20;
const SCRATCH = 'smart2fa_bench_sdr';

const dist = (p) => path.join(ROOT, 'dist', p);

async function main() {
  buildIfNeeded([dist('apps/sdr/src/main.js')]);
  require('reflect-metadata');
  const { connect } = require('nats');
  const platform = require(dist('libs/platform/src/index.js'));
  const { sdrService } = require(dist('apps/sdr/src/sdr.definition.js'));

  const scratch = scratchDatabase(SCRATCH);
  const reuse = process.env.BENCH_REUSE === 'true';
  if (!reuse) await scratch.recreate();

  const prefix = `bench${process.pid}`;
  const env = {
    ...process.env,
    DATABASE_URL: scratch.url,
    NATS_PREFIX: prefix,
    LOG_LEVEL: 'warn',
    PORT: '0',
    SDR_CONSUMER: 'sdr-bench',
  };
  const app = await platform.startService(sdrService, {
    config: platform.loadConfig(env),
    port: 0,
    logStream: { write: () => true },
  });
  const nc = await connect({ servers: env.NATS_URL ?? 'nats://127.0.0.1:4222' });
  try {
    const accounts = reuse ? await accountsOf(scratch.url) : await seed(scratch.url);
    await report(nc, prefix, scratch.url, accounts);
  } finally {
    await app.close();
    await deleteStreams(nc, prefix);
    await nc.close();
    if (process.env.BENCH_KEEP !== 'true') await scratch.drop();
  }
}

/**
 * A year of traffic: half of it on one big account (the worst case for its searches), the
 * rest over 19 others; 80 % SMS, 10 % voice, 10 % email; five countries; every status and
 * delivery status. Records are built as the projection would fold them (one dispatch each).
 */
async function seed(url) {
  await withClient(url, async (c) => {
    const t0 = performance.now();
    await c.query(`SET synchronous_commit = off`);
    await c.query(`ALTER TABLE sdr.records SET UNLOGGED`);
    const batch = 200_000;
    for (let from = 1; from <= RECORDS; from += batch) {
      const to = Math.min(RECORDS, from + batch - 1);
      await c.query(
        `WITH g AS (
           SELECT g,
                  'OTP' || md5('r' || g) AS id,
                  'AC' || md5('acct' || CASE WHEN g % 2 = 0 THEN 0 ELSE 1 + (g / 2) % ${ACCOUNTS - 1} END) AS account,
                  (ARRAY['2FA','login','payments','signup','reset'])[1 + (g / 3) % 5] AS service,
                  CASE WHEN g % 10 < 8 THEN 'sms' WHEN g % 10 = 8 THEN 'call' ELSE 'email' END AS channel,
                  (g / 7) % 5 AS country_ix,
                  now() - make_interval(secs => (g::bigint * 7919) % (365 * 86400)) AS created,
                  CASE WHEN g % 100 < 55 THEN 'verified' WHEN g % 100 < 70 THEN 'expired' WHEN g % 100 < 85 THEN 'canceled'
                       WHEN g % 100 < 95 THEN 'pending' ELSE 'failed' END AS status,
                  CASE (g / 100) % 20 WHEN 0 THEN 'failed' WHEN 1 THEN 'undelivered' WHEN 2 THEN 'sent' WHEN 3 THEN 'sent' ELSE 'delivered' END AS delivery
             FROM generate_series($1::int, $2::int) g),
         r AS (
           SELECT g.*,
                  CASE WHEN channel = 'email' THEN NULL ELSE (ARRAY['US','IN','GB','DE','BR'])[1 + country_ix] END AS country,
                  CASE WHEN channel = 'email' THEN 'user' || g || '@example.com'
                       ELSE (ARRAY['+1415','+9199','+4474','+4915','+55119'])[1 + country_ix] || lpad(((g::bigint * 104729) % 10000000)::text, 8, '0') END AS dest,
                  to_char(created AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"') AS iso,
                  CASE WHEN delivery = 'failed' THEN 0 WHEN channel = 'email' THEN 100 WHEN channel = 'call' THEN 13000 ELSE 7900 END AS price
             FROM g)
         INSERT INTO sdr.records (request_id, account_sid, parent_account_sid, service, channel, destination, country_code, status,
                                  delivery_status, created_at, price_micros, record, updated_at)
         SELECT id, account, NULL, service, channel, dest, country, status, delivery, created, price,
                jsonb_build_object('requestId', id, 'accountSid', account, 'parentAccountSid', NULL, 'service', service, 'channel', channel,
                  'from', 'ACME', 'to', dest, 'countryCode', country, 'createdAt', iso, 'expiresAt', iso, 'source', 1, 'status', status,
                  'statusReason', NULL, 'statusKey', '', 'wrongAttempts', 0,
                  'times', CASE WHEN status = 'pending' THEN '{}'::jsonb ELSE jsonb_build_object(status, iso) END,
                  'attempts', jsonb_build_array(jsonb_build_object('dispatchId', id || '-1', 'seq', 1, 'channel', channel, 'to', dest,
                    'countryCode', country, 'provider', 'log', 'providerMessageId', 'pm' || g, 'status', delivery, 'error', NULL, 'attempt', 1,
                    'units', 1, 'priceMicros', price, 'dispatchedAt', iso, 'statusTimes', jsonb_build_object(delivery, iso), 'statusKey', '',
                    'updatedAt', iso))),
                created
           FROM r`,
        [from, to],
      );
      process.stderr.write(`seeded ${to} records\n`);
    }
    await c.query(`ALTER TABLE sdr.records SET LOGGED`);
    // The roll-ups the projection would have made from these records (see contributionOf).
    await c.query(
      `INSERT INTO sdr.usage_daily
       SELECT account_sid, (created_at AT TIME ZONE 'UTC')::date, service, channel, coalesce(country_code, ''), status, coalesce(delivery_status, ''),
              count(*), count(*) FILTER (WHERE delivery_status IS DISTINCT FROM 'failed'), count(*) FILTER (WHERE delivery_status = 'delivered'),
              count(*) FILTER (WHERE delivery_status IN ('failed', 'undelivered') OR status = 'failed'), count(*) FILTER (WHERE status = 'verified'),
              count(*) FILTER (WHERE status = 'canceled'), count(*) FILTER (WHERE status = 'expired'), sum(price_micros)
         FROM sdr.records GROUP BY 1, 2, 3, 4, 5, 6, 7`,
    );
    await c.query(
      `INSERT INTO sdr.usage_daily_summary
       SELECT account_sid, day, channel, country_code, status, sum(requests), sum(sent), sum(delivered), sum(failed), sum(verified),
              sum(canceled), sum(expired), sum(cost_micros)
         FROM sdr.usage_daily GROUP BY 1, 2, 3, 4, 5`,
    );
    await c.query(
      `INSERT INTO sdr.usage_monthly_summary
       SELECT account_sid, date_trunc('month', day)::date, channel, country_code, status, sum(requests), sum(sent), sum(delivered), sum(failed),
              sum(verified), sum(canceled), sum(expired), sum(cost_micros)
         FROM sdr.usage_daily_summary GROUP BY 1, 2, 3, 4, 5`,
    );
    await c.query(`VACUUM ANALYZE sdr.usage_daily_summary`);
    await c.query(`VACUUM ANALYZE sdr.usage_monthly_summary`);
    await c.query(`VACUUM ANALYZE sdr.records`);
    await c.query(`VACUUM ANALYZE sdr.usage_daily`);
    const [{ records, rollups, summary }] = (
      await c.query(
        `SELECT (SELECT count(*) FROM sdr.records)::int AS records, (SELECT count(*) FROM sdr.usage_daily)::int AS rollups,
                (SELECT count(*) FROM sdr.usage_daily_summary)::int AS summary`,
      )
    ).rows;
    process.stderr.write(
      `seeded ${records} records, ${rollups} roll-up rows and ${summary} summary rows in ${((performance.now() - t0) / 1000).toFixed(1)} s\n`,
    );
  });
  return accountsOf(url);
}

/** The big account, a small one, all of them, and one record of the big one to look up. */
async function accountsOf(url) {
  return withClient(url, async (c) => {
    const big = (await c.query(`SELECT 'AC' || md5('acct0') AS sid`)).rows[0].sid;
    const small = (await c.query(`SELECT 'AC' || md5('acct1') AS sid`)).rows[0].sid;
    const sample = (
      await c.query(
        `SELECT request_id, destination FROM sdr.records WHERE account_sid = $1 AND channel = 'sms' LIMIT 1`,
        [big],
      )
    ).rows[0];
    if (!sample)
      throw new Error(`${SCRATCH} holds no seeded records: run without BENCH_REUSE first (with BENCH_KEEP=true)`);
    return {
      big,
      small,
      all: (await c.query(`SELECT DISTINCT account_sid FROM sdr.usage_daily`)).rows.map((r) => r.account_sid),
      sample,
    };
  });
}

async function report(nc, prefix, url, { big, small, all, sample }) {
  const { big: bigCount } = await withClient(
    url,
    async (c) => (await c.query(`SELECT count(*)::int AS big FROM sdr.records WHERE account_sid = $1`, [big])).rows[0],
  );
  const year = new Date().getUTCFullYear();
  const mine = { accountSids: [big], callerSid: big };
  const scenarios = [
    ['search, newest first (default)', 'sdr.v1.search', mine],
    ['search, status=failed', 'sdr.v1.search', { ...mine, status: 'failed' }],
    [
      'search, countryCode=IN + deliveryStatus=undelivered',
      'sdr.v1.search',
      { ...mine, countryCode: 'IN', deliveryStatus: 'undelivered' },
    ],
    ['search, to=<one number>', 'sdr.v1.search', { ...mine, to: sample.destination }],
    [
      'search, service + channel + last 30 days',
      'sdr.v1.search',
      { ...mine, service: 'payments', channel: 'call', startTime: new Date(Date.now() - 30 * 86400e3).toISOString() },
    ],
    ['search, SortBy=price:desc, pageSize=100', 'sdr.v1.search', { ...mine, SortBy: 'price:desc', pageSize: 100 }],
    ['search, page 100 of 10', 'sdr.v1.search', { ...mine, page: 100 }],
    ['search, small account', 'sdr.v1.search', { accountSids: [small], callerSid: small }],
    ['search, parent + 19 sub-accounts (all 1M)', 'sdr.v1.search', { accountSids: all, callerSid: big }],
    ['get one record', 'sdr.v1.get', { accountSids: [big], callerSid: big, requestId: sample.request_id }],
    ['usage, day, one year', 'sdr.v1.usage', { accountSids: [big], granularity: 'day' }],
    ['usage, month, one year', 'sdr.v1.usage', { accountSids: [big], granularity: 'month' }],
    ['usage, year, all accounts', 'sdr.v1.usage', { accountSids: all, granularity: 'year' }],
    [
      'usage, month, channel=sms + countryCode=US',
      'sdr.v1.usage',
      { accountSids: [big], granularity: 'month', channel: 'sms', countryCode: 'US' },
    ],
    [
      'usage, day, status=verified, this year',
      'sdr.v1.usage',
      { accountSids: [big], granularity: 'day', status: 'verified', startTime: `${year}-01-01` },
    ],
    [
      'usage, month, to=<one number> (from records)',
      'sdr.v1.usage',
      { accountSids: [big], granularity: 'month', to: sample.destination },
    ],
  ];
  const rows = [];
  for (const [name, subject, payload] of scenarios) {
    const data = Buffer.from(JSON.stringify(payload));
    const ask = async () => {
      const msg = await nc.request(`${prefix}.${subject}`, data, { timeout: 30_000 });
      const reply = JSON.parse(Buffer.from(msg.data).toString());
      if (reply.code !== 200) throw new Error(`${name}: ${JSON.stringify(reply)}`);
      return reply;
    };
    for (let i = 0; i < 10; i++) await ask();
    const times = [];
    let last;
    for (let i = 0; i < N; i++) {
      const t = performance.now();
      last = await ask();
      times.push(performance.now() - t);
    }
    times.sort((a, b) => a - b);
    const size =
      subject === 'sdr.v1.search'
        ? `total ${last.data.total}`
        : subject === 'sdr.v1.usage'
          ? `${last.data.periods.length} periods`
          : '1 record';
    rows.push({
      query: name,
      result: size,
      p50: times[Math.floor(N * 0.5)],
      p99: times[Math.min(N - 1, Math.floor(N * 0.99))],
    });
  }
  const os = require('node:os');
  process.stdout.write(
    `\nsdr benchmark: ${RECORDS.toLocaleString('en')} records (${bigCount.toLocaleString('en')} on the searched account), ` +
      `${N} sequential requests per query over NATS\nmachine: ${os.cpus()[0].model}, ${os.cpus().length} cores, ${(os.totalmem() / 2 ** 30).toFixed(0)} GiB, Node ${process.version}\n\n`,
  );
  const w = Math.max(...rows.map((r) => r.query.length));
  process.stdout.write(
    `${'query'.padEnd(w)}  ${'result'.padEnd(16)} ${'p50 ms'.padStart(8)} ${'p99 ms'.padStart(8)}\n`,
  );
  for (const r of rows)
    process.stdout.write(
      `${r.query.padEnd(w)}  ${r.result.padEnd(16)} ${r.p50.toFixed(1).padStart(8)} ${r.p99.toFixed(1).padStart(8)}\n`,
    );
}

main().then(
  () => process.exit(0),
  (error) => {
    process.stderr.write(`bench:sdr failed: ${error.stack ?? error}\n`);
    process.exit(1);
  },
);
