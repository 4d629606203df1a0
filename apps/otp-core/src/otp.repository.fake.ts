import { DELIVERY_STATUS_RANK, type DeliveryStatus, type OtpStatus } from '@app/contracts';
import { OtpRequestEntity } from './otp-request.entity';
import type { OtpRow } from './otp-row';
import {
  type DeliveryStatusChange,
  type DestinationKey,
  type DispatchRow,
  type NewDispatch,
  OtpRepository,
  type OutboxRow,
  type RequestTarget,
  type StoredOutboxRow,
  type StoredRequest,
  type Transition,
  type VerifyAttempt,
} from './otp.repository';

type StoredDispatch = Omit<NewDispatch, 'state'> & {
  state: DispatchRow['state'];
  deliveryStatus: DeliveryStatus | null;
};

/**
 * {@link OtpRepository} in memory, for the service unit tier (Immich's repository fakes): the
 * same conditions as the Postgres statements ("live", the conditional transitions, the step
 * timing), so a service's decisions can be tested without a database. A transaction that
 * throws leaves nothing behind. Not a second implementation to run on: the Postgres one is
 * proven against Postgres (test/otp/otp-repository.e2e-spec.ts).
 */
export class InMemoryOtpRepository extends OtpRepository {
  requests = new Map<string, OtpRow>();
  dispatches = new Map<string, StoredDispatch>();
  outbox: StoredOutboxRow[] = [];
  /** Set to make the next call throw (an outage); cleared once thrown. */
  failNext?: Error;
  private nextOutboxId = 1;
  private inTransaction = false;

  async transaction<T>(work: (tx: OtpRepository) => Promise<T>): Promise<T> {
    this.maybeFail();
    if (this.inTransaction) return work(this);
    const saved = {
      requests: new Map([...this.requests].map(([k, v]) => [k, { ...v }])),
      dispatches: new Map([...this.dispatches].map(([k, v]) => [k, { ...v }])),
      outbox: [...this.outbox],
    };
    this.inTransaction = true;
    try {
      return await work(this);
    } catch (error) {
      Object.assign(this, saved);
      throw error;
    } finally {
      this.inTransaction = false;
    }
  }

  async insert(row: OtpRow): Promise<void> {
    this.maybeFail();
    const taken = [...this.requests.values()].some(
      (r) => row.idempotencyKey && r.accountSid === row.accountSid && r.idempotencyKey === row.idempotencyKey,
    );
    if (taken || this.requests.has(row.id)) throw Object.assign(new Error('duplicate key'), { code: '23505' });
    this.requests.set(row.id, { ...row });
  }

  async createAtOnce(
    row: OtpRow,
    dispatches: NewDispatch[],
    outbox: OutboxRow[],
    now: Date,
    guardUntil?: Date,
  ): Promise<StoredOutboxRow[] | undefined> {
    return this.transaction(async () => {
      if (guardUntil) await this.guardLive(row, now, guardUntil);
      else if (this.ofDestination(row).some((r) => isLive(r, now))) return undefined;
      await this.insert(row);
      await this.insertDispatches(dispatches);
      return this.appendOutbox(outbox);
    });
  }

  async findByIdempotencyKey(accountSid: string, key: string): Promise<OtpRow | undefined> {
    this.maybeFail();
    const row = [...this.requests.values()].find((r) => r.accountSid === accountSid && r.idempotencyKey === key);
    return row && withoutHash(row);
  }

  async releaseIdempotencyKey(requestId: string): Promise<void> {
    const row = this.requests.get(requestId);
    if (row) row.idempotencyKey = null;
  }

  async findLive(
    accountSid: string,
    target: RequestTarget,
    now: Date,
  ): Promise<{ live: StoredRequest[]; newest: StoredRequest | undefined }> {
    this.maybeFail();
    const visible = (r: OtpRow) => r.accountSid === accountSid || r.parentAccountSid === accountSid;
    const found =
      'requestId' in target
        ? [...this.requests.values()].filter((r) => r.id === target.requestId && visible(r))
        : [...this.requests.values()]
            .filter((r) => visible(r) && r.service === target.service && r.destination === target.destination)
            .sort((a, b) => b.createdAt.getTime() - a.createdAt.getTime())
            .slice(0, 10);
    const stored = found.map((r) => asOf(r, now));
    return { live: stored.filter((r) => r.effectiveStatus === 'pending'), newest: stored[0] };
  }

  async find(id: string, now: Date): Promise<StoredRequest | undefined> {
    const row = this.requests.get(id);
    return row && asOf(row, now);
  }

  async findMany(ids: string[], now: Date): Promise<Map<string, StoredRequest>> {
    const rows = ids.map((id) => this.requests.get(id)).filter((r): r is OtpRow => r !== undefined);
    return new Map(rows.map((r) => [r.id, asOf(r, now)]));
  }

  async statusCallbackOf(requestId: string, accountSid: string): Promise<string | undefined> {
    this.maybeFail();
    const row = this.requests.get(requestId);
    return row?.accountSid === accountSid ? (row.statusCallback ?? undefined) : undefined;
  }

