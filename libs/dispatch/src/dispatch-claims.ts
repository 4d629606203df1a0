import { Inject, Injectable, type OnModuleInit } from '@nestjs/common';
import { REDIS, type RedisClient } from '@app/platform';
import type { Channel } from '@app/contracts';
import { randomUUID } from 'node:crypto';

const CLAIM_TTL_SECONDS = 7 * 24 * 60 * 60;

/**
 * Takes the lease if the dispatch is neither done nor leased, and counts the attempt.
 * KEYS: the claim, the attempt counter (same hash tag). ARGV: lease value, lease ms, final TTL s.
 * Returns ['claimed', attempt] | ['done', 0] | ['busy', ms left on the holder's lease].
 */
const CLAIM_LUA = `
local v = redis.call('GET', KEYS[1])
if v == 'sent' or v == 'failed' then return {'done', 0} end
-- A claim of an older version (no owner, 7 days): lapses like a lease.
if v == 'sending' and redis.call('PTTL', KEYS[1]) > tonumber(ARGV[2]) then redis.call('PEXPIRE', KEYS[1], ARGV[2]) end
if v then return {'busy', redis.call('PTTL', KEYS[1])} end
redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[2])
local n = redis.call('INCR', KEYS[2])
redis.call('EXPIRE', KEYS[2], ARGV[3])
return {'claimed', n}
`;

/** Deletes the claim only if it still holds the given value (our lease, or `failed` to reopen). */
const RELEASE_LUA = `
if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end
return 0
`;

/** Extends the lease only if it is still ours. */
const RENEW_LUA = `
if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('PEXPIRE', KEYS[1], ARGV[2]) end
return 0
`;

/** `failed`, if the claim is our lease or has lapsed; never over a `sent` or another's lease. */
const FAIL_LUA = `
local v = redis.call('GET', KEYS[1])
if v == false or v == ARGV[1] then redis.call('SET', KEYS[1], 'failed', 'EX', ARGV[2]) return 1 end
return 0
`;

interface WithScripts {
  dispatchClaim(
    keys: number,
    claim: string,
    attempts: string,
    lease: string,
    leaseMs: number,
    ttl: number,
  ): Promise<[string, number]>;
  dispatchRelease(keys: number, claim: string, value: string): Promise<number>;
  dispatchRenew(keys: number, claim: string, lease: string, leaseMs: number): Promise<number>;
  dispatchFail(keys: number, claim: string, lease: string, ttl: number): Promise<number>;
}

/** A lease on a dispatch, held while its provider call runs; `token` names the holder. */
export interface Lease {
  readonly dispatchId: string;
  readonly token: string;
  /** Provider attempts so far, this one included (a crashed holder's attempt counts). */
  readonly attempt: number;
}

export type Claim = { kind: 'claimed'; lease: Lease } | { kind: 'already-done' } | { kind: 'busy'; retryInMs: number };

/**
 * De-duplication of dispatches on their way to a provider, shared by every replica.
 *
 * JetStream delivers at least once: a redelivery after an ack was lost, a replica killed
 * mid-send, or a re-publish that escaped the stream's de-duplication window. Before sending,
 * a replica takes a lease on the dispatch id, owned by a random token, short (a few seconds)
 * and renewed while the provider call runs, so a crashed holder's lease lapses soon. `sent` and `failed` are final (7 days): a copy is acknowledged
 * and not sent again. A live lease of another holder means "someone is at the provider right
 * now": the copy comes back once the lease can have lapsed. A holder that crashed leaves its
 * lease to lapse, and the next delivery sends again with the same dispatch id as the
 * provider's idempotency key, so a provider that de-duplicates shows the person one message.
 * Every operation touches keys of one hash tag (Redis Cluster).
 */
@Injectable()
export class DispatchClaims implements OnModuleInit {
  constructor(@Inject(REDIS) private readonly redis: RedisClient) {}

  onModuleInit(): void {
    this.defineScripts();
  }

  private get scripts(): WithScripts {
    this.defineScripts();
    return this.redis as unknown as WithScripts;
  }

  private defineScripts(): void {
    if ('dispatchClaim' in this.redis) return;
    this.redis.defineCommand('dispatchClaim', { lua: CLAIM_LUA });
    this.redis.defineCommand('dispatchRelease', { lua: RELEASE_LUA });
    this.redis.defineCommand('dispatchRenew', { lua: RENEW_LUA });
    this.redis.defineCommand('dispatchFail', { lua: FAIL_LUA });
  }

