import { Inject, Injectable, Logger } from '@nestjs/common';
import {
  type CancelOtpCommand,
  type ConsumeLimitsReply,
  DomainError,
  type FraudVerdict,
  SEND_DEFAULTS,
  newId,
  type OtpEventData,
  type OtpReply,
  type SendOtpCommand,
  type VerifyOtpCommand,
  ErrorCode,
} from '@app/contracts';
import { APP_CONFIG, type AppConfig, Clock, NatsRpcClient } from '@app/platform';
import { createHash } from 'node:crypto';
import { Counter } from 'prom-client';
import { alphabetOf, codeMatches, generateCode, hashCode } from './otp-code';
import { planDispatches } from './fallback/dispatch-plan';
import { FallbackService } from './fallback/fallback.service';
import { OtpRequestEntity } from './otp-request.entity';
import { eventData, type OtpRow } from './otp-row';
import { OtpRepository, type StoredOutboxRow, type StoredRequest } from './otp.repository';
import { OutboxRelay } from './outbox/outbox-relay';
import { OutboxWriter } from './outbox/outbox';

const IDEMPOTENCY_WINDOW_MS = 24 * 60 * 60 * 1000;
const UNIQUE_VIOLATION = '23505';

const sends = new Counter({ name: 'otp_sends_total', help: 'OTP requests created', labelNames: ['channel'] });
const blocked = new Counter({
  name: 'otp_sends_blocked_total',
  help: 'Sends the fraud guard refused',
  labelNames: ['reason'],
});
const verifies = new Counter({ name: 'otp_verifies_total', help: 'OTP verify outcomes', labelNames: ['result'] });

/**
 * The OTP lifecycle. Codes exist only as keyed hashes; every state change is a conditional
 * transition of the repository whose row count decides (so concurrent verifies consume a code
 * once); every change writes its events to the outbox in the same transaction.
 */
@Injectable()
export class OtpService {
  private readonly logger = new Logger(OtpService.name);

  constructor(
    private readonly requests: OtpRepository,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    private readonly clock: Clock,
    private readonly rpc: NatsRpcClient,
    private readonly relay: OutboxRelay,
    private readonly fallback: FallbackService,
  ) {}

  async send(command: SendOtpCommand): Promise<OtpReply> {
    const now = this.clock.now();
    const requestHash = command.idempotencyKey ? hashRequest(command) : null;
    // A key the gateway just made for this send cannot be held yet: no lookup (a race or a
    // misuse still meets the unique index, below).
    if (command.idempotencyKey && !command.idempotencyKeyMinted) {
      const replay = await this.replayIdempotent(command.accountSid, command.idempotencyKey, requestHash!, now);
      if (replay) return replay;
    }

    // The fraud guard decides and the limits count before anything is created; a refused send
    // leaves nothing behind but, for a fraud refusal, its `blocked` event (SPEC 12).
    const limit = await this.consumeLimits(command, now);

    const id = newId('otp');
    const length = command.length ?? command.codeLength ?? SEND_DEFAULTS.length;
    const code = generateCode(length, alphabetOf(command));
    const timeout = command.timeout ?? command.validityPeriod ?? SEND_DEFAULTS.timeout;
    const row: OtpRow = Object.assign(new OtpRequestEntity(), {
      id,
      accountSid: command.accountSid,
      parentAccountSid: command.parentAccountSid ?? null,
      service: command.service,
      channel: command.channel,
      from: command.from,
      destination: command.to,
      codeHash: hashCode(this.config.otpSecret, id, code),
      status: 'pending' as const,
      statusReason: null,
      attempts: 0,
      maxAttempts: command.maxWrongAttempts ?? SEND_DEFAULTS.maxWrongAttempts,
      createdAt: now,
      expiresAt: new Date(now.getTime() + timeout * 1000),
      guardUntil: null,
      endedAt: null,
      recipientIp: command.recipientIp ?? null,
      idempotencyKey: command.idempotencyKey ?? null,
      requestHash,
      statusCallback: command.statusCallback ?? null,
    });
    const plan = planDispatches(row, command, code, now);

    // The created event carries the guard's verdict (SPEC 12) on either path.
    const created: OtpEventData = { ...eventData(row), ...fraudFields(limit.fraud) };
    let written: readonly StoredOutboxRow[] | undefined;
    try {
      written = await this.createAtOnce(row, created, plan, command.guardTime, now);
      if (!written) {
        // A live request of the destination must be superseded, with its event: a transaction.
        const outbox = new OutboxWriter(now);
        await this.requests.transaction(async (tx) => {
          await this.supersedePending(tx, row, command.guardTime, now, outbox);
          await tx.insert(row);
          outbox.event('created', created);
          // The first dispatch and its `dispatched` event; fallback steps wait, sealed.
          await this.fallback.start(tx, row, plan, now, outbox);
          await outbox.flush(tx);
        });
        written = outbox.stored;
      }
    } catch (error) {
      // Two sends with one Idempotency-Key raced: the first one's answer stands.
      if (command.idempotencyKey && (error as { code?: string }).code === UNIQUE_VIOLATION) {
        const replay = await this.replayIdempotent(command.accountSid, command.idempotencyKey, requestHash!, now);
        if (replay) return replay;
      }
      throw error;
    }
    // Committed: on its way to JetStream now (the relay's poller is the safety net).
    this.relay.publishCommitted(written);
    sends.inc({ channel: row.channel });
    return { code: 200, message: 'OK', requestID: id, ...limitState(limit) };
  }

