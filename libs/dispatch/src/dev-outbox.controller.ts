import { Controller, Inject, type Type } from '@nestjs/common';
import { Payload } from '@nestjs/microservices';
import { type Channel, type CommandPayload, type DevOutboxReply, DomainError, ErrorCode } from '@app/contracts';
import { APP_CONFIG, type AppConfig, CommandHandler } from '@app/platform';
import { DevOutboxStore } from './dev-outbox.store';

/** `dev.v1.outbox.<channel>`: what this channel's dispatcher kept, when DEV_OUTBOX=true. */
export function devOutboxController(channel: Channel): Type<unknown> {
  const subject = `dev.v1.outbox.${channel}` as const;

  @Controller()
  class DevOutboxController {
    constructor(
      @Inject(APP_CONFIG) readonly config: AppConfig,
      readonly store: DevOutboxStore,
    ) {}

    @CommandHandler(subject)
    async list(@Payload() query: CommandPayload<typeof subject>): Promise<DevOutboxReply> {
      if (!this.config.devOutbox) throw new DomainError(ErrorCode.NotFound);
      return { code: 200, message: 'OK', data: await this.store.list(channel, query.to, query.accountSid) };
    }
  }
  Object.defineProperty(DevOutboxController, 'name', {
    value: `DevOutbox${channel[0].toUpperCase()}${channel.slice(1)}Controller`,
  });
  return DevOutboxController;
}
