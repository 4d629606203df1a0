import { Controller, Inject } from '@nestjs/common';
import { Payload } from '@nestjs/microservices';
import { type CommandPayload, type DevOutboxReply, DomainError } from '@app/contracts';
import { APP_CONFIG, type AppConfig, CommandHandler } from '@app/platform';
import { DevOutboxStore } from './dev-outbox.store';

/** `dev.v1.outbox.sms`: what this channel's `log` provider kept, when DEV_OUTBOX=true. */
@Controller()
export class DevOutboxController {
  constructor(
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    private readonly store: DevOutboxStore,
  ) {}

  @CommandHandler('dev.v1.outbox.sms')
  async list(@Payload() query: CommandPayload<'dev.v1.outbox.sms'>): Promise<DevOutboxReply> {
    if (!this.config.devOutbox) throw new DomainError(404);
    return { code: 200, message: 'OK', data: await this.store.list('sms', query.to, query.accountSid) };
  }
}
