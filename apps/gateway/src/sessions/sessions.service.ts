import { Inject, Injectable } from '@nestjs/common';
import { DomainError, ErrorCode, isId } from '@app/contracts';
import { APP_CONFIG, type AppConfig, Clock } from '@app/platform';
import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import { type Account, AccountsService } from '../accounts/accounts.service';
import { SessionRepository, type StoredSession } from './session.repository';

/** A live session as the guard and the session routes see it. */
export interface Session {
  account: Account;
  csrfToken: string;
  /** Epoch milliseconds: when the session ends if unused, and at the latest. */
  idleExpiresAt: number;
  absoluteExpiresAt: number;
}

/** Failed sign-ins allowed from one client address, as a multiple of those for one account SID. */
const PER_ADDRESS_FACTOR = 4;

/**
 * Console sign-in (SPEC 11): an account SID and auth token buy a server-side session, held in
 * Redis, that ends after an idle time, at an absolute time after sign-in, or at sign-out. The
 * cookie carries only a random id; the session names its account and its CSRF token.
 */
@Injectable()
export class SessionsService {
  private readonly idleMs: number;
  private readonly absoluteMs: number;

  constructor(
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    private readonly clock: Clock,
    private readonly accounts: AccountsService,
    private readonly sessions: SessionRepository,
  ) {
    this.idleMs = config.console.idleTimeoutSeconds * 1000;
    this.absoluteMs = config.console.absoluteTimeoutSeconds * 1000;
  }

  /**
   * Checks the credentials, throttled: once an account SID (or a client address) has failed
   * too often in the window, sign-in answers 486 until the window ends, right credentials or
   * not, so a token cannot be guessed through the console. HTTP Basic is not throttled here.
   */
  async signIn(sid: string, token: string, clientAddress: string): Promise<{ id: string; session: Session }> {
    const { signInMaxFailures: max, signInFailureWindowSeconds: window } = this.config.console;
    // Only a well-formed SID gets a counter of its own: garbage must not fill Redis.
    const subjects = [
      ...(isId('account', sid) ? [{ key: `sid:${sid}`, max }] : []),
      { key: `ip:${clientAddress}`, max: max * PER_ADDRESS_FACTOR },
    ];
    const counts = await Promise.all(subjects.map((s) => this.sessions.failures(s.key)));
    const throttled = counts.filter((c, i) => c.count >= subjects[i].max);
    if (throttled.length) {
      const retryAfter = Math.max(...throttled.map((c) => c.resetInSeconds));
      throw new DomainError(ErrorCode.SignInThrottled, undefined, { retryAfter });
    }
    const account = await this.accounts.authenticate(sid, token);
    if (!account) {
      await Promise.all(subjects.map((s) => this.sessions.countFailure(s.key, window)));
      throw new DomainError(ErrorCode.Unauthorized);
    }
    if (subjects.length > 1) await this.sessions.clearFailures(subjects[0].key);
    const id = randomBytes(32).toString('base64url');
    const now = this.clock.now().getTime();
    const stored: StoredSession = {
      accountSid: account.sid,
      email: account.email,
      parentSid: account.parentSid,
      csrfToken: randomBytes(32).toString('base64url'),
      createdAt: now,
      lastSeenAt: now,
    };
    await this.sessions.create(hashId(id), stored, this.idleMs);
    return { id, session: this.view(stored) };
  }

  /** The live session of a cookie value, its idle deadline moved on; undefined when there is none. */
  async resume(id: string): Promise<Session | undefined> {
    if (!/^[A-Za-z0-9_-]{43}$/.test(id)) return undefined;
    const idHash = hashId(id);
    const stored = await this.sessions.find(idHash);
    if (!stored) return undefined;
    const now = this.clock.now().getTime();
    const { idleExpiresAt, absoluteExpiresAt } = this.view(stored);
    if (now >= idleExpiresAt || now >= absoluteExpiresAt) {
      await this.sessions.delete(idHash);
      return undefined;
    }
    const touched = { ...stored, lastSeenAt: now };
    await this.sessions.touch(idHash, touched, Math.min(this.idleMs, absoluteExpiresAt - now));
    return this.view(touched);
  }

  async signOut(id: string): Promise<void> {
    await this.sessions.delete(hashId(id));
  }

  private view(stored: StoredSession): Session {
    return {
      account: { sid: stored.accountSid, email: stored.email, parentSid: stored.parentSid },
      csrfToken: stored.csrfToken,
      idleExpiresAt: Math.min(stored.lastSeenAt + this.idleMs, stored.createdAt + this.absoluteMs),
      absoluteExpiresAt: stored.createdAt + this.absoluteMs,
    };
  }
}

/** Whether `presented` is the session's CSRF token, compared in constant time. */
export function csrfTokenMatches(session: Session, presented: unknown): boolean {
  if (typeof presented !== 'string') return false;
  const expected = createHash('sha256').update(session.csrfToken).digest();
  const actual = createHash('sha256').update(presented).digest();
  return timingSafeEqual(expected, actual);
}

function hashId(id: string): string {
  return createHash('sha256').update(id).digest('hex');
}
