import { streamName, Streams } from '@app/contracts';
import { createServiceDataSource, decodeJson, migrate } from '@app/platform';
import { randomUUID } from 'node:crypto';
import { OtpSweeper } from '../../apps/otp-core/src/otp-sweeper';
import { PriceTable } from '../../apps/sdr/src/prices/price-table';
import { parseSdrEvent, type SdrEvent } from '../../apps/sdr/src/records/sdr-event';
import { PostgresSdrRecordsRepository } from '../../apps/sdr/src/records/sdr-records.repository';
import { SdrStore } from '../../apps/sdr/src/records/sdr-store';
import { SDR_DATABASE } from '../../apps/sdr/src/sdr.database';
import { sdrService } from '../../apps/sdr/src/sdr.definition';
import { eventually } from '../support/eventually';
import { type Credentials, http } from '../support/http';
import { createAccount, readCode, sendOtp, uniqueNumber, wrongCode } from '../support/otp-helpers';
import { startStack, type Stack } from '../support/stack';
import { createTestDatabase } from '../support/test-database';
import { publishDeliveryStatus, sdrTables, testPriceFile } from './sdr-helpers';

/**
 * The projection is a function of the event stream: replaying it from the start into empty
 * tables (in order, or in any other order) gives the same records and roll-ups, and an event
 * delivered twice changes nothing.
 */
