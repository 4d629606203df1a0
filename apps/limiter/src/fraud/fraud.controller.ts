import { Controller } from '@nestjs/common';
import { Payload } from '@nestjs/microservices';
import { type CommandPayload, type CommandReplies, dataReply } from '@app/contracts';
import { CommandHandler } from '@app/platform';
import { FraudService } from './fraud.service';

/** `fraud.v1.*` over NATS (the gateway's `/2fa/fraud/*` calls these too): the service answers with data, the envelope is made here. */
@Controller()
export class FraudController {
  constructor(private readonly fraud: FraudService) {}

  @CommandHandler('fraud.v1.settings.get')
  async settings(
    @Payload() q: CommandPayload<'fraud.v1.settings.get'>,
  ): Promise<CommandReplies['fraud.v1.settings.get']> {
    return dataReply(await this.fraud.settings(q));
  }

  @CommandHandler('fraud.v1.settings.put')
  async updateSettings(
    @Payload() c: CommandPayload<'fraud.v1.settings.put'>,
  ): Promise<CommandReplies['fraud.v1.settings.put']> {
    return dataReply(await this.fraud.updateSettings(c));
  }

  @CommandHandler('fraud.v1.geo.list')
  async geo(@Payload() q: CommandPayload<'fraud.v1.geo.list'>): Promise<CommandReplies['fraud.v1.geo.list']> {
    return dataReply(await this.fraud.geoPermissions(q));
  }

  @CommandHandler('fraud.v1.geo.put')
  async updateGeo(@Payload() c: CommandPayload<'fraud.v1.geo.put'>): Promise<CommandReplies['fraud.v1.geo.put']> {
    return dataReply(await this.fraud.updateGeoPermission(c));
  }

  @CommandHandler('fraud.v1.safelist.list')
  async safeList(
    @Payload() q: CommandPayload<'fraud.v1.safelist.list'>,
  ): Promise<CommandReplies['fraud.v1.safelist.list']> {
    return dataReply(await this.fraud.safeList(q));
  }

  @CommandHandler('fraud.v1.safelist.add')
  async addSafe(
    @Payload() c: CommandPayload<'fraud.v1.safelist.add'>,
  ): Promise<CommandReplies['fraud.v1.safelist.add']> {
    return dataReply(await this.fraud.addSafeListEntry(c));
  }

  @CommandHandler('fraud.v1.safelist.delete')
  async deleteSafe(
    @Payload() q: CommandPayload<'fraud.v1.safelist.delete'>,
  ): Promise<CommandReplies['fraud.v1.safelist.delete']> {
    return dataReply(await this.fraud.deleteSafeListEntry(q));
  }

  @CommandHandler('fraud.v1.blocks.list')
  async blocks(@Payload() q: CommandPayload<'fraud.v1.blocks.list'>): Promise<CommandReplies['fraud.v1.blocks.list']> {
    return dataReply(await this.fraud.blocks(q));
  }

  @CommandHandler('fraud.v1.blocks.delete')
  async unblock(
    @Payload() q: CommandPayload<'fraud.v1.blocks.delete'>,
  ): Promise<CommandReplies['fraud.v1.blocks.delete']> {
    return dataReply(await this.fraud.unblock(q));
  }
}
