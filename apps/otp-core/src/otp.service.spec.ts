import { Logger } from '@nestjs/common';
import {
  type ConsumeLimitsReply,
  type DispatchMessage,
  DomainError,
  ErrorCode,
  type OtpEvent,
  SendOtpCommand,
} from '@app/contracts';
import { loadConfig, ManualClock, type NatsRpcClient } from '@app/platform';
import { FallbackService } from './fallback/fallback.service';
import { InMemoryOtpRepository } from './otp.repository.fake';
import { OtpService } from './otp.service';
import type { StoredOutboxRow } from './otp.repository';
import type { OutboxRelay } from './outbox/outbox-relay';

/**
 * The OTP lifecycle's decisions (SPEC section 3) without Postgres or NATS: the repository is
 * an in-memory fake with the same conditions, the limiter answers as the test says, and the
 * outbox rows the service wrote tell what it announced (the code is read from the rendered
 * dispatch message, as the person would read it).
 */

const accountSid = 'AC0123456789abcdef0123456789abcdef';
const start = new Date('2026-11-22T09:00:00.000Z');
const OK_LIMIT: ConsumeLimitsReply = { code: 200, message: 'OK', remaining: 4, resetIn: 60, limit: 5 };

class FakeLimiter {
  calls: { subject: string; payload: unknown }[] = [];
  answer: () => Promise<ConsumeLimitsReply> = async () => OK_LIMIT;
  async call(subject: string, payload: unknown): Promise<ConsumeLimitsReply> {
    this.calls.push({ subject, payload });
    return this.answer();
  }
}

class FakeRelay {
  published: StoredOutboxRow[] = [];
  kicks = 0;
  publishCommitted(rows: readonly StoredOutboxRow[]): void {
    this.published.push(...rows);
  }
  kick(): void {
    this.kicks++;
  }
}

function setup() {
  const repo = new InMemoryOtpRepository();
  const clock = new ManualClock(start);
  const limiter = new FakeLimiter();
  const relay = new FakeRelay();
  const config = loadConfig({});
  const service = new OtpService(
    repo,
    config,
    clock,
    limiter as unknown as NatsRpcClient,
    relay as unknown as OutboxRelay,
    new FallbackService(repo, config),
  );
  const send = (fields: Record<string, unknown> = {}) =>
    service.send(
      SendOtpCommand.parse({
        accountSid,
        service: 'login',
        channel: 'sms',
        from: 'ACME',
        to: '+14155552671',
        body: 'Your code is {code}',
        ...fields,
      }),
    );
  const verify = (requestId: string, code: string) => service.verify({ accountSid, requestId, code });
  const events = () => repo.outbox.filter((r) => r.subject.includes('events')).map((r) => (r.payload as OtpEvent).type);
  /** The code as the person received it: from the first dispatch message of the request. */
  const codeOf = (requestId: string) => {
    const message = repo.outbox.find(
      (r) => r.subject.startsWith('dispatch') && (r.payload as DispatchMessage).requestId === requestId,
    )!.payload as DispatchMessage;
    return message.text.replace('Your code is ', '');
  };
  return { repo, clock, limiter, relay, service, send, verify, events, codeOf };
}

async function refusal(work: Promise<unknown>): Promise<DomainError> {
  const error = await work.then(
    () => undefined,
    (e: unknown) => e,
  );
  if (!(error instanceof DomainError)) throw new Error(`expected a domain error, got ${String(error)}`);
  return error;
}

beforeAll(() => Logger.overrideLogger(false));

