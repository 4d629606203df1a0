import { dispatchIdOf, type DeliveryStatus } from '@app/contracts';
import { createServiceDataSource, migrate } from '@app/platform';
import type { DataSource } from 'typeorm';
import { OTP_DATABASE } from '../../apps/otp-core/src/otp-core.database';
import {
  type DeliveryStatusChange,
  type OtpRepository,
  PostgresOtpRepository,
} from '../../apps/otp-core/src/otp.repository';
import { InMemoryOtpRepository, pendingRow } from '../../apps/otp-core/src/otp.repository.fake';
import { serviceUrls } from '../support/services';
import { createTestDatabase } from '../support/test-database';

/**
 * Delivery statuses written in batches (OtpRepository.advanceDeliveryStatuses), against
 * Postgres and, with the same expectations, the in-memory fake the unit tier runs on: statuses
 * only move forward, a dispatch named twice in one batch keeps its highest, unknown ids change
 * nothing, and each change is answered for itself.
 */
describe('OTP repository: delivery statuses in batches', () => {
  let database: { url: string; drop: () => Promise<void> };
  let db: DataSource;
  let postgres: PostgresOtpRepository;
  const t0 = new Date('2026-01-01T00:00:00Z');
  const at = (s: number) => new Date(t0.getTime() + s * 1000);
  let n = 0;

  /** A request with `count` dispatches, in both repositories; their ids. */
  const request = async (fake: OtpRepository, count = 2): Promise<string[]> => {
    const row = pendingRow(t0, { id: `OTP${String(++n).padStart(32, '0')}`, destination: `+1415555${1000 + n}` });
    const dispatches = Array.from({ length: count }, (_, i) => ({
      id: dispatchIdOf(row.id, i + 1),
      requestId: row.id,
      seq: i + 1,
      channel: 'sms' as const,
      destination: row.destination,
      afterSeconds: 30,
      state: 'dispatched' as const,
      dueAt: null,
      sealedMessage: null,
      dispatchedAt: t0,
      updatedAt: t0,
    }));
    for (const repo of [postgres, fake]) {
      await repo.insert(row);
      await repo.insertDispatches(dispatches);
    }
    return dispatches.map((d) => d.id);
  };
  const change = (dispatchId: string, status: DeliveryStatus, s: number): DeliveryStatusChange => ({
    dispatchId,
    status,
    at: at(s),
  });
  const stored = async (id: string) => {
    const [row] = (await db.query('SELECT delivery_status, updated_at FROM otp.dispatches WHERE id = $1', [id])) as {
      delivery_status: DeliveryStatus | null;
      updated_at: Date;
    }[];
    return { deliveryStatus: row.delivery_status, updatedAt: row.updated_at };
  };
  /** Runs the same batch on both; they must answer alike and store alike. */
  const both = async (fake: InMemoryOtpRepository, changes: DeliveryStatusChange[]) => {
    const answers = await postgres.advanceDeliveryStatuses(changes);
    expect(await fake.advanceDeliveryStatuses(changes)).toEqual(answers);
    for (const id of new Set(changes.map((c) => c.dispatchId))) {
      const d = fake.dispatch(id);
      expect(d ? { deliveryStatus: d.deliveryStatus, updatedAt: d.updatedAt } : undefined).toEqual(
        d ? await stored(id) : undefined,
      );
    }
    return answers;
  };

  beforeAll(async () => {
    database = await createTestDatabase(serviceUrls().databaseUrl);
    db = createServiceDataSource(database.url, 4, OTP_DATABASE);
    await db.initialize();
    await migrate(db, OTP_DATABASE.schema);
    postgres = new PostgresOtpRepository(db);
  });

  afterAll(async () => {
    await db?.destroy();
    await database?.drop();
  });

  it('writes each change that moves its dispatch forward, and answers each', async () => {
    const fake = new InMemoryOtpRepository();
    const [a, b] = await request(fake);
    const [c] = await request(fake, 1);
    expect(await both(fake, [change(a, 'queued', 1), change(b, 'sent', 1), change(c, 'delivered', 1)])).toEqual([
      true,
      true,
      true,
    ]);
    expect(await both(fake, [change(a, 'sent', 2), change(b, 'sent', 2), change(c, 'queued', 2)])).toEqual([
      true,
      false,
      false,
    ]);
    expect(await stored(a)).toEqual({ deliveryStatus: 'sent', updatedAt: at(2) });
    expect(await stored(c)).toEqual({ deliveryStatus: 'delivered', updatedAt: at(1) });
  });

  it('never moves a status back, whatever order the changes come in', async () => {
    const fake = new InMemoryOtpRepository();
    const [a, b] = await request(fake);
    await both(fake, [change(a, 'delivered', 1), change(b, 'failed', 1)]);
    expect(
      await both(fake, [
        change(a, 'sent', 2),
        change(a, 'queued', 3),
        change(b, 'delivered', 2),
        change(b, 'undelivered', 3),
      ]),
    ).toEqual([false, false, false, false]);
    expect(await stored(a)).toEqual({ deliveryStatus: 'delivered', updatedAt: at(1) });
    expect(await stored(b)).toEqual({ deliveryStatus: 'failed', updatedAt: at(1) });
  });

  it('keeps the highest change of a dispatch named twice in one batch, the first of equals', async () => {
    const fake = new InMemoryOtpRepository();
    const [a, b] = await request(fake);
    const [c] = await request(fake, 1);
    expect(
      await both(fake, [
        change(a, 'queued', 1),
        change(a, 'delivered', 3),
        change(a, 'sent', 2),
        change(b, 'sent', 4),
        change(b, 'sent', 5),
        change(c, 'queued', 6),
        change(c, 'queued', 7),
      ]),
    ).toEqual([false, true, false, true, false, true, false]);
    expect(await stored(a)).toEqual({ deliveryStatus: 'delivered', updatedAt: at(3) });
    expect(await stored(b)).toEqual({ deliveryStatus: 'sent', updatedAt: at(4) });
    expect(await stored(c)).toEqual({ deliveryStatus: 'queued', updatedAt: at(6) });
  });

  it('answers false for dispatches that are not ours, and still writes the others', async () => {
    const fake = new InMemoryOtpRepository();
    const [a] = await request(fake, 1);
    expect(
      await both(fake, [
        change('OTPffffffffffffffffffffffffffffffff-1', 'sent', 1),
        change(a, 'sent', 1),
        change(dispatchIdOf('OTP' + 'e'.repeat(32), 9), 'delivered', 1),
      ]),
    ).toEqual([false, true, false]);
    expect(await postgres.advanceDeliveryStatuses([])).toEqual([]);
  });

  // Both batches lock their rows in (request, seq) order whatever the plan (the statement's
  // `locked` step), the order a failure's transaction locks a request's dispatches in.
  it('lets overlapping batches and a failure being handled run at once without deadlock', async () => {
    const fake = new InMemoryOtpRepository();
    const ids = [...(await request(fake, 3)), ...(await request(fake, 3)), ...(await request(fake, 3))];
    const statuses: DeliveryStatus[] = ['queued', 'sent', 'delivered'];
    for (let round = 0; round < 3; round++) {
      const forward = ids.map((id) => change(id, statuses[round], round));
      const results = await Promise.all([
        postgres.advanceDeliveryStatuses(forward),
        postgres.advanceDeliveryStatuses([...forward].reverse()),
        postgres.transaction(async (tx) => {
          const locked = await tx.lockDispatchesOf(ids[4], at(round));
          await new Promise((resolve) => setTimeout(resolve, 20));
          return locked?.dispatches.length;
        }),
      ]);
      // Each change is written by exactly one of the two batches.
      const [one, two] = [results[0], [...results[1]].reverse()];
      expect(one.map((w, i) => w !== two[i])).toEqual(ids.map(() => true));
      expect(results[2]).toBe(3);
    }
    for (const id of ids) expect((await stored(id)).deliveryStatus).toBe('delivered');
  });
});
