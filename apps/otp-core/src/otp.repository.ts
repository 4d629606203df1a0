import { Inject, Injectable } from '@nestjs/common';
import type { Channel, DeliveryStatus, OtpStatus } from '@app/contracts';
import type { DataSource, EntityManager } from 'typeorm';
import { OTP_DATA_SOURCE } from './otp-core.tokens';
import { OtpRequestEntity } from './otp-request.entity';
import type { OtpRow } from './otp-row';
import { OutboxMessageEntity } from './outbox/outbox-message.entity';

/** A request as read for a decision: its columns and its status as of the `now` it was read at. */
export type StoredRequest = OtpRow & {
  /** `status`, or what time already decided: `expired`, or `canceled` once a guard time elapsed. */
  effectiveStatus: OtpStatus;
};

/** Where a request ends: the new status and why. */
export interface Transition {
  status: Extract<OtpStatus, 'verified' | 'canceled' | 'failed'>;
  reason: string | null;
}

/** Which requests a verify or cancel names: one by id, or those of one destination. */
export type RequestTarget = { requestId: string } | { service: string; destination: string };

/** What {@link OtpRepository.countAttempt} read and counted. */
export interface VerifyAttempt {
  live: StoredRequest[];
  newest: StoredRequest | undefined;
  /** Attempts on `live[0]` so far, this one included; undefined when none was counted (none live, or none left). */
  attempts: number | undefined;
  /** The stored code hashes of the live requests. */
  hashes: Map<string, string>;
  /** The live requests that other pending requests of their account, service and destination wait beside. */
  withSiblings: Set<string>;
}

/** Account, service and destination: the requests a new send supersedes. */
export interface DestinationKey {
  accountSid: string;
  service: string;
  destination: string;
}

/** One planned or made dispatch of a request (the first one and its fallback steps). */
export interface DispatchRow {
  id: string;
  requestId: string;
  seq: number;
  state: 'planned' | 'dispatched' | 'skipped';
  deliveryStatus: DeliveryStatus | null;
  afterSeconds: number;
  sealedMessage: string | null;
}

export interface NewDispatch {
  id: string;
  requestId: string;
  seq: number;
  channel: Channel;
  destination: string;
  afterSeconds: number;
  state: 'planned' | 'dispatched';
  dueAt: Date | null;
  sealedMessage: string | null;
  dispatchedAt: Date | null;
  updatedAt: Date;
}

/** A dispatch's new delivery status, as of `at`. */
export interface DeliveryStatusChange {
  dispatchId: string;
  status: DeliveryStatus;
  at: Date;
}

/** A message for JetStream, written in the transaction of the change it announces. */
export interface OutboxRow {
  subject: string;
  msgId: string;
  payload: object;
  requestId: string | null;
  createdAt: Date;
}

export type StoredOutboxRow = OutboxRow & { id: string };

/**
 * Everything otp-core reads and writes of its state: the OTP state machine (requests and their
 * dispatches) and the outbox, in one place (Kratos's persister), so that services hold no SQL
 * and a unit test can stand a fake in for it. Every state change is conditional and the
 * database's answer decides: a transition returns the row it changed, or nothing when the
 * request was no longer in the state it required (a concurrent verify, cancel or sweep won).
 *
 * Inside {@link transaction} the same calls run in that transaction.
 */
export abstract class OtpRepository {
  abstract transaction<T>(work: (tx: OtpRepository) => Promise<T>): Promise<T>;

