import { Controller } from '@nestjs/common';
import { Payload } from '@nestjs/microservices';
import {
  type CommandPayload,
  type ConsumeLimitsReply,
  type LimitPageReply,
  limitPageReply,
  type LimitReply,
  limitReply,
} from '@app/contracts';
import { CommandHandler } from '@app/platform';
import { LimiterService } from './limiter.service';
import { LimitsService } from './limits/limits.service';

/** `limiter.v1.*`: the services answer with data; the replies in the seed's shape are made here (contracts). */
@Controller()
export class LimiterController {
  constructor(
    private readonly limiter: LimiterService,
    private readonly limits: LimitsService,
  ) {}

  @CommandHandler('limiter.v1.consume')
  consume(@Payload() command: CommandPayload<'limiter.v1.consume'>): Promise<ConsumeLimitsReply> {
    return this.limiter.consume(command);
  }

  @CommandHandler('limiter.v1.create')
  async create(@Payload() command: CommandPayload<'limiter.v1.create'>): Promise<LimitReply> {
    return limitReply(await this.limits.create(command));
  }

  @CommandHandler('limiter.v1.update')
  async update(@Payload() command: CommandPayload<'limiter.v1.update'>): Promise<LimitReply> {
    return limitReply(await this.limits.update(command));
  }

  @CommandHandler('limiter.v1.delete')
  async delete(@Payload() query: CommandPayload<'limiter.v1.delete'>): Promise<LimitReply> {
    return limitReply(await this.limits.delete(query));
  }

  @CommandHandler('limiter.v1.get')
  async get(@Payload() query: CommandPayload<'limiter.v1.get'>): Promise<LimitReply> {
    return limitReply(await this.limits.get(query));
  }

  @CommandHandler('limiter.v1.search')
  async search(@Payload() query: CommandPayload<'limiter.v1.search'>): Promise<LimitPageReply> {
    return limitPageReply(await this.limits.search(query), query);
  }
}