describe('OtpService.send', () => {
  it('stores the request as a keyed hash, sends the first dispatch, and announces both in one write', async () => {
    const { repo, relay, send, events, codeOf } = setup();
    const reply = await send();
    expect(reply).toEqual({
      code: 200,
      message: 'OK',
      requestID: reply.requestID,
      remaining: 4,
      resetIn: 60,
      limit: 5,
    });
    const row = repo.requests.get(reply.requestID)!;
    expect(row).toMatchObject({ status: 'pending', attempts: 0, maxAttempts: 5 });
    expect(row.codeHash).not.toContain(codeOf(reply.requestID));
    expect(row.expiresAt.getTime() - start.getTime()).toBe(300_000);
    expect(repo.dispatchesOf(reply.requestID)).toMatchObject([{ seq: 1, state: 'dispatched' }]);
    expect(events()).toEqual(['created', 'dispatched']);
    // Committed, then handed to the relay: everything it wrote, in order.
    expect(relay.published.map((r) => r.id)).toEqual(repo.outbox.map((r) => r.id));
  });

  it('plans a fallback step sealed (never the code in clear), due `after` seconds from now', async () => {
    const { repo, send, codeOf } = setup();
    const { requestID } = await send({ fallback: [{ channel: 'call', from: '+14155550100', after: 30 }] });
    const [first, step] = repo.dispatchesOf(requestID);
    expect([first.state, step.state]).toEqual(['dispatched', 'planned']);
    expect(step.sealedMessage).not.toContain(codeOf(requestID));
    expect(repo.dispatch(step.id)!.dueAt).toEqual(new Date(start.getTime() + 30_000));
  });

  it('creates nothing when the limiter refuses: no request, no dispatch, no event', async () => {
    const { repo, limiter, send } = setup();
    limiter.answer = async () => {
      throw new DomainError(ErrorCode.LimitExceeded, 'per-ip', { retryAfter: 7 });
    };
    const error = await refusal(send());
    expect(error.code).toBe(ErrorCode.LimitExceeded);
    expect(repo.requests.size).toBe(0);
    expect(repo.outbox).toEqual([]);
  });

  it('records a send the fraud guard refused as a `blocked` event only, and answers 456 with its id', async () => {
    const { repo, limiter, relay, send, events } = setup();
    limiter.answer = async () => {
      throw new DomainError(ErrorCode.FraudBlocked, 'prefix_velocity', { reason: 'prefix_velocity', retryAfter: 60 });
    };
    const error = await refusal(send());
    expect(error.code).toBe(ErrorCode.FraudBlocked);
    expect(error.extra).toMatchObject({ reason: 'prefix_velocity', retryAfter: 60 });
    expect(repo.requests.size).toBe(0);
    expect(events()).toEqual(['blocked']);
    const blocked = repo.outbox[0].payload as OtpEvent;
    expect(blocked.data).toMatchObject({
      requestId: error.extra.requestID,
      status: 'blocked',
      hasStatusCallback: false,
    });
    expect(relay.kicks).toBe(1);
  });

  it('still refuses with 456 when the blocked event cannot be stored', async () => {
    const { repo, limiter, send } = setup();
    limiter.answer = async () => {
      throw new DomainError(ErrorCode.FraudBlocked, 'geo_permission', { reason: 'geo_permission' });
    };
    repo.failNext = new Error('Connection terminated');
    expect((await refusal(send())).code).toBe(ErrorCode.FraudBlocked);
    expect(repo.outbox).toEqual([]);
  });

  it('answers a repeated Idempotency-Key with the first request, without counting or sending again', async () => {
    const { repo, limiter, send } = setup();
    const first = await send({ idempotencyKey: 'k1' });
    const again = await send({ idempotencyKey: 'k1' });
    expect(again).toEqual({ code: 200, message: 'OK', requestID: first.requestID });
    expect(repo.requests.size).toBe(1);
    expect(limiter.calls).toHaveLength(1);
  });

  it('does not look up a key the gateway just made, and a retry with it (457) still gets the first request', async () => {
    const { repo, limiter, send } = setup();
    const lookups = jest.spyOn(repo, 'findByIdempotencyKey');
    const first = await send({ idempotencyKey: 'gw-1', idempotencyKeyMinted: true });
    expect(lookups).not.toHaveBeenCalled();
    // The caller retries with the key it was given (an Idempotency-Key header: not minted).
    expect(await send({ idempotencyKey: 'gw-1' })).toEqual({ code: 200, message: 'OK', requestID: first.requestID });
    // A key said to be new that is held all the same: the unique index decides, the first stands.
    expect(await send({ idempotencyKey: 'gw-1', idempotencyKeyMinted: true })).toEqual({
      code: 200,
      message: 'OK',
      requestID: first.requestID,
    });
    expect(repo.requests.size).toBe(1);
    expect(limiter.calls).toHaveLength(2);
  });

  it('refuses the same Idempotency-Key with a different request (497), naming the first', async () => {
    const { send } = setup();
    const first = await send({ idempotencyKey: 'k1' });
    const error = await refusal(send({ idempotencyKey: 'k1', to: '+14155550000' }));
    expect(error.code).toBe(ErrorCode.IdempotencyKeyReused);
    expect(error.extra.requestID).toBe(first.requestID);
  });

  it('lets go of an Idempotency-Key older than 24 hours: the same key makes a new request', async () => {
    const { repo, clock, send } = setup();
    const first = await send({ idempotencyKey: 'k1' });
    clock.advance(24 * 3600);
    expect((await send({ idempotencyKey: 'k1' })).requestID).toBe(first.requestID);
    clock.advance(1);
    const second = await send({ idempotencyKey: 'k1' });
    expect(second.requestID).not.toBe(first.requestID);
    expect(repo.requests.get(first.requestID)!.idempotencyKey).toBeNull();
  });

  it('supersedes the live request of the destination: canceled (`superseded`), with its event', async () => {
    const { repo, send, verify, events, codeOf } = setup();
    const old = await send();
    const fresh = await send();
    expect(repo.requests.get(old.requestID)).toMatchObject({ status: 'canceled', statusReason: 'superseded' });
    expect(events()).toEqual(['created', 'dispatched', 'canceled', 'created', 'dispatched']);
    expect((await refusal(verify(old.requestID, codeOf(old.requestID)))).code).toBe(ErrorCode.Canceled);
    expect((await verify(fresh.requestID, codeOf(fresh.requestID))).code).toBe(200);
  });

  it('with a guard time, keeps the older code valid until the guard ends (the cancel grace), then not', async () => {
    const { clock, send, verify, codeOf } = setup();
    const old = await send();
    await send({ guardTime: 20 });
    clock.advance(10);
    expect((await verify(old.requestID, codeOf(old.requestID))).code).toBe(200);

    const older = await send({ to: '+14155550001' });
    await send({ to: '+14155550001', guardTime: 20 });
    clock.advance(20);
    expect((await refusal(verify(older.requestID, codeOf(older.requestID)))).code).toBe(ErrorCode.Canceled);
  });
});