  /** One round trip: the limiter runs the fraud guard (sms and call), then the limits. */
  private async consumeLimits(command: SendOtpCommand, now: Date): Promise<ConsumeLimitsReply> {
    try {
      return await this.rpc.call('limiter.v1.consume', {
        accountSid: command.accountSid,
        destination: command.to,
        limits: command.limits,
        fraud:
          command.channel === 'email'
            ? undefined
            : { channel: command.channel, recipientIp: command.recipientIp, riskCheck: command.riskCheck },
      });
    } catch (error) {
      if (error instanceof DomainError && error.code === ErrorCode.FraudBlocked)
        throw await this.recordBlocked(command, error, now);
      throw error;
    }
  }

  /**
   * A send the fraud guard refused: nothing is sent or stored as a request, but a `blocked`
   * event (for the records, usage and status of the account) under a request id of its own.
   */
  private async recordBlocked(command: SendOtpCommand, refusal: DomainError, now: Date): Promise<DomainError> {
    const id = newId('otp');
    const reason = refusal.extra.reason ?? 'manual_block';
    const data: OtpEventData = {
      requestId: id,
      accountSid: command.accountSid,
      parentAccountSid: command.parentAccountSid ?? null,
      service: command.service,
      channel: command.channel,
      to: command.to,
      from: command.from,
      status: 'blocked',
      reason,
      recipientIp: command.recipientIp ?? null,
      createdAt: now.toISOString(),
      expiresAt: now.toISOString(),
      fraudDecision: 'blocked',
      fraudReasons: [reason],
      // No request row keeps its callback: the caller hears of the refusal in the 456 itself.
      hasStatusCallback: false,
    };
    try {
      await this.requests.transaction((tx) => new OutboxWriter(now).event('blocked', data).flush(tx));
      this.relay.kick();
    } catch (error) {
      // The refusal stands without its record: nothing was sent either way.
      this.logger.warn({ message: 'could not record a blocked send', error: (error as Error).message });
    }
    blocked.inc({ reason });
    return new DomainError(ErrorCode.FraudBlocked, reason, {
      reason,
      retryAfter: refusal.extra.retryAfter,
      requestID: id,
    });
  }