describe('SDR replay and idempotency', () => {
  let stack: Stack;
  let parent: Credentials;
  let sub: Credentials;
  const priceFile = testPriceFile();
  const extraDatabases: { drop(): Promise<void> }[] = [];

  const stream = () => streamName(stack.env.NATS_PREFIX, Streams.otpEvents);
  const caughtUp = async (durable: string) => {
    const jsm = await stack.nc.jetstreamManager();
    const streamInfo = await jsm.streams.info(stream());
    const info = await jsm.consumers.info(stream(), durable);
    expect(info.delivered.stream_seq).toBe(streamInfo.state.last_seq);
    expect(info.num_pending).toBe(0);
    expect(info.num_ack_pending).toBe(0);
  };
  /** Every event of the stream, in stream order. */
  const allEvents = async (): Promise<{ seq: number; subject: string; raw: Uint8Array; event: SdrEvent }[]> => {
    const jsm = await stack.nc.jetstreamManager();
    const { state } = await jsm.streams.info(stream());
    const out = [];
    for (let seq = state.first_seq; seq <= state.last_seq; seq++) {
      const m = await jsm.streams.getMessage(stream(), { seq });
      out.push({ seq, subject: m.subject, raw: m.data, event: parseSdrEvent(decodeJson(m.data))! });
    }
    return out;
  };

  beforeAll(async () => {
    stack = await startStack({ env: { DEFAULT_LIMIT_MAX: '1000', SDR_PRICES_FILE: priceFile } });
    parent = await createAccount(stack);
    sub = await createAccount(stack, parent);
    const verify = (auth: Credentials, body: object) => http(stack.url, 'POST', '/2fa/verify', { auth, body });

    // A mix: verified after wrong codes, canceled, superseded, expired, locked, failed and
    // delivered out of order, to numbers of several countries.
    for (const [i, to] of [uniqueNumber(), '+919960639903', '+447400123456', uniqueNumber()].entries()) {
      const who = i % 2 ? sub : parent;
      const id = await sendOtp(stack, who, to, { maxWrongAttempts: 2 });
      const code = await readCode(stack, who, to, id);
      const request = {
        requestId: id,
        accountSid: who.accountSid,
        parentAccountSid: who === sub ? parent.accountSid : null,
        to,
      };
      if (i === 0) {
        await verify(who, { requestId: id, code: wrongCode(code) });
        await publishDeliveryStatus(stack, request, 'delivered', { units: 3 });
        await publishDeliveryStatus(stack, request, 'sent', { units: 3 });
        await verify(who, { requestId: id, code });
      } else if (i === 1) {
        await http(stack.url, 'POST', '/2fa/cancel', { auth: who, body: { requestId: id } });
        await publishDeliveryStatus(stack, request, 'undelivered', {
          error: { code: 'E1', message: 'absent subscriber' },
        });
      } else if (i === 2) {
        await sendOtp(stack, who, to); // supersedes it
        // A late verdict on a request already canceled: it stays canceled.
        await publishDeliveryStatus(stack, request, 'failed', { error: { code: 'E2', message: 'rejected' } });
      } else {
        await verify(who, { requestId: id, code: wrongCode(code) });
        await verify(who, { requestId: id, code: wrongCode(code) }); // locked: failed
      }
    }
    // Every channel failed: otp-core fails the request (its `failed` event).
    const undeliverable = uniqueNumber();
    const failedId = await sendOtp(stack, parent, undeliverable);
    await publishDeliveryStatus(
      stack,
      { requestId: failedId, accountSid: parent.accountSid, to: undeliverable },
      'failed',
      { error: { code: 'E3', message: 'unknown subscriber' } },
    );
    await eventually(async () => {
      const res = await http<{ data: { status: string } }>(stack.url, 'GET', `/2fa/sdr/search/${failedId}`, {
        auth: parent,
      });
      expect(res.body.data?.status).toBe('failed');
    }, 20_000);
    await sendOtp(stack, parent, uniqueNumber(), { timeout: 30 });
    stack.clock.advance(31);
    await stack.app.get(OtpSweeper, { strict: false }).sweep();

    await eventually(async () => {
      const res = await http<{ data: { total: number } }>(stack.url, 'GET', '/2fa/sdr/search?subAccounts=true', {
        auth: parent,
      });
      expect(res.body.data.total).toBe(7);
      // The last events of the script (the sweeper's) are on the stream and projected.
      const { records } = await sdrTables(stack.env.DATABASE_URL);
      expect((records as { status: string }[]).map((r) => r.status).sort()).toEqual([
        'canceled',
        'canceled',
        'expired',
        'failed',
        'failed',
        'pending',
        'verified',
      ]);
      await caughtUp('sdr');
    }, 20_000);
  }, 120_000);
  afterAll(async () => {
    await stack?.stop();
    for (const db of extraDatabases) await db.drop();
  });

  it('projected the mix into records and roll-ups that agree', async () => {
    const { records, usage, summary, monthly } = await sdrTables(stack.env.DATABASE_URL);
    expect(records).toHaveLength(7);
    const statuses = (records as { status: string }[]).map((r) => r.status).sort();
    expect(statuses).toEqual(['canceled', 'canceled', 'expired', 'failed', 'failed', 'pending', 'verified']);
    // The roll-ups are the sum of the records' contributions.
    const rollupRequests = (usage as { requests: string }[]).reduce((n, u) => n + Number(u.requests), 0);
    const rollupCost = (usage as { cost_micros: string }[]).reduce((n, u) => n + Number(u.cost_micros), 0);
    const recordCost = (records as { price_micros: string }[]).reduce((n, r) => n + Number(r.price_micros), 0);
    expect(rollupRequests).toBe(7);
    expect(rollupCost).toBe(recordCost);
    expect((summary as { requests: string }[]).reduce((n, u) => n + Number(u.requests), 0)).toBe(7);
    expect((summary as { cost_micros: string }[]).reduce((n, u) => n + Number(u.cost_micros), 0)).toBe(recordCost);
    expect((monthly as { requests: string }[]).reduce((n, u) => n + Number(u.requests), 0)).toBe(7);
    expect((monthly as { cost_micros: string }[]).reduce((n, u) => n + Number(u.cost_micros), 0)).toBe(recordCost);
    expect(recordCost).toBeGreaterThan(0);
  });

  it('a second instance with a fresh database and a new durable replays the stream to the same tables', async () => {
    const before = await sdrTables(stack.env.DATABASE_URL);
    const fresh = await createTestDatabase(stack.env.DATABASE_URL);
    extraDatabases.push(fresh);
    await stack.startService(sdrService, { DATABASE_URL: fresh.url, SDR_CONSUMER: 'sdr-replay' });
    await eventually(() => caughtUp('sdr-replay'), 20_000);
    expect(await sdrTables(fresh.url)).toEqual(before);
  });

  it('the same events folded in reverse and in shuffled order give the same tables', async () => {
    const before = await sdrTables(stack.env.DATABASE_URL);
    const events = (await allEvents()).map((e) => e.event);
    for (const order of [[...events].reverse(), shuffle(events)]) {
      const db = await createTestDatabase(stack.env.DATABASE_URL);
      extraDatabases.push(db);
      const ds = createServiceDataSource(db.url, 2, SDR_DATABASE);
      await ds.initialize();
      try {
        await migrate(ds, 'sdr');
        const store = new SdrStore(new PostgresSdrRecordsRepository(ds), PriceTable.load(priceFile));
        for (const event of order) await store.project(event, new Date());
        // Each event a second time, as a redelivery would: nothing changes.
        for (const event of order) expect(await store.project(event, new Date())).toBe(false);
      } finally {
        await ds.destroy();
      }
      expect(await sdrTables(db.url)).toEqual(before);
    }
  });

  it('the same events projected in batches (shuffled, cut anywhere, a batch with repeats) give the same tables', async () => {
    const before = await sdrTables(stack.env.DATABASE_URL);
    const events = shuffle((await allEvents()).map((e) => e.event));
    const db = await createTestDatabase(stack.env.DATABASE_URL);
    extraDatabases.push(db);
    const ds = createServiceDataSource(db.url, 2, SDR_DATABASE);
    await ds.initialize();
    try {
      await migrate(ds, 'sdr');
      const store = new SdrStore(new PostgresSdrRecordsRepository(ds), PriceTable.load(priceFile));
      let projected = 0;
      for (let i = 0; i < events.length;) {
        const size = 1 + Math.floor(Math.random() * 6);
        // A batch may hold the same event twice (a redelivery while the first is in hand).
        const batch = [...events.slice(i, i + size), events[i]];
        projected += (await store.projectBatch(batch, new Date())).size;
        i += size;
      }
      expect(projected).toBe(events.length);
      // All of them again in one batch, as a replay would: nothing is fresh, nothing changes.
      expect((await store.projectBatch(events, new Date())).size).toBe(0);
    } finally {
      await ds.destroy();
    }
    expect(await sdrTables(db.url)).toEqual(before);
  });

  it('an event published twice (another message id) changes nothing', async () => {
    const before = await sdrTables(stack.env.DATABASE_URL);
    const events = await allEvents();
    const js = stack.nc.jetstream();
    // Every event again, as a publisher that retried after the de-duplication window would.
    for (const e of events) await js.publish(e.subject, e.raw, { msgID: randomUUID() });
    const jsm = await stack.nc.jetstreamManager();
    expect((await jsm.streams.info(stream())).state.messages).toBe(events.length * 2);
    await eventually(async () => {
      await caughtUp('sdr');
      await caughtUp('sdr-replay');
    }, 20_000);
    expect(await sdrTables(stack.env.DATABASE_URL)).toEqual(before);
  });
});

function shuffle<T>(list: T[]): T[] {
  const out = [...list];
  for (let i = out.length - 1; i > 0; i--) {
    const j = Math.floor(Math.random() * (i + 1));
    [out[i], out[j]] = [out[j], out[i]];
  }
  return out;
}
