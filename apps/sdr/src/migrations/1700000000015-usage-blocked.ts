import type { MigrationInterface, QueryRunner } from 'typeorm';

const TABLES = ['usage_daily', 'usage_daily_summary', 'usage_monthly_summary'];

/** Usage counts sends the fraud guard blocked and what they would have cost (SPEC 12). */
export class UsageBlocked1700000000015 implements MigrationInterface {
  name = 'UsageBlocked1700000000015';

  async up(q: QueryRunner): Promise<void> {
    for (const table of TABLES) {
      await q.query(
        `ALTER TABLE sdr.${table} ADD COLUMN blocked bigint NOT NULL DEFAULT 0, ADD COLUMN cost_avoided_micros bigint NOT NULL DEFAULT 0`,
      );
    }
  }

  async down(q: QueryRunner): Promise<void> {
    for (const table of TABLES)
      await q.query(`ALTER TABLE sdr.${table} DROP COLUMN blocked, DROP COLUMN cost_avoided_micros`);
  }
}
