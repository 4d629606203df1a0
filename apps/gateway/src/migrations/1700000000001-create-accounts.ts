import type { MigrationInterface, QueryRunner } from 'typeorm';

export class CreateAccounts1700000000001 implements MigrationInterface {
  name = 'CreateAccounts1700000000001';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE TABLE gateway.accounts (
        sid           text PRIMARY KEY,
        email         text NOT NULL,
        friendly_name text,
        parent_sid    text REFERENCES gateway.accounts (sid),
        token_hash    text NOT NULL,
        created_at    timestamptz NOT NULL
      )`);
    await q.query(`CREATE INDEX accounts_parent ON gateway.accounts (parent_sid) WHERE parent_sid IS NOT NULL`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TABLE gateway.accounts`);
  }
}
