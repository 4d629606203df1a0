import { Inject, Injectable } from '@nestjs/common';
import { REDIS } from '@app/platform';
import type { Redis } from 'ioredis';

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

  /** The provider refused: let a later delivery try again. */
  async release(dispatchId: string): Promise<void> {
    await this.redis.del(keyOf(dispatchId));
  }
}

function keyOf(dispatchId: string): string {
  return `dispatch:{${dispatchId}}`;
}
