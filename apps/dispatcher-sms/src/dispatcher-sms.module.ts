import { Module } from '@nestjs/common';
import { channelDispatchProviders, devOutboxController } from '@app/dispatch';
import { SMS_PROVIDER } from './providers/sms-provider';
import { createSmsProvider, SMS_FACTORIES } from './providers/sms-provider.registry';

/** Delivers `dispatch.v1.sms` through the provider SMS_PROVIDER names. Needs RedisModule. */
@Module({
  controllers: [devOutboxController('sms')],
  providers: channelDispatchProviders('sms', SMS_PROVIDER, createSmsProvider, SMS_FACTORIES),
})
export class DispatcherSmsModule {}