  // Requests
  abstract insert(row: OtpRow): Promise<void>;
  /**
   * A send in one statement (one round trip, atomic like a transaction): the request, its
   * dispatches and its outbox messages are written together, and, with `guardUntil`, the live
   * requests of the destination get their guard time ({@link guardLive}). Without `guardUntil`
   * nothing is written when a live request of the destination exists (it must be superseded,
   * with events: the caller then takes the transaction path). Returns the outbox rows written,
   * or undefined when nothing was.
   */
  abstract createAtOnce(
    row: OtpRow,
    dispatches: NewDispatch[],
    outbox: OutboxRow[],
    now: Date,
    guardUntil?: Date,
  ): Promise<StoredOutboxRow[] | undefined>;
  /** The request holding an Idempotency-Key of the account (with its request hash), if any. */
  abstract findByIdempotencyKey(accountSid: string, key: string): Promise<OtpRow | undefined>;
  /** A key older than its window no longer binds: the request lets go of it. */
  abstract releaseIdempotencyKey(requestId: string): Promise<void>;
  /**
   * The live requests a verify or cancel names, newest first, among those the account may see
   * (its own and its sub-accounts'), and the newest of them live or not (for the refusal), or
   * `newest: undefined` when it sees none. By destination only the ten newest are looked at
   * (only a guard time keeps an older one alive, and a newer send sets it).
   */
  abstract findLive(
    accountSid: string,
    target: RequestTarget,
    now: Date,
  ): Promise<{ live: StoredRequest[]; newest: StoredRequest | undefined }>;
  abstract find(id: string, now: Date): Promise<StoredRequest | undefined>;
  /** Requests by id (no lock); those that do not exist are missing from the map. */
  abstract findMany(ids: string[], now: Date): Promise<Map<string, StoredRequest>>;
  /** Where a request's events are POSTed, if anywhere (undefined too when the request is not the account's). */
  abstract statusCallbackOf(requestId: string, accountSid: string): Promise<string | undefined>;
  /**
   * What a verify reads, and its attempt, in one statement: the live requests the target names
   * and the newest of them (as {@link findLive}), their code hashes, and one attempt counted on
   * the newest live one, before any comparison, while it is live and attempts remain (an
   * attacker's parallel guesses all count).
   */
  abstract countAttempt(accountSid: string, target: RequestTarget, now: Date): Promise<VerifyAttempt>;
  /**
   * Ends a request: from `live` (pending, not expired, no elapsed guard time as of `now`), or
   * from `pending` whatever the clock says (attempts exhausted, every channel failed).
   */
  abstract transition(id: string, to: Transition, now: Date, from?: 'live' | 'pending'): Promise<OtpRow | undefined>;
  /**
   * {@link transition} and {@link appendOutbox} in one statement (atomic like a transaction):
   * the messages are written only when the request ended. Undefined when it did not.
   */
  abstract transitionAlone(
    id: string,
    to: Transition,
    now: Date,
    outbox: OutboxRow[],
  ): Promise<StoredOutboxRow[] | undefined>;
  /** Ends the other pending requests of the same account, service and destination. */
  abstract transitionSiblings(of: OtpRow, to: Transition, now: Date): Promise<OtpRow[]>;
  /** A new send without guard time: the live requests of the destination end now (`superseded`). */
  abstract supersedeLive(key: DestinationKey, now: Date): Promise<OtpRow[]>;
  /**
   * A new send with a guard time: the live requests of the destination stay valid until
   * `guardUntil`; it only shortens (a running guard, or an expiry before it, stays).
   */
  abstract guardLive(key: DestinationKey, now: Date, guardUntil: Date): Promise<void>;
  /** Up to `limit` pending requests whose guard time elapsed become `canceled`, up to `limit` past their expiry `expired` (skipping rows others hold). */
  abstract endElapsed(now: Date, limit: number): Promise<{ guardEnded: OtpRow[]; expired: OtpRow[] }>;

  // Dispatches
  abstract insertDispatches(rows: NewDispatch[]): Promise<void>;
  /** Planned steps of requests that ended are skipped and their sealed text dropped. */
  abstract skipStepsOfEnded(now: Date): Promise<void>;
  /** Planned steps due by `now` of live requests, both rows locked (rows others hold are skipped). */
  abstract lockDueSteps(now: Date, limit: number): Promise<DispatchRow[]>;
  /**
   * The request of a dispatch and all its dispatches in order, locked (request row first), or
   * undefined when the dispatch is not ours.
   */
  abstract lockDispatchesOf(
    dispatchId: string,
    now: Date,
  ): Promise<{ request: StoredRequest; dispatches: DispatchRow[] } | undefined>;
  abstract setDeliveryStatus(dispatchId: string, status: DeliveryStatus, now: Date): Promise<void>;
  /**
   * Records statuses that decide nothing else (not failures), in one statement for the lot and
   * without locking their requests: each only if it ranks above its dispatch's current one
   * (statuses only move forward). Answers per change, in order, whether it was written; false
   * when it was not (stale, repeated, not our dispatch, or outranked by another change of the
   * same dispatch in the same call: of those the highest, the first of equals, is the one tried).
   */
  abstract advanceDeliveryStatuses(changes: DeliveryStatusChange[]): Promise<boolean[]>;
  /** The step went out; the step after it becomes due `after_seconds` from now. */
  abstract markStepDispatched(step: DispatchRow, now: Date): Promise<void>;
  /** The step can never go out; the step after it, if any, is due at once in its place. */
  abstract skipStep(step: DispatchRow, now: Date): Promise<void>;

