import type { MigrationInterface, QueryRunner } from 'typeorm';

const DIMENSIONS = ['service', 'destination', 'channel', 'status', 'delivery_status', 'country_code'];
const COUNTERS = ['requests', 'sent', 'delivered', 'failed', 'verified', 'canceled', 'expired', 'cost_micros']
  .map((c) => `${c} bigint NOT NULL`)
  .join(',\n        ');

export class CreateSdrTables1700000000003 implements MigrationInterface {
  name = 'CreateSdrTables1700000000003';

  async up(q: QueryRunner): Promise<void> {
    // One row per OTP request. The filter columns are copied out of `record` (the whole folded
    // record, see sdr-record.ts) so that each has an index; `record` is what queries return.
    await q.query(`
      CREATE TABLE sdr.records (
        request_id         text PRIMARY KEY,
        account_sid        text NOT NULL,
        parent_account_sid text,
        service            text NOT NULL,
        channel            text NOT NULL,
        destination        text NOT NULL,
        country_code       text,
        status             text NOT NULL,
        delivery_status    text,
        created_at         timestamptz NOT NULL,
        price_micros       bigint NOT NULL,
        record             jsonb NOT NULL,
        updated_at         timestamptz NOT NULL
      )`);
    // Every search is scoped to accounts and pages by creation time.
    await q.query(`CREATE INDEX records_account_created ON sdr.records (account_sid, created_at, request_id)`);
    // One per filter, each leading with the account so that a filtered page is an index range.
    for (const column of DIMENSIONS) {
      await q.query(
        `CREATE INDEX records_account_${column}_created ON sdr.records (account_sid, ${column}, created_at)`,
      );
    }
    // Sorting by price.
    await q.query(`CREATE INDEX records_account_price_created ON sdr.records (account_sid, price_micros, created_at)`);
    // Per-event de-duplication: an event changes the tables once, however often it arrives.
    await q.query(`
      CREATE TABLE sdr.processed_events (
        event_id     text PRIMARY KEY,
        request_id   text NOT NULL,
        processed_at timestamptz NOT NULL
      )`);
    // Daily roll-ups: each record counts in exactly one row of each table (its contribution
    // moves between rows as its status changes, in the same transaction as the record).
    // usage_daily has every filterable dimension; usage_daily_summary only those most reports
    // need (account, day, channel, country, status), so it stays small: at most
    // channels x countries x statuses rows per account and day, however many requests.
    await q.query(`
      CREATE TABLE sdr.usage_daily (
        account_sid     text NOT NULL,
        day             date NOT NULL,
        service         text NOT NULL,
        channel         text NOT NULL,
        country_code    text NOT NULL,
        status          text NOT NULL,
        delivery_status text NOT NULL,
        ${COUNTERS},
        PRIMARY KEY (account_sid, day, service, channel, country_code, status, delivery_status)
      )`);
    await q.query(`
      CREATE TABLE sdr.usage_daily_summary (
        account_sid     text NOT NULL,
        day             date NOT NULL,
        channel         text NOT NULL,
        country_code    text NOT NULL,
        status          text NOT NULL,
        ${COUNTERS},
        PRIMARY KEY (account_sid, day, channel, country_code, status)
      )`);
    // The same per month, for monthly and yearly reports over whole months.
    await q.query(`
      CREATE TABLE sdr.usage_monthly_summary (
        account_sid     text NOT NULL,
        month           date NOT NULL,
        channel         text NOT NULL,
        country_code    text NOT NULL,
        status          text NOT NULL,
        ${COUNTERS},
        PRIMARY KEY (account_sid, month, channel, country_code, status)
      )`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TABLE sdr.usage_monthly_summary`);
    await q.query(`DROP TABLE sdr.usage_daily_summary`);
    await q.query(`DROP TABLE sdr.usage_daily`);
    await q.query(`DROP TABLE sdr.processed_events`);
    await q.query(`DROP TABLE sdr.records`);
  }
}
