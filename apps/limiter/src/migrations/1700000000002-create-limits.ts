import type { MigrationInterface, QueryRunner } from 'typeorm';

export class CreateLimits1700000000002 implements MigrationInterface {
  name = 'CreateLimits1700000000002';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE TABLE limiter.limits (
        sid              text PRIMARY KEY,
        account_sid      text NOT NULL,
        account_email    text,
        created_by       text NOT NULL,
        created_by_email text,
        name             text NOT NULL,
        description      text,
        buckets          jsonb NOT NULL,
        created_at       timestamptz NOT NULL,
        updated_at       timestamptz NOT NULL
      )`);
    // A name is unique in its account (492), and sends look limits up by it.
    await q.query(`CREATE UNIQUE INDEX limits_account_name ON limiter.limits (account_sid, name)`);
    // Searches list an account's limits by creation time.
    await q.query(`CREATE INDEX limits_account_created ON limiter.limits (account_sid, created_at, sid)`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TABLE limiter.limits`);
  }
}