  // Outbox
  /** Writes messages; returns them with their ids (the outbox's order). */
  abstract appendOutbox(rows: OutboxRow[]): Promise<StoredOutboxRow[]>;
  /**
   * The oldest messages, up to `limit`, locked for this transaction; rows others hold and the
   * `exclude`d ones (this process is publishing them) are skipped.
   */
  abstract lockOutbox(limit: number, exclude?: string[]): Promise<StoredOutboxRow[]>;
  /** Published: the messages leave the outbox. */
  abstract deleteOutbox(ids: string[]): Promise<void>;
}

/**
 * "Live", the one definition: pending, not past its expiry, not past a guard time, as of the
 * timestamp parameter `now`. Expiry and guard time hold to the second whether or not the
 * sweeper has run. EFFECTIVE_STATUS says the same as a status.
 */
const LIVE = (now: string, t = '') =>
  `${t}status = 'pending' AND ${t}expires_at > ${now} AND (${t}guard_until IS NULL OR ${t}guard_until > ${now})`;
const EFFECTIVE_STATUS = (now: string, t = '') =>
  `CASE WHEN ${t}status <> 'pending' THEN ${t}status WHEN ${t}guard_until <= ${now} THEN 'canceled'
        WHEN ${t}expires_at <= ${now} THEN 'expired' ELSE 'pending' END`;

/** Columns read back for decisions (never the code hash). */
const COLUMNS =
  'id, account_sid, parent_account_sid, service, channel, from_address, destination, status, status_reason, attempts, max_attempts, created_at, expires_at, guard_until, ended_at, recipient_ip, idempotency_key, request_hash, status_callback';
const COLUMNS_AS_OF = (now: string, t = '') =>
  `${COLUMNS.split(', ')
    .map((c) => t + c)
    .join(', ')}, ${EFFECTIVE_STATUS(now, t)} AS effective_status`;
/**
 * Outbox messages written by the statement of the change they announce, in their order, only
 * when `gate` (a CTE of that statement) has a row; parameters `$first`… are {@link outboxParams}.
 */
const OUTBOX_INSERT = (first: number, gate: string) => {
  const [s, m, p, r, c] = [0, 1, 2, 3, 4].map((i) => `$${first + i}`);
  return `INSERT INTO otp.outbox (subject, msg_id, payload, request_id, created_at)
         SELECT t.s, t.m, t.p, t.r, t.c
           FROM unnest(${s}::text[], ${m}::text[], ${p}::jsonb[], ${r}::text[], ${c}::timestamptz[]) WITH ORDINALITY AS t(s, m, p, r, c, n),
                (SELECT 1 FROM ${gate} LIMIT 1) AS gate
          ORDER BY t.n
         RETURNING id`;
};
const outboxParams = (outbox: OutboxRow[]) => [
  outbox.map((x) => x.subject),
  outbox.map((x) => x.msgId),
  outbox.map((x) => JSON.stringify(x.payload)),
  outbox.map((x) => x.requestId),
  outbox.map((x) => x.createdAt),
];
const DISPATCH_COLUMNS = 'id, request_id, seq, state, delivery_status, after_seconds, sealed_message';

interface RequestRecord {
  id: string;
  account_sid: string;
  parent_account_sid: string | null;
  service: string;
  channel: Channel;
  from_address: string;
  destination: string;
  status: OtpStatus;
  status_reason: string | null;
  attempts: number;
  max_attempts: number;
  created_at: Date;
  expires_at: Date;
  guard_until: Date | null;
  ended_at: Date | null;
  recipient_ip: string | null;
  idempotency_key: string | null;
  request_hash: string | null;
  status_callback: string | null;
  effective_status?: OtpStatus;
}

interface DispatchRecord {
  id: string;
  request_id: string;
  seq: number;
  state: DispatchRow['state'];
  delivery_status: DeliveryStatus | null;
  after_seconds: number;
  sealed_message: string | null;
}