describe('OtpService.verify', () => {
  it('verifies the right code once; a second verify is 471 (exactly once)', async () => {
    const { repo, send, verify, events, codeOf } = setup();
    const { requestID } = await send();
    expect(await verify(requestID, codeOf(requestID))).toEqual({ code: 200, message: 'OK', requestID });
    expect(repo.requests.get(requestID)!.status).toBe('verified');
    expect(events().at(-1)).toBe('verified');
    expect((await refusal(verify(requestID, codeOf(requestID)))).code).toBe(ErrorCode.AlreadyVerified);
  });

  it('counts a wrong code (474 with the attempts left) and locks the request once attempts are spent', async () => {
    const { repo, send, verify, codeOf } = setup();
    const { requestID } = await send({ maxWrongAttempts: 2 });
    const wrong = codeOf(requestID) === '000000' ? '111111' : '000000';
    const first = await refusal(verify(requestID, wrong));
    expect(first.code).toBe(ErrorCode.InvalidCode);
    expect(first.extra.attemptsRemaining).toBe(1);
    expect((await refusal(verify(requestID, wrong))).extra.attemptsRemaining).toBe(0);
    expect(repo.requests.get(requestID)).toMatchObject({ status: 'failed', statusReason: 'attempts_exhausted' });
    // Locked for good: the right code no longer verifies.
    expect((await refusal(verify(requestID, codeOf(requestID)))).code).toBe(ErrorCode.TooManyWrongAttempts);
  });

  it('refuses an expired code (472) whether or not the sweeper has run', async () => {
    const { clock, send, verify, codeOf } = setup();
    const { requestID } = await send({ timeout: 60 });
    clock.advance(59);
    const wrong = codeOf(requestID) === '000000' ? '111111' : '000000';
    expect((await refusal(verify(requestID, wrong))).code).toBe(ErrorCode.InvalidCode);
    clock.advance(1);
    expect((await refusal(verify(requestID, codeOf(requestID)))).code).toBe(ErrorCode.Expired);
  });

  it('answers 470 for a request it does not know, or that another account owns', async () => {
    const { service, send, verify, codeOf } = setup();
    expect((await refusal(verify('OTP0123456789abcdef0123456789abcdef', '123456'))).code).toBe(
      ErrorCode.UnknownOtpOnVerify,
    );
    const { requestID } = await send();
    const stranger = 'ACffffffffffffffffffffffffffffffff';
    const error = await refusal(
      service.verify({ accountSid: stranger, requestId: requestID, code: codeOf(requestID) }),
    );
    expect(error.code).toBe(ErrorCode.UnknownOtpOnVerify);
  });

  it('refuses a request whose every channel failed (476): no code reached the person', async () => {
    const { repo, send, verify, codeOf } = setup();
    const { requestID } = await send();
    repo.requests.get(requestID)!.status = 'failed';
    repo.requests.get(requestID)!.statusReason = 'delivery_failed';
    expect((await refusal(verify(requestID, codeOf(requestID)))).code).toBe(ErrorCode.DeliveryFailed);
  });

  it('by number: a code of a guarded older request verifies, and the other live ones end (`sibling_verified`)', async () => {
    const { repo, service, send, codeOf } = setup();
    const old = await send();
    const fresh = await send({ guardTime: 60 });
    const reply = await service.verify({
      accountSid,
      service: 'login',
      number: '+14155552671',
      code: codeOf(old.requestID),
    });
    expect(reply.requestID).toBe(old.requestID);
    expect(repo.requests.get(fresh.requestID)).toMatchObject({ status: 'canceled', statusReason: 'sibling_verified' });
  });

  it('counts the verify against the named limits first, and answers with what is left', async () => {
    const { limiter, service, send, codeOf } = setup();
    const { requestID } = await send();
    limiter.calls = [];
    const reply = await service.verify({
      accountSid,
      requestId: requestID,
      code: codeOf(requestID),
      limits: [{ name: 'per-ip', key: '203.0.113.9' }],
    });
    expect(limiter.calls).toEqual([
      { subject: 'limiter.v1.consume', payload: expect.objectContaining({ destination: requestID }) },
    ]);
    expect(reply).toMatchObject({ remaining: 4, resetIn: 60, limit: 5 });
  });
});

