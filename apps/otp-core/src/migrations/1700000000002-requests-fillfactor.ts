import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Room on every page of `otp_requests` for the updates a request gets (an attempt, its end):
 * an update that changes no indexed column then stays on its page (a HOT update) and writes no
 * index entry. Pages written before keep their fill until they are rewritten.
 */
export class RequestsFillfactor1700000000002 implements MigrationInterface {
  name = 'RequestsFillfactor1700000000002';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE otp.otp_requests SET (fillfactor = 80)`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE otp.otp_requests RESET (fillfactor)`);
  }
}
