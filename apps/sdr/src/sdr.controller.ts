import { Controller } from '@nestjs/common';
import { Payload } from '@nestjs/microservices';
import type { CommandPayload, SdrPageReply, SdrReply, UsageReply } from '@app/contracts';
import { CommandHandler } from '@app/platform';
import { SdrQueries } from './records/sdr-queries';

/** `sdr.v1.*`: queries over the session detail records and usage roll-ups. */
@Controller()
export class SdrController {
  constructor(private readonly queries: SdrQueries) {}

  @CommandHandler('sdr.v1.search')
  search(@Payload() query: CommandPayload<'sdr.v1.search'>): Promise<SdrPageReply> {
    return this.queries.search(query);
  }

  @CommandHandler('sdr.v1.get')
  get(@Payload() query: CommandPayload<'sdr.v1.get'>): Promise<SdrReply> {
    return this.queries.get(query);
  }

  @CommandHandler('sdr.v1.usage')
  usage(@Payload() query: CommandPayload<'sdr.v1.usage'>): Promise<UsageReply> {
    return this.queries.usage(query);
  }
}
