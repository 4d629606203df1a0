import type { MigrationInterface, QueryRunner } from 'typeorm';

/** Dispatches of a request (the first and its fallback steps) and the status callback URL. */
export class CreateDispatches1700000000001 implements MigrationInterface {
  name = 'CreateDispatches1700000000001';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE otp.otp_requests ADD COLUMN status_callback text`);
    await q.query(`
      CREATE TABLE otp.dispatches (
        id              text PRIMARY KEY,
        request_id      text NOT NULL REFERENCES otp.otp_requests (id) ON DELETE CASCADE,
        seq             integer NOT NULL,
        channel         text NOT NULL,
        destination     text NOT NULL,
        after_seconds   integer NOT NULL DEFAULT 0,
        state           text NOT NULL CHECK (state IN ('planned', 'dispatched', 'skipped')),
        delivery_status text CHECK (delivery_status IN ('queued', 'sent', 'delivered', 'undelivered', 'failed')),
        due_at          timestamptz,
        sealed_message  text,
        dispatched_at   timestamptz,
        updated_at      timestamptz NOT NULL,
        UNIQUE (request_id, seq)
      )`);
    // The poller finds the steps that are due without scanning.
    await q.query(
      `CREATE INDEX dispatches_due ON otp.dispatches (due_at) WHERE state = 'planned' AND due_at IS NOT NULL`,
    );
    // Steps of ended requests are skipped (and their sealed text dropped) by the sweeper.
    await q.query(`CREATE INDEX dispatches_planned ON otp.dispatches (request_id) WHERE state = 'planned'`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TABLE otp.dispatches`);
    await q.query(`ALTER TABLE otp.otp_requests DROP COLUMN status_callback`);
  }
}
