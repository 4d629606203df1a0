import { Logger } from '@nestjs/common';
import { type DispatchMessage, type OtpEvent, SendOtpCommand } from '@app/contracts';
import { loadConfig } from '@app/platform';
import { InMemoryOtpRepository, pendingRow } from '../otp.repository.fake';
import { OutboxWriter } from '../outbox/outbox';
import { planDispatches } from './dispatch-plan';
import { DispatchSeal } from './dispatch-seal';
import { FallbackService } from './fallback.service';

/**
 * Channel fallback (SPEC section 5) without Postgres: a request with its planned steps in the
 * in-memory repository, and the delivery statuses and clock ticks that move it on.
 */

const start = new Date('2026-11-22T09:00:00.000Z');
const at = (seconds: number) => new Date(start.getTime() + seconds * 1000);
const config = loadConfig({});

/** A request sent on sms with two fallback steps (call after 30 s, email after 60 s more). */
async function setup(steps = 2) {
  const repo = new InMemoryOtpRepository();
  const fallback = new FallbackService(repo, config);
  const command = SendOtpCommand.parse({
    accountSid: 'AC0123456789abcdef0123456789abcdef',
    service: 'login',
    channel: 'sms',
    from: '+14155550100',
    to: '+14155552671',
    body: 'Your code is {code}',
    fallback: [
      { channel: 'call', after: 30 },
      { channel: 'email', to: 'person@example.com', from: 'otp@example.com', subject: 'Code', after: 60 },
    ].slice(0, steps),
  });
  const row = pendingRow(start, {
    channel: command.channel,
    from: command.from,
    destination: command.to,
  });
  const plan = planDispatches(row, command, '424242', start);
  await repo.transaction(async (tx) => {
    await tx.insert(row);
    const outbox = new OutboxWriter(start);
    await fallback.start(tx, row, plan, start, outbox);
    await outbox.flush(tx);
  });
  const ids = plan.map((p) => p.message.dispatchId);
  const sentMessages = () =>
    repo.outbox.filter((r) => r.subject.startsWith('dispatch')).map((r) => r.payload as DispatchMessage);
  const events = () => repo.outbox.filter((r) => r.subject.includes('events')).map((r) => (r.payload as OtpEvent).type);
  const states = () => repo.dispatchesOf(row.id).map((d) => d.state);
  return { repo, fallback, row, ids, sentMessages, events, states };
}

beforeAll(() => Logger.overrideLogger(false));

