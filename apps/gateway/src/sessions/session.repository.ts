import { Inject, Injectable } from '@nestjs/common';
import { REDIS, type RedisClient } from '@app/platform';

/** What the gateway keeps of one console session (never the cookie's value itself). */
export interface StoredSession {
  accountSid: string;
  email: string;
  parentSid: string | null;
  /** Sent back by the console on every mutating request (header X-CSRF-Token). */
  csrfToken: string;
  /** Epoch milliseconds by the gateway's clock. */
  createdAt: number;
  lastSeenAt: number;
}

/**
 * Console sessions and failed sign-in counters in Redis. Every operation touches one key, so
 * it works unchanged on a Redis Cluster. Session keys are named by the SHA-256 of the cookie's
 * value: a copy of Redis does not hand out live cookies.
 */
@Injectable()
export class SessionRepository {
  constructor(@Inject(REDIS) private readonly redis: RedisClient) {}

  async create(idHash: string, session: StoredSession, ttlMs: number): Promise<void> {
    await this.redis.set(sessionKey(idHash), JSON.stringify(session), 'PX', ttlMs);
  }

  async find(idHash: string): Promise<StoredSession | undefined> {
    const raw = await this.redis.get(sessionKey(idHash));
    return raw === null ? undefined : (JSON.parse(raw) as StoredSession);
  }

  /**
   * Writes the session back with a new idle deadline, only if it still exists (`XX`): a
   * request that raced a sign-out must not bring the revoked session back.
   */
  async touch(idHash: string, session: StoredSession, ttlMs: number): Promise<void> {
    await this.redis.set(sessionKey(idHash), JSON.stringify(session), 'PX', ttlMs, 'XX');
  }

  async delete(idHash: string): Promise<void> {
    await this.redis.del(sessionKey(idHash));
  }

  /** Failed sign-ins counted under `subject` in the current window, and the seconds the window has left. */
  async failures(subject: string): Promise<{ count: number; resetInSeconds: number }> {
    const key = failureKey(subject);
    const [count, ttl] = await Promise.all([this.redis.get(key), this.redis.ttl(key)]);
    return { count: Number(count ?? 0), resetInSeconds: Math.max(ttl, 1) };
  }

  /** Counts one failed sign-in; the window starts with the first failure and is not extended by later ones. */
  async countFailure(subject: string, windowSeconds: number): Promise<void> {
    const key = failureKey(subject);
    await this.redis.incr(key);
    await this.redis.expire(key, windowSeconds, 'NX');
  }

  async clearFailures(subject: string): Promise<void> {
    await this.redis.del(failureKey(subject));
  }
}

const sessionKey = (idHash: string) => `console:session:${idHash}`;
const failureKey = (subject: string) => `console:signin-failures:${subject}`;