  async verify(command: VerifyOtpCommand): Promise<OtpReply> {
    const now = this.clock.now();
    // Limits on verify throttle code checks (per IP, per user…) before anything is looked up.
    const limit =
      command.limits &&
      (await this.rpc.call('limiter.v1.consume', {
        accountSid: command.accountSid,
        destination: command.number ?? command.requestId!,
        limits: command.limits,
      }));
    // By number, the newest request and those a guard time keeps alive all accept a code. The
    // attempt is counted (on the newest) before the code is compared, in the same statement.
    const { live, newest, attempts, hashes, withSiblings } = await this.requests.countAttempt(
      command.accountSid,
      command.number !== undefined
        ? { service: command.service!, destination: command.number }
        : { requestId: command.requestId! },
      now,
    );
    if (!newest) throw new DomainError(ErrorCode.UnknownOtpOnVerify);
    if (!live.length) {
      verifies.inc({ result: 'refused' });
      throw statusError(newest);
    }
    const primary = live[0];
    if (attempts === undefined) {
      verifies.inc({ result: 'refused' });
      throw statusError(await this.reload(primary.id, now));
    }

    const matched = live.find((c) => {
      const stored = hashes.get(c.id);
      return stored !== undefined && codeMatches(this.config.otpSecret, c.id, command.code, stored);
    });

    if (!matched) {
      await this.recordWrongCode(primary, attempts, now);
      verifies.inc({ result: 'wrong_code' });
      throw new DomainError(ErrorCode.InvalidCode, undefined, {
        requestID: primary.id,
        attemptsRemaining: Math.max(0, primary.maxAttempts - attempts),
      });
    }

    const verified = withSiblings.has(matched.id)
      ? await this.verifyWithSiblings(matched, now)
      : // Nothing else pending beside it (the common case): the transition and its event in one
        // statement. Only `status` of the event's data changes in a transition.
        await this.requests.transitionAlone(matched.id, { status: 'verified', reason: null }, now, [
          ...new OutboxWriter(now).event('verified', eventData({ ...matched, status: 'verified' })).pending,
        ]);
    if (!verified) {
      // Another verify consumed it first (exactly-once), or it ended meanwhile.
      verifies.inc({ result: 'refused' });
      throw statusError(await this.reload(matched.id, now));
    }
    this.relay.publishCommitted(verified);
    verifies.inc({ result: 'verified' });
    return { code: 200, message: 'OK', requestID: matched.id, ...(limit ? limitState(limit) : {}) };
  }

  /**
   * Verified, and the other pending requests of the destination end with it (the person proved
   * possession): one transaction. Undefined when another verify or cancel ended it first.
   */
  private async verifyWithSiblings(matched: OtpRow, now: Date): Promise<StoredOutboxRow[] | undefined> {
    const outbox = new OutboxWriter(now);
    const verified = await this.requests.transaction(async (tx) => {
      const row = await tx.transition(matched.id, { status: 'verified', reason: null }, now);
      if (!row) return false;
      outbox.event('verified', eventData(row));
      const others = await tx.transitionSiblings(row, { status: 'canceled', reason: 'sibling_verified' }, now);
      for (const other of others) outbox.event('canceled', { ...eventData(other), reason: 'sibling_verified' });
      await outbox.flush(tx);
      return true;
    });
    return verified ? [...outbox.stored] : undefined;
  }

  async cancel(command: CancelOtpCommand): Promise<OtpReply> {
    const now = this.clock.now();
    const { newest: request } = await this.requests.findLive(command.accountSid, { requestId: command.requestId }, now);
    if (!request) throw new DomainError(ErrorCode.UnknownOtpOnCancel);
    const event = new OutboxWriter(now).event('canceled', {
      ...eventData({ ...request, status: 'canceled' }),
      reason: 'canceled_by_client',
    });
    const canceled = await this.requests.transitionAlone(
      request.id,
      { status: 'canceled', reason: 'canceled_by_client' },
      now,
      [...event.pending],
    );
    if (!canceled) throw statusError(await this.reload(request.id, now));
    this.relay.publishCommitted(canceled);
    return { code: 200, message: 'canceled', requestID: request.id };
  }

  /**
   * The common send in one statement: nothing to supersede (or a guard time to set), so the
   * request, its dispatches and its messages go in one round trip. Undefined when a live
   * request of the destination has to be superseded first.
   */
  private async createAtOnce(
    row: OtpRow,
    created: OtpEventData,
    plan: ReturnType<typeof planDispatches>,
    guardTime: number | undefined,
    now: Date,
  ): Promise<readonly StoredOutboxRow[] | undefined> {
    const outbox = new OutboxWriter(now).event('created', created);
    const dispatches = this.fallback.startAtOnce(row, plan, now, outbox);
    const guardUntil = guardTime ? new Date(now.getTime() + guardTime * 1000) : undefined;
    return this.requests.createAtOnce(row, dispatches, [...outbox.pending], now, guardUntil);
  }

  /**
   * A new send for the same account, service and destination ends the pending ones: at once,
   * or, with a guard time, once that many seconds have passed (capped by their own expiry).
   */
  private async supersedePending(
    tx: OtpRepository,
    row: OtpRow,
    guardTime: number | undefined,
    now: Date,
    outbox: OutboxWriter,
  ): Promise<void> {
    if (guardTime) {
      // Only shortens: a guard already running, or an expiry sooner than the guard, stays.
      await tx.guardLive(row, now, new Date(now.getTime() + guardTime * 1000));
      return;
    }
    for (const s of await tx.supersedeLive(row, now))
      outbox.event('canceled', { ...eventData(s), reason: 'superseded' });
  }