describe('FallbackService: a delivery status', () => {
  it('records a status that decides nothing, only forward: a late `sent` does not undo `delivered`', async () => {
    const { repo, fallback, ids } = await setup();
    expect(await fallback.onDeliveryStatus(ids[0], 'delivered', at(1))).toBe(true);
    expect(await fallback.onDeliveryStatus(ids[0], 'sent', at(2))).toBe(false);
    expect(repo.dispatch(ids[0])!.deliveryStatus).toBe('delivered');
  });

  it('writes the statuses in hand together, each answered as if alone, the highest of a dispatch kept', async () => {
    const { repo, fallback, ids } = await setup();
    const written = jest.spyOn(repo, 'advanceDeliveryStatuses');
    const answers = await Promise.all([
      fallback.onDeliveryStatus(ids[0], 'sent', at(1)),
      fallback.onDeliveryStatus(ids[1], 'queued', at(1)),
      fallback.onDeliveryStatus(ids[0], 'delivered', at(2)),
      fallback.onDeliveryStatus(ids[1], 'queued', at(2)),
    ]);
    expect(written).toHaveBeenCalledTimes(1);
    // `sent` outranked by the `delivered` beside it; the second `queued` is a repeat.
    expect(answers).toEqual([false, true, true, false]);
    expect(repo.dispatch(ids[0])).toMatchObject({ deliveryStatus: 'delivered', updatedAt: at(2) });
    expect(repo.dispatch(ids[1])).toMatchObject({ deliveryStatus: 'queued', updatedAt: at(1) });
  });

  it('gives each status of a batch that failed the error itself, so an outage stays an outage', async () => {
    const { repo, fallback, ids } = await setup();
    const outage = Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:5432'), { code: 'ECONNREFUSED' });
    repo.failNext = outage;
    const answers = await Promise.allSettled([
      fallback.onDeliveryStatus(ids[0], 'sent', at(1)),
      fallback.onDeliveryStatus(ids[1], 'sent', at(1)),
    ]);
    expect(answers).toEqual([
      { status: 'rejected', reason: outage },
      { status: 'rejected', reason: outage },
    ]);
    expect(await fallback.onDeliveryStatus(ids[0], 'sent', at(2))).toBe(true);
  });

  it('keeps an id that is not of our shape out of the batch (not ours; a text Postgres refuses)', async () => {
    const { repo, fallback } = await setup();
    const written = jest.spyOn(repo, 'advanceDeliveryStatuses');
    expect(await fallback.onDeliveryStatus('bad\u0000id', 'delivered', at(1))).toBe(false);
    expect(written).not.toHaveBeenCalled();
  });

  it('sends the next step at once when the dispatch out there failed, and times the one after it', async () => {
    const { repo, fallback, ids, sentMessages, states } = await setup();
    expect(await fallback.onDeliveryStatus(ids[0], 'failed', at(5))).toBe(true);
    expect(states()).toEqual(['dispatched', 'dispatched', 'planned']);
    const call = sentMessages()[1];
    // Opened from its seal: the same code, on the step's channel.
    expect(call).toMatchObject({ dispatchId: ids[1], channel: 'call', text: 'Your code is 424242' });
    expect(repo.dispatch(ids[1])!.sealedMessage).toBeNull();
    expect(repo.dispatch(ids[2])!.dueAt).toEqual(at(65));
  });

  it('does nothing more for a failure of an older dispatch once a newer one is out', async () => {
    const { fallback, ids, sentMessages } = await setup();
    await fallback.onDeliveryStatus(ids[0], 'failed', at(5));
    await fallback.onDeliveryStatus(ids[1], 'sent', at(6));
    // The sms reports undelivered late: the call is already out, the email still waits.
    await fallback.onDeliveryStatus(ids[0], 'undelivered', at(7));
    expect(sentMessages()).toHaveLength(2);
  });

  it('fails the request once every dispatch failed, and says so (`failed`, delivery_failed)', async () => {
    const { repo, fallback, row, ids, events } = await setup(1);
    await fallback.onDeliveryStatus(ids[0], 'failed', at(1));
    expect(repo.requests.get(row.id)!.status).toBe('pending');
    await fallback.onDeliveryStatus(ids[1], 'undelivered', at(2));
    expect(repo.requests.get(row.id)).toMatchObject({ status: 'failed', statusReason: 'delivery_failed' });
    expect(events().at(-1)).toBe('failed');
  });

  it('records a failure after the request ended, and sends no step for it', async () => {
    const { repo, fallback, row, ids, sentMessages } = await setup();
    await repo.transition(row.id, { status: 'verified', reason: null }, at(3));
    expect(await fallback.onDeliveryStatus(ids[0], 'failed', at(4))).toBe(true);
    expect(sentMessages()).toHaveLength(1);
    expect(repo.dispatch(ids[0])!.deliveryStatus).toBe('failed');
  });

  it("ignores a dispatch that is not ours (another deployment's)", async () => {
    const { fallback } = await setup();
    expect(await fallback.onDeliveryStatus('OTPffffffffffffffffffffffffffffffff-1', 'failed', at(1))).toBe(false);
  });
});

describe('FallbackService: steps whose time came', () => {
  it('sends a step `after` seconds after the dispatch before it, not a second sooner', async () => {
    const { fallback, ids, sentMessages, states } = await setup();
    expect(await fallback.dispatchDue(at(29))).toBe(0);
    expect(await fallback.dispatchDue(at(30))).toBe(1);
    expect(sentMessages().map((m) => m.dispatchId)).toEqual([ids[0], ids[1]]);
    expect(states()).toEqual(['dispatched', 'dispatched', 'planned']);
    expect(await fallback.dispatchDue(at(89))).toBe(0);
    expect(await fallback.dispatchDue(at(90))).toBe(1);
  });

  it('skips the steps of a request that ended, dropping their sealed text', async () => {
    const { repo, fallback, row, ids, states } = await setup();
    await repo.transition(row.id, { status: 'canceled', reason: 'canceled_by_client' }, at(10));
    expect(await fallback.dispatchDue(at(30))).toBe(0);
    expect(states()).toEqual(['dispatched', 'skipped', 'skipped']);
    expect(repo.dispatch(ids[1])!.sealedMessage).toBeNull();
  });

  it('skips a step sealed under another secret (rotated) and makes the next one due at once', async () => {
    const { repo, fallback, ids, sentMessages, states } = await setup();
    const other = new DispatchSeal('another-secret-of-at-least-32-characters!');
    const call = new DispatchSeal(config.otpSecret).open(ids[1], repo.dispatch(ids[1])!.sealedMessage!);
    repo.dispatch(ids[1])!.sealedMessage = other.seal(call);
    await fallback.dispatchDue(at(30));
    expect(states()).toEqual(['dispatched', 'skipped', 'planned']);
    expect(repo.dispatch(ids[2])!.dueAt).toEqual(at(30));
    await fallback.dispatchDue(at(30));
    expect(sentMessages().map((m) => m.channel)).toEqual(['sms', 'email']);
  });
});
