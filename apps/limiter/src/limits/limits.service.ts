import { Inject, Injectable } from '@nestjs/common';
import {
  type CreateLimitCommand,
  DomainError,
  formatTimestamp,
  type LimitByIdQuery,
  type LimitData,
  type LimitPageReply,
  type LimitReply,
  newId,
  pageOf,
  type SearchLimitsQuery,
  DEFAULT_LIMIT_SORT as DEFAULT_SORT,
  type UpdateLimitCommand,
} from '@app/contracts';
import { Clock } from '@app/platform';
import { type DataSource, In } from 'typeorm';
import { LIMITER_DATA_SOURCE } from '../limiter.database';
import { LimitDefinitions } from './limit-definitions';
import { LimitEntity } from './limit.entity';

const UNIQUE_VIOLATION = '23505';
export const LIMITS_SEARCH_PATH = '/2fa/limits/search';

/** Limit definitions: create, update, delete, get and search (SPEC 3.4, seed 001). */
@Injectable()
export class LimitsService {
  constructor(
    @Inject(LIMITER_DATA_SOURCE) private readonly db: DataSource,
    private readonly definitions: LimitDefinitions,
    private readonly clock: Clock,
  ) {}

  async create(command: CreateLimitCommand): Promise<LimitReply> {
    const now = this.clock.now();
    const row = Object.assign(new LimitEntity(), {
      sid: newId('limit'),
      accountSid: command.accountSid,
      accountEmail: command.accountEmail ?? null,
      createdBy: command.createdBy ?? command.accountSid,
      createdByEmail: command.createdByEmail ?? command.accountEmail ?? null,
      name: command.name,
      description: command.description ?? null,
      buckets: command.buckets,
      createdAt: now,
      updatedAt: now,
    });
    try {
      await this.definitions.change(row.accountSid, () => this.db.getRepository(LimitEntity).insert(row));
    } catch (error) {
      if ((error as { code?: string }).code === UNIQUE_VIOLATION) throw new DomainError(492);
      throw error;
    }
    return ok(row);
  }

  async update(command: UpdateLimitCommand): Promise<LimitReply> {
    const row = await this.find(command);
    if (command.name !== undefined && command.name !== row.name) {
      throw new DomainError(400, 'name cannot be changed', { field: 'name' });
    }
    if (command.buckets !== undefined) row.buckets = command.buckets;
    if (command.description !== undefined) row.description = command.description;
    row.updatedAt = this.clock.now();
    await this.definitions.change(row.accountSid, () =>
      this.db
        .getRepository(LimitEntity)
        .update({ sid: row.sid }, { buckets: row.buckets, description: row.description, updatedAt: row.updatedAt }),
    );
    return ok(row);
  }

  async delete(query: LimitByIdQuery): Promise<LimitReply> {
    const row = await this.find(query);
    await this.definitions.change(row.accountSid, () => this.db.getRepository(LimitEntity).delete({ sid: row.sid }));
    return ok(row);
  }

  async get(query: LimitByIdQuery): Promise<LimitReply> {
    return ok(await this.find(query));
  }

  async search(query: SearchLimitsQuery): Promise<LimitPageReply> {
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
    const params = {
      name: query.name,
      startTime: query.startTime,
      endTime: query.endTime,
      // The default order goes without saying, as in the seed's URIs.
      SortBy:
        query.SortBy.field === DEFAULT_SORT.field && query.SortBy.direction === DEFAULT_SORT.direction
          ? undefined
          : `${query.SortBy.field}:${query.SortBy.direction}`,
    };
    return { code: 200, message: 'OK', data: pageOf(rows.map(toData), total, query, LIMITS_SEARCH_PATH, params) };
  }

  /** A limit in the caller's scope, or 493: a stranger's limit is as unknown as none. */
  private async find(query: LimitByIdQuery): Promise<LimitEntity> {
    const row = await this.db
      .getRepository(LimitEntity)
      .findOneBy({ sid: query.sid, accountSid: In(query.accountSids) });
    if (!row) throw new DomainError(493);
    return row;
  }
}

function ok(row: LimitEntity): LimitReply {
  return { code: 200, message: 'OK', data: toData(row) };
}

/** The seed's shape: buckets as a JSON string with numbers as strings. */
export function toData(row: LimitEntity): LimitData {
  return {
    sid: row.sid,
    name: row.name,
    buckets: JSON.stringify(
      row.buckets.map((b) => ({ name: b.name, max: String(b.max), interval: String(b.interval) })),
    ),
    description: row.description,
    accountSid: row.createdBy,
    accountEmail: row.createdByEmail,
    targetAccountSid: row.accountSid,
    targetAccountEmail: row.accountEmail,
    uri: `${LIMITS_SEARCH_PATH}/${row.sid}`,
    dateCreated: formatTimestamp(row.createdAt),
    dateUpdated: formatTimestamp(row.updatedAt),
  };
}
