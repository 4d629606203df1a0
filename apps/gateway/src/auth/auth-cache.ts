import { Inject, Injectable, type OnModuleDestroy, type OnModuleInit } from '@nestjs/common';
import { withPrefix } from '@app/contracts';
import { APP_CONFIG, type AppConfig, Clock, NATS_CONNECTION } from '@app/platform';
import type { NatsConnection, Subscription } from 'nats';
import { createHash, timingSafeEqual } from 'node:crypto';
import type { Account } from '../accounts/accounts.service';

/** How long an authenticated account is taken on trust without asking the database again. */
const TTL_MS = 5000;
const MAX_ENTRIES = 10_000;

/**
 * Core NATS subject (under the deployment prefix) on which an account whose token changed or
 * that was deleted is named (`{"sid": "AC…"}`): every gateway replica forgets it at once.
 */
export const ACCOUNT_CHANGED_SUBJECT = 'gateway.v1.account_changed';

interface Entry {
  /** SHA-256 of the token that authenticated (as stored in the database), never the token. */
  tokenHash: Buffer;
  account: Account;
  until: number;
}

/**
 * A short-lived cache of authenticated accounts, so that a burst of requests of one account
 * costs one database query per TTL_MS instead of one each. A hit still compares the token's
 * hash in constant time; a miss or a different token asks the database. A token change or a
 * deleted account invalidates at once through {@link invalidate}, on every replica.
 */
@Injectable()
export class AuthCache implements OnModuleInit, OnModuleDestroy {
  private readonly entries = new Map<string, Entry>();
  private subscription?: Subscription;

  constructor(
    @Inject(NATS_CONNECTION) private readonly nc: NatsConnection,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    private readonly clock: Clock,
  ) {}

  onModuleInit(): void {
    this.subscription = this.nc.subscribe(withPrefix(this.config.nats.prefix, ACCOUNT_CHANGED_SUBJECT), {
      callback: (error, msg) => {
        if (error) return;
        try {
          const { sid } = JSON.parse(Buffer.from(msg.data).toString()) as { sid?: unknown };
          if (typeof sid === 'string') this.entries.delete(sid);
        } catch {
          // Not ours to understand: ignored.
        }
      },
    });
  }

  onModuleDestroy(): void {
    this.subscription?.unsubscribe();
  }

  /** The cached account for these credentials, or undefined (then ask the database). */
  get(sid: string, token: string): Account | undefined {
    const entry = this.entries.get(sid);
    if (!entry) return undefined;
    if (entry.until <= this.clock.now().getTime()) {
      this.entries.delete(sid);
      return undefined;
    }
    return timingSafeEqual(entry.tokenHash, hashOf(token)) ? entry.account : undefined;
  }

  put(sid: string, token: string, account: Account): void {
    if (this.entries.size >= MAX_ENTRIES) this.entries.delete(this.entries.keys().next().value!);
    this.entries.set(sid, { tokenHash: hashOf(token), account, until: this.clock.now().getTime() + TTL_MS });
  }

  /** The account's token changed or it was deleted: forgotten here and on every other replica. */
  invalidate(sid: string): void {
    this.entries.delete(sid);
    this.nc.publish(withPrefix(this.config.nats.prefix, ACCOUNT_CHANGED_SUBJECT), JSON.stringify({ sid }));
  }
}

function hashOf(token: string): Buffer {
  return createHash('sha256').update(token).digest();
}