/** {@link OtpRepository} on otp-core's Postgres schema `otp`. */
@Injectable()
export class PostgresOtpRepository extends OtpRepository {
  private q: EntityManager;
  private inTransaction = false;

  constructor(@Inject(OTP_DATA_SOURCE) private readonly db: DataSource) {
    super();
    this.q = db.manager;
  }

  async transaction<T>(work: (tx: OtpRepository) => Promise<T>): Promise<T> {
    if (this.inTransaction) return work(this);
    return this.db.transaction((manager) => {
      const tx = new PostgresOtpRepository(this.db);
      tx.q = manager;
      tx.inTransaction = true;
      return work(tx);
    });
  }

  async insert(row: OtpRow): Promise<void> {
    await this.q.insert(OtpRequestEntity, row);
  }

  async createAtOnce(
    row: OtpRow,
    dispatches: NewDispatch[],
    outbox: OutboxRow[],
    now: Date,
    guardUntil?: Date,
  ): Promise<StoredOutboxRow[] | undefined> {
    const d = <K extends keyof NewDispatch>(k: K) => dispatches.map((x) => x[k]);
    const key = `account_sid = $2 AND service = $4 AND destination = $7`;
    const params: unknown[] = [
      row.id,
      row.accountSid,
      row.parentAccountSid,
      row.service,
      row.channel,
      row.from,
      row.destination,
      row.codeHash,
      row.status,
      row.statusReason,
      row.attempts,
      row.maxAttempts,
      row.createdAt,
      row.expiresAt,
      row.recipientIp,
      row.idempotencyKey,
      row.requestHash,
      row.statusCallback,
      now,
      d('id'),
      d('requestId'),
      d('seq'),
      d('channel'),
      d('destination'),
      d('afterSeconds'),
      d('state'),
      d('dueAt'),
      d('sealedMessage'),
      d('dispatchedAt'),
      d('updatedAt'),
      ...outboxParams(outbox),
    ];
    if (guardUntil) params.push(guardUntil);
    const rows: { outbox_ids: string[] | null; created: number }[] = await this.q.query(
      `WITH ${
        guardUntil
          ? `guarded AS (UPDATE otp.otp_requests SET guard_until = $36::timestamptz
                WHERE ${key} AND status = 'pending' AND expires_at > $36::timestamptz
                  AND (guard_until IS NULL OR guard_until > $36::timestamptz) AND $19::timestamptz < $36::timestamptz),
             `
          : ''
      }request AS (
         INSERT INTO otp.otp_requests (id, account_sid, parent_account_sid, service, channel, from_address, destination, code_hash, status,
                                       status_reason, attempts, max_attempts, created_at, expires_at, recipient_ip,
                                       idempotency_key, request_hash, status_callback)
         SELECT $1::text, $2::text, $3::text, $4::text, $5::text, $6::text, $7::text, $8::text, $9::text, $10::text, $11::int, $12::int,
                $13::timestamptz, $14::timestamptz, $15::text, $16::text, $17::text, $18::text
          ${guardUntil ? '' : `WHERE NOT EXISTS (SELECT 1 FROM otp.otp_requests WHERE ${key} AND ${LIVE('$19::timestamptz')})`}
         RETURNING id),
       dispatches AS (
         INSERT INTO otp.dispatches (id, request_id, seq, channel, destination, after_seconds, state, due_at, sealed_message, dispatched_at, updated_at)
         SELECT t.* FROM unnest($20::text[], $21::text[], $22::int[], $23::text[], $24::text[], $25::int[], $26::text[], $27::timestamptz[],
                                $28::text[], $29::timestamptz[], $30::timestamptz[]) AS t, request),
       outbox AS (${OUTBOX_INSERT(31, 'request')})
       SELECT (SELECT count(*) FROM request)::int AS created, (SELECT array_agg(id ORDER BY id) FROM outbox) AS outbox_ids`,
      params,
    );
    if (!rows[0].created) return undefined;
    const ids = rows[0].outbox_ids ?? [];
    return outbox.map((r, i) => ({ ...r, id: String(ids[i]) }));
  }

  async findByIdempotencyKey(accountSid: string, key: string): Promise<OtpRow | undefined> {
    const rows: RequestRecord[] = await this.q.query(
      `SELECT ${COLUMNS} FROM otp.otp_requests WHERE account_sid = $1 AND idempotency_key = $2`,
      [accountSid, key],
    );
    return rows[0] && toRow(rows[0]);
  }