  async countAttempt(accountSid: string, target: RequestTarget, now: Date): Promise<VerifyAttempt> {
    const { live, newest } = await this.findLive(accountSid, target, now);
    const primary = live[0] && this.requests.get(live[0].id)!;
    const counted = primary && isLive(primary, now) && primary.attempts < primary.maxAttempts;
    const attempts = counted ? ++primary.attempts : undefined;
    const pendingBeside = (r: OtpRow) => this.ofDestination(r).some((o) => o.id !== r.id && o.status === 'pending');
    return {
      live,
      newest,
      attempts,
      hashes: new Map(live.map((r) => [r.id, this.requests.get(r.id)!.codeHash])),
      withSiblings: new Set(live.filter(pendingBeside).map((r) => r.id)),
    };
  }

  async transition(
    id: string,
    to: Transition,
    now: Date,
    from: 'live' | 'pending' = 'live',
  ): Promise<OtpRow | undefined> {
    const row = this.requests.get(id);
    if (!row || (from === 'live' ? !isLive(row, now) : row.status !== 'pending')) return undefined;
    return end(row, to, now);
  }

  async transitionAlone(
    id: string,
    to: Transition,
    now: Date,
    outbox: OutboxRow[],
  ): Promise<StoredOutboxRow[] | undefined> {
    return this.transaction(async () => ((await this.transition(id, to, now)) ? this.appendOutbox(outbox) : undefined));
  }

  async transitionSiblings(of: OtpRow, to: Transition, now: Date): Promise<OtpRow[]> {
    return this.ofDestination(of)
      .filter((r) => r.id !== of.id && r.status === 'pending')
      .map((r) => end(r, to, now));
  }

  async supersedeLive(key: DestinationKey, now: Date): Promise<OtpRow[]> {
    return this.ofDestination(key)
      .filter((r) => isLive(r, now))
      .map((r) => end(r, { status: 'canceled', reason: 'superseded' }, now));
  }

  async guardLive(key: DestinationKey, now: Date, guardUntil: Date): Promise<void> {
    if (now >= guardUntil) return;
    for (const r of this.ofDestination(key)) {
      // Only shortens: a running guard, or an expiry before it, stays.
      if (r.status === 'pending' && r.expiresAt > guardUntil && (r.guardUntil === null || r.guardUntil > guardUntil))
        r.guardUntil = guardUntil;
    }
  }

  async endElapsed(now: Date, limit: number): Promise<{ guardEnded: OtpRow[]; expired: OtpRow[] }> {
    const pending = () => [...this.requests.values()].filter((r) => r.status === 'pending');
    const guardEnded = pending()
      .filter((r) => r.guardUntil !== null && r.guardUntil <= now)
      .slice(0, limit)
      .map((r) => end(r, { status: 'canceled', reason: 'guard_time_elapsed' }, r.guardUntil!));
    const expired = pending()
      .filter((r) => r.expiresAt <= now)
      .slice(0, limit)
      .map((r) => {
        Object.assign(r, { status: 'expired', endedAt: r.expiresAt });
        return withoutHash(r);
      });
    return { guardEnded, expired };
  }

  async insertDispatches(rows: NewDispatch[]): Promise<void> {
    for (const d of rows) this.dispatches.set(d.id, { ...d, deliveryStatus: null });
  }

  async skipStepsOfEnded(now: Date): Promise<void> {
    for (const d of this.dispatches.values())
      if (d.state === 'planned' && this.requests.get(d.requestId)?.status !== 'pending') skip(d, now);
  }

  async lockDueSteps(now: Date, limit: number): Promise<DispatchRow[]> {
    return [...this.dispatches.values()]
      .filter((d) => d.state === 'planned' && d.dueAt !== null && d.dueAt <= now)
      .filter((d) => isLive(this.requests.get(d.requestId)!, now))
      .sort((a, b) => a.dueAt!.getTime() - b.dueAt!.getTime())
      .slice(0, limit)
      .map(dispatchRow);
  }

  async lockDispatchesOf(
    dispatchId: string,
    now: Date,
  ): Promise<{ request: StoredRequest; dispatches: DispatchRow[] } | undefined> {
    const found = this.dispatches.get(dispatchId);
    if (!found) return undefined;
    return { request: asOf(this.requests.get(found.requestId)!, now), dispatches: this.dispatchesOf(found.requestId) };
  }

  async setDeliveryStatus(dispatchId: string, status: DeliveryStatus, now: Date): Promise<void> {
    const d = this.dispatches.get(dispatchId);
    if (d) Object.assign(d, { deliveryStatus: status, updatedAt: now });
  }

  async advanceDeliveryStatuses(changes: DeliveryStatusChange[]): Promise<boolean[]> {
    this.maybeFail();
    // As the statement: per dispatch only its highest change (the first of equals) is tried,
    // which is what applying them highest first, one by one, does.
    const byRank = changes
      .map((change, i) => ({ change, i }))
      .sort((a, b) => DELIVERY_STATUS_RANK[b.change.status] - DELIVERY_STATUS_RANK[a.change.status]);
    const written = changes.map(() => false);
    for (const { change, i } of byRank) {
      const d = this.dispatches.get(change.dispatchId);
      if (!d || (d.deliveryStatus && DELIVERY_STATUS_RANK[d.deliveryStatus] >= DELIVERY_STATUS_RANK[change.status]))
        continue;
      Object.assign(d, { deliveryStatus: change.status, updatedAt: change.at });
      written[i] = true;
    }
    return written;
  }

