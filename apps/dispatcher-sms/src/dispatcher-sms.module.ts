import { Module } from '@nestjs/common';
import { DevOutboxController } from './dev-outbox.controller';
import { DevOutboxStore } from './dev-outbox.store';
import { DispatchClaims } from './dispatch-claims';
import { SMS_PROVIDER } from './providers/sms-provider';
import { CONFIGURED_SMS_PROVIDER, createSmsProvider } from './providers/sms-provider.registry';
import { SmsDispatcher } from './sms-dispatcher';

/** Delivers `dispatch.v1.sms` through the configured provider. Needs RedisModule. */
@Module({
  controllers: [DevOutboxController],
  providers: [{ provide: SMS_PROVIDER, useFactory: () => createSmsProvider(CONFIGURED_SMS_PROVIDER) }, DispatchClaims, DevOutboxStore, SmsDispatcher],
})
export class DispatcherSmsModule {}