  private async recordWrongCode(primary: OtpRow, attempts: number, now: Date): Promise<void> {
    const outbox = new OutboxWriter(now).event('verify_failed', { ...eventData(primary), attempts });
    if (attempts < primary.maxAttempts) {
      // Attempts remain: only the event is written (one statement, no transaction needed).
      await outbox.flush(this.requests);
      this.relay.publishCommitted(outbox.stored);
      return;
    }
    await this.requests.transaction(async (tx) => {
      // Attempts exhausted: the request is locked for good, even for the right code.
      const locked = await tx.transition(
        primary.id,
        { status: 'failed', reason: 'attempts_exhausted' },
        now,
        'pending',
      );
      if (locked) outbox.event('verify_failed', { ...eventData(locked), attempts, reason: 'attempts_exhausted' });
      await outbox.flush(tx);
    });
    this.relay.publishCommitted(outbox.stored);
  }

  private async replayIdempotent(
    accountSid: string,
    key: string,
    requestHash: string,
    now: Date,
  ): Promise<OtpReply | undefined> {
    const existing = await this.requests.findByIdempotencyKey(accountSid, key);
    if (!existing) return undefined;
    if (now.getTime() - existing.createdAt.getTime() > IDEMPOTENCY_WINDOW_MS) {
      // The key is older than its 24 h window: it no longer binds, so it is released.
      await this.requests.releaseIdempotencyKey(existing.id);
      return undefined;
    }
    if (existing.requestHash !== requestHash)
      throw new DomainError(ErrorCode.IdempotencyKeyReused, undefined, { requestID: existing.id });
    return { code: 200, message: 'OK', requestID: existing.id };
  }

  private async reload(id: string, now: Date): Promise<StoredRequest> {
    const row = await this.requests.find(id, now);
    if (!row) throw new Error(`request ${id} vanished`);
    return row;
  }
}

/** What is left of the tightest limit that counted the operation, for the reply. */
function limitState(limit: ConsumeLimitsReply): Pick<OtpReply, 'remaining' | 'resetIn' | 'limit'> {
  return { remaining: limit.remaining, resetIn: limit.resetIn, limit: limit.limit };
}

/** What the created event says of the fraud guard's verdict. */
function fraudFields(verdict: FraudVerdict | undefined): Pick<OtpEventData, 'fraudDecision' | 'fraudReasons'> {
  if (!verdict) return {};
  return verdict.reasons
    ? { fraudDecision: verdict.decision, fraudReasons: verdict.reasons }
    : { fraudDecision: verdict.decision };
}

function statusError(r: StoredRequest): DomainError {
  const extra = { requestID: r.id };
  switch (r.effectiveStatus) {
    case 'verified':
      return new DomainError(ErrorCode.AlreadyVerified, undefined, extra);
    case 'canceled':
      return new DomainError(ErrorCode.Canceled, undefined, extra);
    case 'expired':
      return new DomainError(ErrorCode.Expired, undefined, extra);
    case 'failed':
      // Every channel failed to deliver: no code reached the person, so none can be right.
      if (r.statusReason === 'delivery_failed') return new DomainError(ErrorCode.DeliveryFailed, undefined, extra);
      return new DomainError(ErrorCode.TooManyWrongAttempts, undefined, extra);
    case 'pending': // pending with no attempts left
      return new DomainError(ErrorCode.TooManyWrongAttempts, undefined, extra);
    case 'blocked': // never stored: a blocked send leaves only its event
      return new DomainError(ErrorCode.UnknownOtpOnVerify, undefined, extra);
  }
}

/** What makes two sends "the same request" for Idempotency-Key. */
function hashRequest(command: SendOtpCommand): string {
  const { idempotencyKey: _key, idempotencyKeyMinted: _minted, ...rest } = command;
  return createHash('sha256').update(canonicalJson(rest)).digest('hex');
}

/** JSON with object keys sorted at every depth, so that key order does not change the hash. */
function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  if (value && typeof value === 'object') {
    const entries = Object.entries(value)
      .filter(([, v]) => v !== undefined)
      .sort(([a], [b]) => (a < b ? -1 : 1));
    return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonicalJson(v)}`).join(',')}}`;
  }
  return JSON.stringify(value);
}
