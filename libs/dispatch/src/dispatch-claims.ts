import { Inject, Injectable } from '@nestjs/common';
import { REDIS } from '@app/platform';
import type { Redis } from 'ioredis';
import type { Channel } from '@app/contracts';

const CLAIM_TTL_SECONDS = 7 * 24 * 60 * 60;

export type Claim = 'claimed' | 'already-sent' | 'in-progress';

/**
 * De-duplication of dispatches on their way to a provider, shared by every replica.
 *
 * JetStream delivers at least once: a redelivery after an ack was lost, or a re-publish that
 * escaped the stream's de-duplication window, must not reach the provider again. Before
 * sending, a replica claims the dispatch id; a claim that already says `sent` means "done",
 * and one that says `sending` means another replica is on it or one crashed mid-send. In that
 * last case we choose not to send again (at most once to the provider, rather than a second
 * SMS the person would see), and say so in the log.
 */
@Injectable()
export class DispatchClaims {
  constructor(@Inject(REDIS) private readonly redis: Redis) {}

  async claim(dispatchId: string): Promise<Claim> {
    // NX with GET (Redis 7) claims and reads the previous claim in one atomic step, so no
    // release by another replica can fall between the two. Null means there was none: ours.
    const previous = await this.redis.set(keyOf(dispatchId), 'sending', 'EX', CLAIM_TTL_SECONDS, 'NX', 'GET');
    if (previous === null) return 'claimed';
    return previous === 'sent' ? 'already-sent' : 'in-progress';
  }

  async markSent(dispatchId: string): Promise<void> {
    await this.redis.set(keyOf(dispatchId), 'sent', 'KEEPTTL', 'XX');
  }

  /**
   * Sent, together with what later receipts need to be resolved: the gateway only knows the
   * dispatch id a provider echoed, an SMPP receipt only the provider's message id.
   */
  async markSentWith(record: SentRecord, otherMessageIds: string[] = []): Promise<void> {
    const json = JSON.stringify(record);
    const multi = this.redis.multi().set(keyOf(record.dispatchId), 'sent', 'EX', CLAIM_TTL_SECONDS).set(recordKey(record.dispatchId), json, 'EX', CLAIM_TTL_SECONDS);
    const results = await multi.exec();
    const failed = results?.find(([error]) => error);
    if (failed) throw failed[0];
    // Another hash slot (Redis Cluster), so not in the same MULTI.
    for (const id of [record.providerMessageId, ...otherMessageIds]) {
      await this.redis.set(messageKey(record.provider, id), record.dispatchId, 'EX', CLAIM_TTL_SECONDS);
    }
  }

  /** Given up (a permanent error or attempts exhausted): later copies are not sent either. */
  async markFailed(dispatchId: string): Promise<void> {
    await this.redis.set(keyOf(dispatchId), 'sent', 'EX', CLAIM_TTL_SECONDS);
  }

  async record(dispatchId: string): Promise<SentRecord | null> {
    const raw = await this.redis.get(recordKey(dispatchId));
    return raw ? (JSON.parse(raw) as SentRecord) : null;
  }

  async dispatchIdOf(provider: string, providerMessageId: string): Promise<string | null> {
    return this.redis.get(messageKey(provider, providerMessageId));
  }

  /** The provider refused: let a later delivery try again. */
  async release(dispatchId: string): Promise<void> {
    await this.redis.del(keyOf(dispatchId));
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
}

function keyOf(dispatchId: string): string {
  return `dispatch:{${dispatchId}}`;
}

function recordKey(dispatchId: string): string {
  return `dispatch:{${dispatchId}}:sent`;
}

function messageKey(provider: string, providerMessageId: string): string {
  return `dispatch-msg:${provider}:{${providerMessageId}}`;
}