  async releaseIdempotencyKey(requestId: string): Promise<void> {
    await this.q.query(`UPDATE otp.otp_requests SET idempotency_key = NULL WHERE id = $1`, [requestId]);
  }

  async findLive(
    accountSid: string,
    target: RequestTarget,
    now: Date,
  ): Promise<{ live: StoredRequest[]; newest: StoredRequest | undefined }> {
    const rows: RequestRecord[] =
      'requestId' in target
        ? await this.q.query(
            `SELECT ${COLUMNS_AS_OF('$3')} FROM otp.otp_requests WHERE id = $1 AND (account_sid = $2 OR parent_account_sid = $2)`,
            [target.requestId, accountSid, now],
          )
        : await this.q.query(
            `SELECT ${COLUMNS_AS_OF('$4')} FROM otp.otp_requests
              WHERE (account_sid = $1 OR parent_account_sid = $1) AND service = $2 AND destination = $3
              ORDER BY created_at DESC LIMIT 10`,
            [accountSid, target.service, target.destination, now],
          );
    const found = rows.map(toStored);
    return { live: found.filter((r) => r.effectiveStatus === 'pending'), newest: found[0] };
  }

  async find(id: string, now: Date): Promise<StoredRequest | undefined> {
    const rows: RequestRecord[] = await this.q.query(
      `SELECT ${COLUMNS_AS_OF('$2')} FROM otp.otp_requests WHERE id = $1`,
      [id, now],
    );
    return rows[0] && toStored(rows[0]);
  }

  async findMany(ids: string[], now: Date): Promise<Map<string, StoredRequest>> {
    const rows: RequestRecord[] = await this.q.query(
      `SELECT ${COLUMNS_AS_OF('$2')} FROM otp.otp_requests WHERE id = ANY($1::text[])`,
      [ids, now],
    );
    return new Map(rows.map((r) => [r.id, toStored(r)]));
  }

  async statusCallbackOf(requestId: string, accountSid: string): Promise<string | undefined> {
    const [row]: { status_callback: string | null }[] = await this.q.query(
      `SELECT status_callback FROM otp.otp_requests WHERE id = $1 AND account_sid = $2`,
      [requestId, accountSid],
    );
    return row?.status_callback ?? undefined;
  }

  async countAttempt(accountSid: string, target: RequestTarget, now: Date): Promise<VerifyAttempt> {
    const [where, params] =
      'requestId' in target
        ? [`id = $2 AND (account_sid = $3 OR parent_account_sid = $3)`, [now, target.requestId, accountSid]]
        : [
            `(account_sid = $2 OR parent_account_sid = $2) AND service = $3 AND destination = $4`,
            [now, accountSid, target.service, target.destination],
          ];
    const rows: (RequestRecord & { code_hash: string; counted: number | null; has_siblings: boolean })[] =
      await this.q.query(
        `WITH found AS (
           SELECT ${COLUMNS_AS_OF('$1')}, code_hash FROM otp.otp_requests WHERE ${where}
            ORDER BY created_at DESC, id DESC LIMIT 10),
         counted AS (
           UPDATE otp.otp_requests r SET attempts = r.attempts + 1
            WHERE r.id = (SELECT id FROM found WHERE effective_status = 'pending' ORDER BY created_at DESC, id DESC LIMIT 1)
              AND ${LIVE('$1', 'r.')} AND r.attempts < r.max_attempts
            RETURNING r.id, r.attempts)
         SELECT found.*, counted.attempts AS counted,
                found.effective_status = 'pending' AND EXISTS (
                  SELECT 1 FROM otp.otp_requests o WHERE o.account_sid = found.account_sid AND o.service = found.service
                     AND o.destination = found.destination AND o.id <> found.id AND o.status = 'pending') AS has_siblings
           FROM found LEFT JOIN counted ON counted.id = found.id
          ORDER BY found.created_at DESC, found.id DESC`,
        params,
      );
    const found = rows.map(toStored);
    const live = rows.filter((r) => r.effective_status === 'pending');
    return {
      live: found.filter((r) => r.effectiveStatus === 'pending'),
      newest: found[0],
      attempts: rows.find((r) => r.counted !== null)?.counted ?? undefined,
      hashes: new Map(live.map((r) => [r.id, r.code_hash])),
      withSiblings: new Set(live.filter((r) => r.has_siblings).map((r) => r.id)),
    };
  }

