import { Controller } from '@nestjs/common';
import { Payload } from '@nestjs/microservices';
import {
  type CommandPayload,
  type SdrPageReply,
  sdrPageReply,
  type SdrReply,
  sdrReply,
  type UsageReply,
} from '@app/contracts';
import { CommandHandler } from '@app/platform';
import { SdrQueries } from './records/sdr-queries';

/**
 * `sdr.v1.*`: queries over the session detail records and usage roll-ups. The queries answer
 * with data; the replies in the seed's shape are made here (contracts).
 */
@Controller()
export class SdrController {
  constructor(private readonly queries: SdrQueries) {}

  @CommandHandler('sdr.v1.search')
  async search(@Payload() query: CommandPayload<'sdr.v1.search'>): Promise<SdrPageReply> {
    return sdrPageReply(await this.queries.search(query), query);
  }

  @CommandHandler('sdr.v1.get')
  async get(@Payload() query: CommandPayload<'sdr.v1.get'>): Promise<SdrReply> {
    return sdrReply(await this.queries.get(query));
  }

  @CommandHandler('sdr.v1.usage')
  async usage(@Payload() query: CommandPayload<'sdr.v1.usage'>): Promise<UsageReply> {
    return { code: 200, message: 'OK', data: await this.queries.usage(query) };
  }
}
