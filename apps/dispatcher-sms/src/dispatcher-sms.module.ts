import { Module } from '@nestjs/common';
import { DevOutboxController } from './dev-outbox.controller';
import { DevOutboxStore } from './dev-outbox.store';
import { DispatchClaims } from './dispatch-claims';
import { LogSmsProvider } from './providers/log/log-sms.provider';
import { SMS_PROVIDER } from './providers/sms-provider';
import { SmsDispatcher } from './sms-dispatcher';

/**
 * Delivers `dispatch.v1.sms`. The provider registry has one entry today (`log`); SMPP and an
 * HTTPS webhook come with the channels issue, chosen by SMS_PROVIDER. Needs RedisModule.
 */
@Module({
  controllers: [DevOutboxController],
  providers: [{ provide: SMS_PROVIDER, useFactory: () => new LogSmsProvider() }, DispatchClaims, DevOutboxStore, SmsDispatcher],
})
export class DispatcherSmsModule {}
