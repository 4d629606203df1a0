import { Inject, Injectable } from '@nestjs/common';
import type { DataSource } from 'typeorm';
import { GATEWAY_DATA_SOURCE } from '../gateway.database';
import { AccountEntity } from './account.entity';

/** The accounts in Postgres (table space `gateway`): the only place that queries them. */
@Injectable()
export class AccountsRepository {
  constructor(@Inject(GATEWAY_DATA_SOURCE) private readonly db: DataSource) {}

  /** The account, without its token hash (`select: false`). */
  find(sid: string): Promise<AccountEntity | null> {
    return this.db.getRepository(AccountEntity).findOneBy({ sid });
  }

  /** The account with its token hash, for authentication only. */
  findWithTokenHash(sid: string): Promise<AccountEntity | null> {
    return this.db
      .getRepository(AccountEntity)
      .createQueryBuilder('a')
      .addSelect('a.tokenHash')
      .where('a.sid = :sid', { sid })
      .getOne();
  }

  async insert(row: AccountEntity): Promise<void> {
    await this.db.getRepository(AccountEntity).insert(row);
  }

  /** The sub-accounts of `parentSid`, oldest first. */
  subAccountsOf(parentSid: string): Promise<AccountEntity[]> {
    return this.db.getRepository(AccountEntity).find({ where: { parentSid }, order: { createdAt: 'ASC', sid: 'ASC' } });
  }

  /** The sids of the sub-accounts of `parentSid`, in no order. */
  async subAccountSidsOf(parentSid: string): Promise<string[]> {
    const rows = await this.db.getRepository(AccountEntity).find({ select: { sid: true }, where: { parentSid } });
    return rows.map((r) => r.sid);
  }

  async setDefaultSender(sid: string, sender: string | null): Promise<void> {
    await this.db.getRepository(AccountEntity).update({ sid }, { defaultSender: sender });
  }
}