  async transition(
    id: string,
    to: Transition,
    now: Date,
    from: 'live' | 'pending' = 'live',
  ): Promise<OtpRow | undefined> {
    const rows: RequestRecord[] = await this.q.query(
      `WITH changed AS (UPDATE otp.otp_requests SET status = $3, status_reason = $4, ended_at = $2
        WHERE id = $1 AND ${from === 'live' ? LIVE('$2') : `status = 'pending'`}
        RETURNING ${COLUMNS}) SELECT * FROM changed`,
      [id, now, to.status, to.reason],
    );
    return rows[0] && toRow(rows[0]);
  }

  async transitionAlone(
    id: string,
    to: Transition,
    now: Date,
    outbox: OutboxRow[],
  ): Promise<StoredOutboxRow[] | undefined> {
    const rows: { outbox_ids: string[] | null; ended: number }[] = await this.q.query(
      `WITH changed AS (UPDATE otp.otp_requests SET status = $3, status_reason = $4, ended_at = $2
          WHERE id = $1 AND ${LIVE('$2')} RETURNING id),
       outbox AS (${OUTBOX_INSERT(5, 'changed')})
       SELECT (SELECT count(*) FROM changed)::int AS ended, (SELECT array_agg(id ORDER BY id) FROM outbox) AS outbox_ids`,
      [id, now, to.status, to.reason, ...outboxParams(outbox)],
    );
    if (!rows[0].ended) return undefined;
    const ids = rows[0].outbox_ids ?? [];
    return outbox.map((r, i) => ({ ...r, id: String(ids[i]) }));
  }

  async transitionSiblings(of: OtpRow, to: Transition, now: Date): Promise<OtpRow[]> {
    const rows: RequestRecord[] = await this.q.query(
      `WITH changed AS (UPDATE otp.otp_requests SET status = $6, status_reason = $7, ended_at = $5
        WHERE account_sid = $1 AND service = $2 AND destination = $3 AND id <> $4 AND status = 'pending'
        RETURNING ${COLUMNS}) SELECT * FROM changed`,
      [of.accountSid, of.service, of.destination, of.id, now, to.status, to.reason],
    );
    return rows.map(toRow);
  }

  async supersedeLive(key: DestinationKey, now: Date): Promise<OtpRow[]> {
    const rows: RequestRecord[] = await this.q.query(
      `WITH changed AS (UPDATE otp.otp_requests SET status = 'canceled', status_reason = 'superseded', ended_at = $4
        WHERE account_sid = $1 AND service = $2 AND destination = $3 AND ${LIVE('$4')}
        RETURNING ${COLUMNS}) SELECT * FROM changed`,
      [key.accountSid, key.service, key.destination, now],
    );
    return rows.map(toRow);
  }

  async guardLive(key: DestinationKey, now: Date, guardUntil: Date): Promise<void> {
    await this.q.query(
      `UPDATE otp.otp_requests SET guard_until = $5
        WHERE account_sid = $1 AND service = $2 AND destination = $3 AND status = 'pending'
          AND expires_at > $5 AND (guard_until IS NULL OR guard_until > $5) AND $4 < $5`,
      [key.accountSid, key.service, key.destination, now, guardUntil],
    );
  }

  async endElapsed(now: Date, limit: number): Promise<{ guardEnded: OtpRow[]; expired: OtpRow[] }> {
    const guardEnded: RequestRecord[] = await this.q.query(
      `WITH changed AS (UPDATE otp.otp_requests SET status = 'canceled', status_reason = 'guard_time_elapsed', ended_at = guard_until
        WHERE id IN (SELECT id FROM otp.otp_requests WHERE status = 'pending' AND guard_until <= $1
                      ORDER BY guard_until LIMIT $2 FOR UPDATE SKIP LOCKED)
        RETURNING ${COLUMNS}) SELECT * FROM changed`,
      [now, limit],
    );
    const expired: RequestRecord[] = await this.q.query(
      `WITH changed AS (UPDATE otp.otp_requests SET status = 'expired', ended_at = expires_at
        WHERE id IN (SELECT id FROM otp.otp_requests WHERE status = 'pending' AND expires_at <= $1
                      ORDER BY expires_at LIMIT $2 FOR UPDATE SKIP LOCKED)
        RETURNING ${COLUMNS}) SELECT * FROM changed`,
      [now, limit],
    );
    return { guardEnded: guardEnded.map(toRow), expired: expired.map(toRow) };
  }