describe('OtpService.cancel', () => {
  it('cancels a live request (its code stops verifying, its fallback steps with it)', async () => {
    const { repo, service, send, verify, events, codeOf } = setup();
    const { requestID } = await send({ fallback: [{ channel: 'call', from: '+14155550100', after: 30 }] });
    expect(await service.cancel({ accountSid, requestId: requestID })).toEqual({
      code: 200,
      message: 'canceled',
      requestID,
    });
    expect(repo.requests.get(requestID)).toMatchObject({ status: 'canceled', statusReason: 'canceled_by_client' });
    expect(events().at(-1)).toBe('canceled');
    expect((await refusal(verify(requestID, codeOf(requestID)))).code).toBe(ErrorCode.Canceled);
    await repo.skipStepsOfEnded(start);
    expect(repo.dispatchesOf(requestID)[1].state).toBe('skipped');
  });

  it('refuses to cancel what already ended, saying how it ended, and what it does not know (490)', async () => {
    const { service, send, verify, codeOf } = setup();
    const { requestID } = await send();
    await verify(requestID, codeOf(requestID));
    expect((await refusal(service.cancel({ accountSid, requestId: requestID }))).code).toBe(ErrorCode.AlreadyVerified);
    const unknown = 'OTP0123456789abcdef0123456789abcdef';
    expect((await refusal(service.cancel({ accountSid, requestId: unknown }))).code).toBe(ErrorCode.UnknownOtpOnCancel);
  });
});
