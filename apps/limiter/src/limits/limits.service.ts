import { Injectable } from '@nestjs/common';
import {
  type CreateLimitCommand,
  DomainError,
  type LimitByIdQuery,
  newId,
  type PageData,
  type SearchLimitsQuery,
  type UpdateLimitCommand,
  ErrorCode,
} from '@app/contracts';
import { Clock } from '@app/platform';
import { LimitDefinitions } from './limit-definitions';
import { LimitEntity } from './limit.entity';
import { LimitsRepository } from './limits.repository';

/**
 * Limit definitions: create, update, delete, get and search (SPEC 3.4, seed 001). Answers with
 * the stored limits; the seed's shape is made by `limitReply` / `limitPageReply` (contracts).
 */
@Injectable()
export class LimitsService {
  constructor(
    private readonly repository: LimitsRepository,
    private readonly definitions: LimitDefinitions,
    private readonly clock: Clock,
  ) {}

  async create(command: CreateLimitCommand): Promise<LimitEntity> {
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
    const inserted = await this.definitions.change(row.accountSid, () => this.repository.insert(row));
    if (!inserted) throw new DomainError(ErrorCode.LimitNameExists);
    return row;
  }

  async update(command: UpdateLimitCommand): Promise<LimitEntity> {
    const row = await this.find(command);
    if (command.name !== undefined && command.name !== row.name) {
      throw new DomainError(ErrorCode.BadRequest, 'name cannot be changed', { field: 'name' });
    }
    if (command.buckets !== undefined) row.buckets = command.buckets;
    if (command.description !== undefined) row.description = command.description;
    row.updatedAt = this.clock.now();
    await this.definitions.change(row.accountSid, () => this.repository.update(row));
    return row;
  }

  async delete(query: LimitByIdQuery): Promise<LimitEntity> {
    const row = await this.find(query);
    await this.definitions.change(row.accountSid, () => this.repository.delete(row.sid));
    return row;
  }

  get(query: LimitByIdQuery): Promise<LimitEntity> {
    return this.find(query);
  }

  async search(query: SearchLimitsQuery): Promise<PageData<LimitEntity>> {
    const { rows, total } = await this.repository.search(query);
    return { items: rows, total, page: query.page, pageSize: query.pageSize };
  }

  /** A limit in the caller's scope, or 493: a stranger's limit is as unknown as none. */
  private async find(query: LimitByIdQuery): Promise<LimitEntity> {
    const row = await this.repository.findInScope(query.sid, query.accountSids);
    if (!row) throw new DomainError(ErrorCode.UnknownLimit);
    return row;
  }
}