  async insertDispatches(rows: NewDispatch[]): Promise<void> {
    const column = <K extends keyof NewDispatch>(k: K) => rows.map((r) => r[k]);
    await this.q.query(
      `INSERT INTO otp.dispatches (id, request_id, seq, channel, destination, after_seconds, state, due_at, sealed_message, dispatched_at, updated_at)
       SELECT * FROM unnest($1::text[], $2::text[], $3::int[], $4::text[], $5::text[], $6::int[], $7::text[], $8::timestamptz[], $9::text[], $10::timestamptz[], $11::timestamptz[])`,
      [
        column('id'),
        column('requestId'),
        column('seq'),
        column('channel'),
        column('destination'),
        column('afterSeconds'),
        column('state'),
        column('dueAt'),
        column('sealedMessage'),
        column('dispatchedAt'),
        column('updatedAt'),
      ],
    );
  }

  async skipStepsOfEnded(now: Date): Promise<void> {
    await this.q.query(
      `UPDATE otp.dispatches d SET state = 'skipped', sealed_message = NULL, due_at = NULL, updated_at = $1
        FROM otp.otp_requests r WHERE d.request_id = r.id AND d.state = 'planned' AND r.status <> 'pending'`,
      [now],
    );
  }

  async lockDueSteps(now: Date, limit: number): Promise<DispatchRow[]> {
    const rows: DispatchRecord[] = await this.q.query(
      `SELECT ${DISPATCH_COLUMNS.split(', ')
        .map((c) => `d.${c}`)
        .join(', ')}
         FROM otp.dispatches d JOIN otp.otp_requests r ON r.id = d.request_id
        WHERE d.state = 'planned' AND d.due_at <= $1 AND ${LIVE('$1', 'r.')}
        ORDER BY d.due_at LIMIT $2 FOR UPDATE OF d, r SKIP LOCKED`,
      [now, limit],
    );
    return rows.map(toDispatch);
  }

  async lockDispatchesOf(
    dispatchId: string,
    now: Date,
  ): Promise<{ request: StoredRequest; dispatches: DispatchRow[] } | undefined> {
    const [found]: { request_id: string }[] = await this.q.query(
      `SELECT request_id FROM otp.dispatches WHERE id = $1`,
      [dispatchId],
    );
    if (!found) return undefined;
    const [request]: RequestRecord[] = await this.q.query(
      `SELECT ${COLUMNS_AS_OF('$2')} FROM otp.otp_requests WHERE id = $1 FOR UPDATE`,
      [found.request_id, now],
    );
    const dispatches: DispatchRecord[] = await this.q.query(
      `SELECT ${DISPATCH_COLUMNS} FROM otp.dispatches WHERE request_id = $1 ORDER BY seq FOR UPDATE`,
      [found.request_id],
    );
    return { request: toStored(request), dispatches: dispatches.map(toDispatch) };
  }

  async setDeliveryStatus(dispatchId: string, status: DeliveryStatus, now: Date): Promise<void> {
    await this.q.query(`UPDATE otp.dispatches SET delivery_status = $2, updated_at = $3 WHERE id = $1`, [
      dispatchId,
      status,
      now,
    ]);
  }

  async advanceDeliveryStatuses(changes: DeliveryStatusChange[]): Promise<boolean[]> {
    if (!changes.length) return [];
    const rank = (s: string) => `CASE ${s} WHEN 'queued' THEN 1 WHEN 'sent' THEN 2 ELSE 3 END`;
    // One change per dispatch (its highest, the first of equals) is tried; the others are
    // outranked by it, as if it had come first. The rows are locked in one order, (request,
    // seq), the order a failure's transaction locks a request's dispatches in, so concurrent
    // batches (other replicas) and failures wait for each other instead of deadlocking.
    const rows: { n: string }[] = await this.q.query(
      `WITH change AS (
         SELECT DISTINCT ON (t.id) t.id, t.status, t.at, t.n
           FROM unnest($1::text[], $2::text[], $3::timestamptz[]) WITH ORDINALITY AS t(id, status, at, n)
          ORDER BY t.id, ${rank('t.status')} DESC, t.n),
       locked AS (
         SELECT d.id FROM otp.dispatches d WHERE d.id IN (SELECT id FROM change) ORDER BY d.request_id, d.seq FOR UPDATE),
       changed AS (
         UPDATE otp.dispatches d SET delivery_status = c.status, updated_at = c.at
           FROM change c JOIN locked l ON l.id = c.id
          WHERE d.id = c.id AND (d.delivery_status IS NULL OR ${rank('d.delivery_status')} < ${rank('c.status')})
          RETURNING c.n)
       SELECT n FROM changed`,
      [changes.map((c) => c.dispatchId), changes.map((c) => c.status), changes.map((c) => c.at)],
    );
    const written = new Set(rows.map((r) => Number(r.n)));
    return changes.map((_, i) => written.has(i + 1));
  }

