import type { MigrationInterface, QueryRunner } from 'typeorm';

/** The fraud guard's per-account settings, geo permissions and safe list (SPEC 12). */
export class CreateFraud1700000000014 implements MigrationInterface {
  name = 'CreateFraud1700000000014';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE TABLE limiter.fraud_settings (
        account_sid  text PRIMARY KEY,
        mode         text NOT NULL,
        level        text NOT NULL,
        allow_bypass boolean NOT NULL,
        updated_at   timestamptz NOT NULL
      )`);
    await q.query(`
      CREATE TABLE limiter.fraud_geo_permissions (
        account_sid  text NOT NULL,
        country_code text NOT NULL,
        sms          text NOT NULL,
        call         text NOT NULL,
        updated_at   timestamptz NOT NULL,
        PRIMARY KEY (account_sid, country_code)
      )`);
    await q.query(`
      CREATE TABLE limiter.fraud_safe_list (
        id          text PRIMARY KEY,
        account_sid text NOT NULL,
        kind        text NOT NULL,
        value       text NOT NULL,
        description text,
        created_at  timestamptz NOT NULL,
        expires_at  timestamptz
      )`);
    await q.query(`CREATE INDEX fraud_safe_list_account ON limiter.fraud_safe_list (account_sid, created_at, id)`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TABLE limiter.fraud_safe_list`);
    await q.query(`DROP TABLE limiter.fraud_geo_permissions`);
    await q.query(`DROP TABLE limiter.fraud_settings`);
  }
}
