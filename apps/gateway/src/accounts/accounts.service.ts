import { Injectable } from '@nestjs/common';
import { DomainError, ErrorCode, formatTimestamp, isId, newId, timestamp } from '@app/contracts';
import { Clock } from '@app/platform';
import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import { z } from 'zod';
import { AccountEntity } from './account.entity';
import { AccountsRepository } from './accounts.repository';

/** The authenticated caller. */
export interface Account {
  sid: string;
  email: string;
  parentSid: string | null;
}

/** Who a command acts for: the caller, or one of its sub-accounts (SPEC section 3). */
export interface Actor {
  accountSid: string;
  parentAccountSid?: string;
}

/** A new account, as the command-line tool prints it and `POST /2fa/accounts` answers it. */
export const CreatedAccount = z
  .object({
    accountSid: z.string(),
    authToken: z.string().meta({ description: 'Shown only once: store it now.' }),
    email: z.string(),
    friendlyName: z.string().nullable(),
    parentAccountSid: z.string().nullable(),
    dateCreated: timestamp,
  })
  .meta({ id: 'CreatedAccount' });
export type CreatedAccount = z.infer<typeof CreatedAccount>;

// Compared against when the account does not exist, so that a wrong sid costs the same time
// as a wrong token.
const DUMMY_HASH = createHash('sha256').update('no such account').digest();

@Injectable()
export class AccountsService {
  constructor(
    private readonly accounts: AccountsRepository,
    private readonly clock: Clock,
  ) {}

  /** Creates an account (or a sub-account of `parentSid`); the token is shown only here. */
  async create(input: { email: string; friendlyName?: string; parentSid?: string }): Promise<CreatedAccount> {
    if (input.parentSid) {
      const parent = await this.accounts.find(input.parentSid);
      if (!parent) throw new DomainError(ErrorCode.BadRequest, 'parent account does not exist', { field: 'parent' });
      // One level only: a sub-account cannot own sub-accounts.
      if (parent.parentSid) throw new DomainError(ErrorCode.Forbidden);
    }
    const authToken = randomBytes(32).toString('hex');
    const row = Object.assign(new AccountEntity(), {
      sid: newId('account'),
      email: input.email,
      friendlyName: input.friendlyName ?? null,
      parentSid: input.parentSid ?? null,
      tokenHash: hashToken(authToken),
      createdAt: this.clock.now(),
    });
    await this.accounts.insert(row);
    return {
      accountSid: row.sid,
      authToken,
      email: row.email,
      friendlyName: row.friendlyName,
      parentAccountSid: row.parentSid,
      dateCreated: formatTimestamp(row.createdAt),
    };
  }

  /** The caller's sub-accounts, oldest first (never their tokens). */
  async subAccountsOf(parentSid: string): Promise<Omit<CreatedAccount, 'authToken'>[]> {
    const rows = await this.accounts.subAccountsOf(parentSid);
    return rows.map((row) => ({
      accountSid: row.sid,
      email: row.email,
      friendlyName: row.friendlyName,
      parentAccountSid: row.parentSid,
      dateCreated: formatTimestamp(row.createdAt),
    }));
  }

  /** The account whose sid and token these are, or undefined. Constant time in the token. */
  async authenticate(sid: string, token: string): Promise<Account | undefined> {
    const row = isId('account', sid) ? await this.accounts.findWithTokenHash(sid) : null;
    const expected = row ? Buffer.from(row.tokenHash, 'hex') : DUMMY_HASH;
    const actual = Buffer.from(hashToken(token), 'hex');
    const ok = timingSafeEqual(expected, actual) && row !== null;
    return ok && row ? { sid: row.sid, email: row.email, parentSid: row.parentSid } : undefined;
  }

  /** The account's default sender for `POST /otp/generate`, if it set one. */
  async defaultSenderOf(sid: string): Promise<string | undefined> {
    return (await this.accounts.find(sid))?.defaultSender ?? undefined;
  }

  /** Sets (or with null clears) the account's default sender. */
  async setDefaultSender(sid: string, sender: string | null): Promise<void> {
    await this.accounts.setDefaultSender(sid, sender);
  }

  /** The email of an account (for the seed's response shapes), or null if there is none. */
  async emailOf(sid: string): Promise<string | null> {
    return (await this.accounts.find(sid))?.email ?? null;
  }

  /**
   * The accounts whose resources a search shows (seed 001 "List Limits"): the caller's own;
   * with `subAccounts=true` also every sub-account's; with `accountSid` only that
   * sub-account's (which must be the caller's, else 403).
   */
  async searchScope(caller: Account, query: { accountSid?: unknown; subAccounts?: unknown }): Promise<string[]> {
    if (query.accountSid !== undefined && query.accountSid !== '' && query.accountSid !== caller.sid) {
      return [(await this.actingAccount(caller, query.accountSid)).accountSid];
    }
    const subAccounts = query.subAccounts;
    if (
      subAccounts !== undefined &&
      subAccounts !== 'true' &&
      subAccounts !== 'false' &&
      typeof subAccounts !== 'boolean'
    ) {
      throw new DomainError(ErrorCode.BadRequest, 'subAccounts must be true or false', { field: 'subAccounts' });
    }
    if (subAccounts !== true && subAccounts !== 'true') return [caller.sid];
    return [caller.sid, ...(await this.accounts.subAccountSidsOf(caller.sid))];
  }

  /**
   * Resolves `accountSid` of a request: absent or the caller's own means the caller; else it
   * must be one of the caller's sub-accounts (403 otherwise).
   */
  async actingAccount(caller: Account, requested: unknown): Promise<Actor> {
    if (requested === undefined || requested === null || requested === '' || requested === caller.sid) {
      return { accountSid: caller.sid, parentAccountSid: caller.parentSid ?? undefined };
    }
    if (!isId('account', requested)) {
      throw new DomainError(ErrorCode.BadRequest, 'accountSid must be AC followed by 32 hex digits', {
        field: 'accountSid',
      });
    }
    const sub = await this.accounts.find(requested);
    if (!sub || sub.parentSid !== caller.sid) throw new DomainError(ErrorCode.Forbidden);
    return { accountSid: sub.sid, parentAccountSid: caller.sid };
  }
}

function hashToken(token: string): string {
  return createHash('sha256').update(token).digest('hex');
}
