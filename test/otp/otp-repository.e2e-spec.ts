import { createServiceDataSource, migrate } from '@app/platform';
import type { DataSource } from 'typeorm';
import { OTP_DATABASE } from '../../apps/otp-core/src/otp-core.database';
import { OtpRequestEntity } from '../../apps/otp-core/src/otp-request.entity';
import { type OtpRepository, PostgresOtpRepository } from '../../apps/otp-core/src/otp.repository';
import { serviceUrls } from '../support/services';
import { createTestDatabase } from '../support/test-database';

/**
 * The one definition of "live" (OtpRepository): expiry and guard time hold to the second
 * against the caller's clock, whatever the stored status says, and a transition happens once.
 */
describe('OTP repository: live, to the second', () => {
  let database: { url: string; drop: () => Promise<void> };
  let db: DataSource;
  let repo: OtpRepository;
  const t0 = new Date('2026-01-01T00:00:00Z');
  const at = (s: number) => new Date(t0.getTime() + s * 1000);
  let n = 0;

  const pending = async (overrides: Partial<OtpRequestEntity> = {}) => {
    const row = Object.assign(new OtpRequestEntity(), {
      id: `OTP${String(++n).padStart(32, '0')}`,
      accountSid: 'AC' + '1'.repeat(32),
      parentAccountSid: null,
      service: 'login',
      channel: 'sms' as const,
      from: 'ACME',
      destination: `+1415555${String(1000 + n)}`,
      codeHash: 'h',
      status: 'pending' as const,
      statusReason: null,
      attempts: 0,
      maxAttempts: 2,
      createdAt: t0,
      expiresAt: at(300),
      guardUntil: null,
      endedAt: null,
      recipientIp: null,
      idempotencyKey: null,
      requestHash: null,
      statusCallback: null,
      ...overrides,
    });
    await repo.insert(row);
    return row;
  };
  const lookAt = (row: OtpRequestEntity, s: number) => repo.findLive(row.accountSid, { requestId: row.id }, at(s));
  const attempt = (row: OtpRequestEntity, s: number) => repo.countAttempt(row.accountSid, { requestId: row.id }, at(s));
  const outboxOf = (requestId: string) =>
    db.query(`SELECT msg_id FROM otp.outbox WHERE payload->'data'->>'requestId' = $1 ORDER BY id`, [requestId]);
  const message = (requestId: string, msgId: string) => ({
    subject: 'otp.v1.events.verified',
    msgId,
    payload: { data: { requestId } },
    requestId: null,
    createdAt: at(0),
  });

  beforeAll(async () => {
    database = await createTestDatabase(serviceUrls().databaseUrl);
    db = createServiceDataSource(database.url, 2, OTP_DATABASE);
    await db.initialize();
    await migrate(db, OTP_DATABASE.schema);
    repo = new PostgresOtpRepository(db);
  });

  afterAll(async () => {
    await db?.destroy();
    await database?.drop();
  });

  it('holds expiry to the second', async () => {
    const row = await pending();
    expect((await lookAt(row, 299.999)).live.map((r) => r.id)).toEqual([row.id]);
    const after = await lookAt(row, 300);
    expect(after.live).toEqual([]);
    expect(after.newest?.effectiveStatus).toBe('expired');
    expect((await attempt(row, 300)).attempts).toBeUndefined();
    expect(await repo.transition(row.id, { status: 'verified', reason: null }, at(300))).toBeUndefined();
  });

  it('cancels a superseded request when its guard time ends, before its expiry', async () => {
    const row = await pending();
    await repo.guardLive(row, at(0), at(30));
    expect((await lookAt(row, 29)).newest?.effectiveStatus).toBe('pending');
    expect((await lookAt(row, 30)).newest?.effectiveStatus).toBe('canceled');
    const { guardEnded } = await repo.endElapsed(at(30), 100);
    expect(guardEnded.map((r) => [r.id, r.status, r.statusReason])).toEqual([
      [row.id, 'canceled', 'guard_time_elapsed'],
    ]);
  });

  it('keeps a final status as stored, and ends a request once', async () => {
    const row = await pending();
    expect((await attempt(row, 1)).attempts).toBe(1);
    expect((await attempt(row, 1)).attempts).toBe(2);
    expect((await attempt(row, 1)).attempts).toBeUndefined(); // attempts exhausted
    const [first, second] = await Promise.all([
      repo.transition(row.id, { status: 'verified', reason: null }, at(2)),
      repo.transition(row.id, { status: 'verified', reason: null }, at(2)),
    ]);
    expect([first, second].filter(Boolean)).toHaveLength(1);
    expect((await repo.find(row.id, at(1000)))?.effectiveStatus).toBe('verified');
    const failed = await pending();
    await repo.transition(failed.id, { status: 'failed', reason: 'attempts_exhausted' }, at(400), 'pending');
    expect((await repo.find(failed.id, at(1)))?.effectiveStatus).toBe('failed');
  });

  it('counts an attempt on the newest live request of a destination and reads the hashes of all live ones', async () => {
    const older = await pending({ codeHash: 'older', createdAt: at(0) });
    await repo.guardLive(older, at(1), at(60));
    const newer = await pending({ codeHash: 'newer', destination: older.destination, createdAt: at(1) });
    const ended = await pending({ destination: older.destination, createdAt: at(2), status: 'verified' });
    const target = { service: 'login', destination: older.destination };
    const first = await repo.countAttempt(older.accountSid, target, at(2));
    expect(first.newest?.id).toBe(ended.id);
    expect(first.live.map((r) => r.id)).toEqual([newer.id, older.id]);
    expect(first.attempts).toBe(1);
    expect(first.hashes).toEqual(
      new Map([
        [newer.id, 'newer'],
        [older.id, 'older'],
      ]),
    );
    expect([...first.withSiblings].sort()).toEqual([newer.id, older.id].sort());
    expect((await repo.find(newer.id, at(2)))?.attempts).toBe(1);
    expect((await repo.find(older.id, at(2)))?.attempts).toBe(0);
    // Once the guard time ends, the newer one stands alone.
    const later = await repo.countAttempt(older.accountSid, target, at(60));
    expect(later.live.map((r) => r.id)).toEqual([newer.id]);
    expect(later.attempts).toBe(2);
    // The guard time elapsed but the sweeper has not run: still pending as stored, so a sibling.
    expect([...later.withSiblings]).toEqual([newer.id]);
    await repo.endElapsed(at(60), 100);
    expect([...(await repo.countAttempt(older.accountSid, target, at(60))).withSiblings]).toEqual([]);
  });

  it('counts parallel attempts one each, never past the maximum', async () => {
    const row = await pending({ maxAttempts: 3 });
    const results = await Promise.all(Array.from({ length: 6 }, () => attempt(row, 1)));
    expect(results.map((r) => r.attempts).sort()).toEqual([1, 2, 3, undefined, undefined, undefined]);
  });

  it('writes the messages of a transition in its statement, only when the request ended', async () => {
    const row = await pending();
    const [first, second] = await Promise.all([
      repo.transitionAlone(row.id, { status: 'verified', reason: null }, at(1), [message(row.id, `${row.id}-a`)]),
      repo.transitionAlone(row.id, { status: 'verified', reason: null }, at(1), [message(row.id, `${row.id}-b`)]),
    ]);
    const won = [first, second].filter(Boolean);
    expect(won).toHaveLength(1);
    expect(await outboxOf(row.id)).toEqual([{ msg_id: won[0]![0].msgId }]);
    expect(won[0]![0].id).toMatch(/^\d+$/);
    const late = await pending();
    expect(
      await repo.transitionAlone(late.id, { status: 'canceled', reason: 'x' }, at(300), [
        message(late.id, `${late.id}-c`),
      ]),
    ).toBeUndefined();
    expect(await outboxOf(late.id)).toEqual([]);
    expect((await repo.find(late.id, at(1)))?.status).toBe('pending');
  });
});
