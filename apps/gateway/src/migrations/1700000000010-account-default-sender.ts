import type { MigrationInterface, QueryRunner } from 'typeorm';

/** The sender `POST /otp/generate` uses when a request names none (seed 003: "if the user allows it"). */
export class AccountDefaultSender1700000000010 implements MigrationInterface {
  name = 'AccountDefaultSender1700000000010';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE gateway.accounts ADD COLUMN IF NOT EXISTS default_sender text`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE gateway.accounts DROP COLUMN default_sender`);
  }
}
