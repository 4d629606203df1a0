import { Inject, Injectable } from '@nestjs/common';
import type { SearchLimitsQuery } from '@app/contracts';
import { type DataSource, In } from 'typeorm';
import { LIMITER_DATA_SOURCE } from '../limiter.database';
import { LimitEntity } from './limit.entity';

const UNIQUE_VIOLATION = '23505';

/** The limit definitions in Postgres (table space `limiter`): the only place that queries them. */
@Injectable()
export class LimitsRepository {
  constructor(@Inject(LIMITER_DATA_SOURCE) private readonly db: DataSource) {}

  /** Stores a new limit; `false` when the account already has one of that name. */
  async insert(row: LimitEntity): Promise<boolean> {
    try {
      await this.db.getRepository(LimitEntity).insert(row);
      return true;
    } catch (error) {
      if ((error as { code?: string }).code === UNIQUE_VIOLATION) return false;
      throw error;
    }
  }

  async update(row: Pick<LimitEntity, 'sid' | 'buckets' | 'description' | 'updatedAt'>): Promise<void> {
    await this.db
      .getRepository(LimitEntity)
      .update({ sid: row.sid }, { buckets: row.buckets, description: row.description, updatedAt: row.updatedAt });
  }

  async delete(sid: string): Promise<void> {
    await this.db.getRepository(LimitEntity).delete({ sid });
  }

  /** The limit, when it belongs to one of these accounts. */
  findInScope(sid: string, accountSids: string[]): Promise<LimitEntity | null> {
    return this.db.getRepository(LimitEntity).findOneBy({ sid, accountSid: In(accountSids) });
  }

  /** The account's limits of these names (those that exist, in no order). */
  findByNames(accountSid: string, names: string[]): Promise<LimitEntity[]> {
    return this.db.getRepository(LimitEntity).findBy({ accountSid, name: In(names) });
  }

  /** One page of the accounts' limits, filtered and sorted as asked, and how many match in all. */
  async search(query: SearchLimitsQuery): Promise<{ rows: LimitEntity[]; total: number }> {
    const qb = this.db
      .getRepository(LimitEntity)
      .createQueryBuilder('l')
      .where('l.account_sid IN (:...accounts)', { accounts: query.accountSids });
    if (query.name)
      qb.andWhere(`l.name ILIKE :name ESCAPE '\\'`, { name: `%${query.name.replace(/[\\%_]/g, (c) => `\\${c}`)}%` });
    if (query.startTime) qb.andWhere('l.created_at >= :start', { start: query.startTime });
    if (query.endTime) qb.andWhere('l.created_at <= :end', { end: query.endTime });
    const direction = query.SortBy.direction === 'desc' ? 'DESC' : 'ASC';
    qb.orderBy(query.SortBy.field === 'name' ? 'l.name' : 'l.created_at', direction).addOrderBy('l.sid', direction);
    const [rows, total] = await qb
      .skip(query.page * query.pageSize)
      .take(query.pageSize)
      .getManyAndCount();
    return { rows, total };
  }
}