  async markStepDispatched(step: DispatchRow, now: Date): Promise<void> {
    const d = this.dispatches.get(step.id)!;
    Object.assign(d, { state: 'dispatched', sealedMessage: null, dueAt: null, dispatchedAt: now, updatedAt: now });
    const next = this.step(step.requestId, step.seq + 1);
    if (next) Object.assign(next, { dueAt: new Date(now.getTime() + next.afterSeconds * 1000), updatedAt: now });
  }

  async skipStep(step: DispatchRow, now: Date): Promise<void> {
    skip(this.dispatches.get(step.id)!, now);
    const next = this.step(step.requestId, step.seq + 1);
    if (next) Object.assign(next, { dueAt: now, updatedAt: now });
  }

  async appendOutbox(rows: OutboxRow[]): Promise<StoredOutboxRow[]> {
    this.maybeFail();
    const stored = rows.map((r) => ({ ...r, id: String(this.nextOutboxId++) }));
    this.outbox.push(...stored);
    return stored;
  }

  async lockOutbox(limit: number, exclude: string[] = []): Promise<StoredOutboxRow[]> {
    return this.outbox.filter((r) => !exclude.includes(r.id)).slice(0, limit);
  }

  async deleteOutbox(ids: string[]): Promise<void> {
    this.outbox = this.outbox.filter((r) => !ids.includes(r.id));
  }

  /** The dispatches of a request in order. */
  dispatchesOf(requestId: string): DispatchRow[] {
    return [...this.dispatches.values()]
      .filter((d) => d.requestId === requestId)
      .sort((a, b) => a.seq - b.seq)
      .map(dispatchRow);
  }

  /** The full stored dispatch (due time included), for assertions. */
  dispatch(id: string): StoredDispatch | undefined {
    return this.dispatches.get(id);
  }

  private step(requestId: string, seq: number): StoredDispatch | undefined {
    return [...this.dispatches.values()].find(
      (d) => d.requestId === requestId && d.seq === seq && d.state === 'planned',
    );
  }

  private ofDestination(key: DestinationKey): OtpRow[] {
    return [...this.requests.values()].filter(
      (r) => r.accountSid === key.accountSid && r.service === key.service && r.destination === key.destination,
    );
  }

  private maybeFail(): void {
    const error = this.failNext;
    if (!error) return;
    this.failNext = undefined;
    throw error;
  }
}

/** A pending request created at `createdAt` and valid for 5 minutes, with `fields` as given. */
export function pendingRow(createdAt: Date, fields: Partial<OtpRow> = {}): OtpRow {
  return Object.assign(new OtpRequestEntity(), {
    id: 'OTP0123456789abcdef0123456789abcdef',
    accountSid: 'AC0123456789abcdef0123456789abcdef',
    parentAccountSid: null,
    service: 'login',
    channel: 'sms' as const,
    from: 'ACME',
    destination: '+14155552671',
    codeHash: 'hash',
    status: 'pending' as const,
    statusReason: null,
    attempts: 0,
    maxAttempts: 5,
    createdAt,
    expiresAt: new Date(createdAt.getTime() + 300_000),
    guardUntil: null,
    endedAt: null,
    recipientIp: null,
    idempotencyKey: null,
    requestHash: null,
    statusCallback: null,
    ...fields,
  });
}

function isLive(r: OtpRow, now: Date): boolean {
  return r.status === 'pending' && r.expiresAt > now && (r.guardUntil === null || r.guardUntil > now);
}

function effectiveStatus(r: OtpRow, now: Date): OtpStatus {
  if (r.status !== 'pending') return r.status;
  if (r.guardUntil !== null && r.guardUntil <= now) return 'canceled';
  return r.expiresAt <= now ? 'expired' : 'pending';
}

/** As the Postgres repository reads a row back: never the code hash. */
function withoutHash(r: OtpRow): OtpRow {
  return { ...r, codeHash: undefined as unknown as string };
}

function asOf(r: OtpRow, now: Date): StoredRequest {
  return { ...withoutHash(r), effectiveStatus: effectiveStatus(r, now) };
}

function end(r: OtpRow, to: Transition, at: Date): OtpRow {
  Object.assign(r, { status: to.status, statusReason: to.reason, endedAt: at });
  return withoutHash(r);
}

function skip(d: StoredDispatch, now: Date): void {
  Object.assign(d, { state: 'skipped', sealedMessage: null, dueAt: null, updatedAt: now });
}

function dispatchRow(d: StoredDispatch): DispatchRow {
  return {
    id: d.id,
    requestId: d.requestId,
    seq: d.seq,
    state: d.state,
    deliveryStatus: d.deliveryStatus,
    afterSeconds: d.afterSeconds,
    sealedMessage: d.sealedMessage,
  };
}