  async markStepDispatched(step: DispatchRow, now: Date): Promise<void> {
    await this.q.query(
      `UPDATE otp.dispatches SET state = 'dispatched', sealed_message = NULL, due_at = NULL, dispatched_at = $2, updated_at = $2 WHERE id = $1`,
      [step.id, now],
    );
    await this.q.query(
      `UPDATE otp.dispatches SET due_at = $3::timestamptz + make_interval(secs => after_seconds), updated_at = $3
        WHERE request_id = $1 AND seq = $2 AND state = 'planned'`,
      [step.requestId, step.seq + 1, now],
    );
  }

  async skipStep(step: DispatchRow, now: Date): Promise<void> {
    await this.q.query(
      `UPDATE otp.dispatches SET state = 'skipped', sealed_message = NULL, due_at = NULL, updated_at = $2 WHERE id = $1`,
      [step.id, now],
    );
    await this.q.query(
      `UPDATE otp.dispatches SET due_at = $3, updated_at = $3 WHERE request_id = $1 AND seq = $2 AND state = 'planned'`,
      [step.requestId, step.seq + 1, now],
    );
  }

  async appendOutbox(rows: OutboxRow[]): Promise<StoredOutboxRow[]> {
    if (!rows.length) return [];
    const { identifiers } = await this.q.insert(OutboxMessageEntity, rows);
    return rows.map((r, i) => ({ ...r, id: String(identifiers[i].id) }));
  }

  async lockOutbox(limit: number, exclude: string[] = []): Promise<StoredOutboxRow[]> {
    const rows: {
      id: string;
      subject: string;
      msg_id: string;
      payload: object;
      request_id: string | null;
      created_at: Date;
    }[] = await this.q.query(
      `SELECT id, subject, msg_id, payload, request_id, created_at FROM otp.outbox WHERE NOT (id = ANY($2::bigint[]))
          ORDER BY id LIMIT $1 FOR UPDATE SKIP LOCKED`,
      [limit, exclude],
    );
    return rows.map((r) => ({
      id: r.id,
      subject: r.subject,
      msgId: r.msg_id,
      payload: r.payload,
      requestId: r.request_id,
      createdAt: r.created_at,
    }));
  }

  async deleteOutbox(ids: string[]): Promise<void> {
    if (ids.length) await this.q.query(`DELETE FROM otp.outbox WHERE id = ANY($1::bigint[])`, [ids]);
  }
}

function toRow(r: RequestRecord): OtpRow {
  return Object.assign(new OtpRequestEntity(), {
    id: r.id,
    accountSid: r.account_sid,
    parentAccountSid: r.parent_account_sid,
    service: r.service,
    channel: r.channel,
    from: r.from_address,
    destination: r.destination,
    status: r.status,
    statusReason: r.status_reason,
    attempts: r.attempts,
    maxAttempts: r.max_attempts,
    createdAt: r.created_at,
    expiresAt: r.expires_at,
    guardUntil: r.guard_until,
    endedAt: r.ended_at,
    recipientIp: r.recipient_ip,
    idempotencyKey: r.idempotency_key,
    requestHash: r.request_hash,
    statusCallback: r.status_callback,
  });
}

function toStored(r: RequestRecord): StoredRequest {
  return Object.assign(toRow(r), { effectiveStatus: r.effective_status! });
}

function toDispatch(r: DispatchRecord): DispatchRow {
  return {
    id: r.id,
    requestId: r.request_id,
    seq: r.seq,
    state: r.state,
    deliveryStatus: r.delivery_status,
    afterSeconds: r.after_seconds,
    sealedMessage: r.sealed_message,
  };
}
