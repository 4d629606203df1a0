import type { MigrationInterface, QueryRunner } from 'typeorm';

export class CreateOtpTables1700000000000 implements MigrationInterface {
  name = 'CreateOtpTables1700000000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE TABLE otp.otp_requests (
        id                 text PRIMARY KEY,
        account_sid        text NOT NULL,
        parent_account_sid text,
        service            text NOT NULL,
        channel            text NOT NULL,
        from_address       text NOT NULL,
        destination        text NOT NULL,
        code_hash          text NOT NULL,
        status             text NOT NULL CHECK (status IN ('pending', 'verified', 'canceled', 'expired', 'failed')),
        status_reason      text,
        attempts           integer NOT NULL DEFAULT 0,
        max_attempts       integer NOT NULL,
        created_at         timestamptz NOT NULL,
        expires_at         timestamptz NOT NULL,
        guard_until        timestamptz,
        ended_at           timestamptz,
        recipient_ip       text,
        idempotency_key    text,
        request_hash       text
      )`);
    // Verify by number and supersede look up the newest requests of one destination.
    await q.query(
      `CREATE INDEX otp_requests_live_by_destination ON otp.otp_requests (account_sid, service, destination, created_at DESC)`,
    );
    await q.query(
      `CREATE INDEX otp_requests_parent ON otp.otp_requests (parent_account_sid) WHERE parent_account_sid IS NOT NULL`,
    );
    // The sweeper finds what expired, or whose guard time elapsed, without scanning.
    await q.query(`CREATE INDEX otp_requests_pending_expiry ON otp.otp_requests (expires_at) WHERE status = 'pending'`);
    await q.query(
      `CREATE INDEX otp_requests_pending_guard ON otp.otp_requests (guard_until) WHERE status = 'pending' AND guard_until IS NOT NULL`,
    );
    await q.query(
      `CREATE UNIQUE INDEX otp_requests_idempotency ON otp.otp_requests (account_sid, idempotency_key) WHERE idempotency_key IS NOT NULL`,
    );
    await q.query(`
      CREATE TABLE otp.outbox (
        id         bigserial PRIMARY KEY,
        subject    text NOT NULL,
        msg_id     text NOT NULL,
        payload    jsonb NOT NULL,
        request_id text,
        created_at timestamptz NOT NULL
      )`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TABLE otp.outbox`);
    await q.query(`DROP TABLE otp.otp_requests`);
  }
}
