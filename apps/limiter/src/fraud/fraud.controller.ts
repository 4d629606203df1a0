import { Controller } from '@nestjs/common';
import { Payload } from '@nestjs/microservices';
import type { CommandPayload, CommandReplies } from '@app/contracts';
import { CommandHandler } from '@app/platform';
import { FraudService } from './fraud.service';

/** `fraud.v1.*` over NATS (the gateway's `/2fa/fraud/*` calls these too). */
@Controller()
export class FraudController {
  constructor(private readonly fraud: FraudService) {}

  @CommandHandler('fraud.v1.settings.get')
  settings(@Payload() q: CommandPayload<'fraud.v1.settings.get'>): Promise<CommandReplies['fraud.v1.settings.get']> {
    return this.fraud.settings(q);
  }

  @CommandHandler('fraud.v1.settings.put')
  updateSettings(
    @Payload() c: CommandPayload<'fraud.v1.settings.put'>,
  ): Promise<CommandReplies['fraud.v1.settings.put']> {
    return this.fraud.updateSettings(c);
  }

  @CommandHandler('fraud.v1.geo.list')
  geo(@Payload() q: CommandPayload<'fraud.v1.geo.list'>): Promise<CommandReplies['fraud.v1.geo.list']> {
    return this.fraud.geoPermissions(q);
  }

  @CommandHandler('fraud.v1.geo.put')
  updateGeo(@Payload() c: CommandPayload<'fraud.v1.geo.put'>): Promise<CommandReplies['fraud.v1.geo.put']> {
    return this.fraud.updateGeoPermission(c);
  }

  @CommandHandler('fraud.v1.safelist.list')
  safeList(@Payload() q: CommandPayload<'fraud.v1.safelist.list'>): Promise<CommandReplies['fraud.v1.safelist.list']> {
    return this.fraud.safeList(q);
  }

  @CommandHandler('fraud.v1.safelist.add')
  addSafe(@Payload() c: CommandPayload<'fraud.v1.safelist.add'>): Promise<CommandReplies['fraud.v1.safelist.add']> {
    return this.fraud.addSafeListEntry(c);
  }

  @CommandHandler('fraud.v1.safelist.delete')
  deleteSafe(
    @Payload() q: CommandPayload<'fraud.v1.safelist.delete'>,
  ): Promise<CommandReplies['fraud.v1.safelist.delete']> {
    return this.fraud.deleteSafeListEntry(q);
  }

  @CommandHandler('fraud.v1.blocks.list')
  blocks(@Payload() q: CommandPayload<'fraud.v1.blocks.list'>): Promise<CommandReplies['fraud.v1.blocks.list']> {
    return this.fraud.blocks(q);
  }

  @CommandHandler('fraud.v1.blocks.delete')
  unblock(@Payload() q: CommandPayload<'fraud.v1.blocks.delete'>): Promise<CommandReplies['fraud.v1.blocks.delete']> {
    return this.fraud.unblock(q);
  }
}
