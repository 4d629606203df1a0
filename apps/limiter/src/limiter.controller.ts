import { Controller } from '@nestjs/common';
import { Payload } from '@nestjs/microservices';
import type { CommandPayload, ConsumeLimitsReply } from '@app/contracts';
import { CommandHandler } from '@app/platform';
import { LimiterService } from './limiter.service';

@Controller()
export class LimiterController {
  constructor(private readonly limiter: LimiterService) {}

  @CommandHandler('limiter.v1.consume')
  consume(@Payload() command: CommandPayload<'limiter.v1.consume'>): Promise<ConsumeLimitsReply> {
    return this.limiter.consume(command);
  }
}
