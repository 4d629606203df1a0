import { Controller } from '@nestjs/common';
import { Payload } from '@nestjs/microservices';
import type { CommandPayload, ConsumeLimitsReply, LimitPageReply, LimitReply } from '@app/contracts';
import { CommandHandler } from '@app/platform';
import { LimiterService } from './limiter.service';
import { LimitsService } from './limits/limits.service';

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
  create(@Payload() command: CommandPayload<'limiter.v1.create'>): Promise<LimitReply> {
    return this.limits.create(command);
  }

  @CommandHandler('limiter.v1.update')
  update(@Payload() command: CommandPayload<'limiter.v1.update'>): Promise<LimitReply> {
    return this.limits.update(command);
  }

  @CommandHandler('limiter.v1.delete')
  delete(@Payload() query: CommandPayload<'limiter.v1.delete'>): Promise<LimitReply> {
    return this.limits.delete(query);
  }

  @CommandHandler('limiter.v1.get')
  get(@Payload() query: CommandPayload<'limiter.v1.get'>): Promise<LimitReply> {
    return this.limits.get(query);
  }

  @CommandHandler('limiter.v1.search')
  search(@Payload() query: CommandPayload<'limiter.v1.search'>): Promise<LimitPageReply> {
    return this.limits.search(query);
  }
}
