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
    expect(await repo.countAttempt(row.id, at(300))).toBeUndefined();
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
    expect(await repo.countAttempt(row.id, at(1))).toBe(1);
    expect(await repo.countAttempt(row.id, at(1))).toBe(2);
    expect(await repo.countAttempt(row.id, at(1))).toBeUndefined(); // attempts exhausted
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
});