  async claim(dispatchId: string, leaseMs: number): Promise<Claim> {
    const token = randomUUID();
    const [kind, n] = await this.scripts.dispatchClaim(
      2,
      keyOf(dispatchId),
      attemptsKey(dispatchId),
      leaseOf(token),
      leaseMs,
      CLAIM_TTL_SECONDS,
    );
    if (kind === 'claimed') return { kind, lease: { dispatchId, token, attempt: Number(n) } };
    if (kind === 'done') return { kind: 'already-done' };
    // PTTL is -1 only for a key without expiry, which we never write; be safe anyway.
    return { kind: 'busy', retryInMs: Number(n) > 0 ? Number(n) : leaseMs };
  }

  /**
   * Keeps our lease alive while the provider call runs (a short lease, renewed, lets another
   * replica take over soon after a crash). False if it is no longer ours.
   */
  async renew(lease: Lease, leaseMs: number): Promise<boolean> {
    return (await this.scripts.dispatchRenew(1, keyOf(lease.dispatchId), leaseOf(lease.token), leaseMs)) === 1;
  }

  /**
   * Sent. Unconditional: a send that happened is the truth even if our lease lapsed meanwhile
   * and another holder is at the provider (which de-duplicates it by the dispatch id).
   */
  async markSent(dispatchId: string): Promise<void> {
    await this.redis.set(keyOf(dispatchId), 'sent', 'EX', CLAIM_TTL_SECONDS);
  }

  /**
   * Sent, together with what later receipts need to be resolved: the gateway only knows the
   * dispatch id a provider echoed, an SMPP receipt only the provider's message id. On one
   * server all in one MULTI (one round trip); on a Redis Cluster the message ids are in other
   * hash slots, so they follow the MULTI one by one. Every write is idempotent: the caller
   * retries the whole until it succeeds.
   */
  async markSentWith(record: SentRecord, otherMessageIds: string[] = []): Promise<void> {
    const json = JSON.stringify(record);
    const messageIds = [record.providerMessageId, ...otherMessageIds];
    const multi = this.redis
      .multi()
      .set(keyOf(record.dispatchId), 'sent', 'EX', CLAIM_TTL_SECONDS)
      .set(recordKey(record.dispatchId), json, 'EX', CLAIM_TTL_SECONDS);
    const cluster = this.redis.isCluster;
    if (!cluster) {
      for (const id of messageIds)
        multi.set(messageKey(record.provider, id), record.dispatchId, 'EX', CLAIM_TTL_SECONDS);
    }
    const results = await multi.exec();
    const failed = results?.find(([error]) => error);
    if (failed) throw failed[0];
    if (!cluster) return;
    for (const id of messageIds) {
      await this.redis.set(messageKey(record.provider, id), record.dispatchId, 'EX', CLAIM_TTL_SECONDS);
    }
  }

  /**
   * Given up (a permanent error or attempts exhausted): later copies are not sent either.
   * False if another holder has the dispatch now (our lease lapsed): its outcome decides.
   */
  async markFailed(lease: Lease): Promise<boolean> {
    return (await this.scripts.dispatchFail(1, keyOf(lease.dispatchId), leaseOf(lease.token), CLAIM_TTL_SECONDS)) === 1;
  }

  /** Undoes {@link markFailed} when its `failed` status could not be published, so a redelivery deals with it again. */
  async reopenFailed(dispatchId: string): Promise<void> {
    await this.scripts.dispatchRelease(1, keyOf(dispatchId), 'failed');
  }

  async record(dispatchId: string): Promise<SentRecord | null> {
    const raw = await this.redis.get(recordKey(dispatchId));
    return raw ? (JSON.parse(raw) as SentRecord) : null;
  }

  async dispatchIdOf(provider: string, providerMessageId: string): Promise<string | null> {
    return this.redis.get(messageKey(provider, providerMessageId));
  }

  /** The provider refused: let a later delivery try again. Only our own lease is released. */
  async release(lease: Lease): Promise<void> {
    await this.scripts.dispatchRelease(1, keyOf(lease.dispatchId), leaseOf(lease.token));
  }
}

/** What was sent, without the message itself (no code). */
export interface SentRecord {
  dispatchId: string;
  requestId: string;
  accountSid: string;
  parentAccountSid: string | null;
  channel: Channel;
  to: string;
  provider: string;
  providerMessageId: string;
  attempt: number;
  units: number;
  /** Carried from the dispatch message into its delivery_status events. */
  hasStatusCallback?: boolean;
}

function keyOf(dispatchId: string): string {
  return `dispatch:{${dispatchId}}`;
}

function attemptsKey(dispatchId: string): string {
  return `dispatch:{${dispatchId}}:attempts`;
}

function leaseOf(token: string): string {
  return `sending:${token}`;
}

function recordKey(dispatchId: string): string {
  return `dispatch:{${dispatchId}}:sent`;
}

function messageKey(provider: string, providerMessageId: string): string {
  return `dispatch-msg:${provider}:{${providerMessageId}}`;
}
