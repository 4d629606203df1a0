import { Module } from '@nestjs/common';
import { channelDispatchProviders, devOutboxController } from '@app/dispatch';
import { createEmailProvider, EMAIL_FACTORIES, EMAIL_PROVIDER } from './providers/email-provider';

/** Delivers `dispatch.v1.email` through the provider EMAIL_PROVIDER names. Needs RedisModule. */
@Module({
  controllers: [devOutboxController('email')],
  providers: channelDispatchProviders('email', EMAIL_PROVIDER, createEmailProvider, EMAIL_FACTORIES),
})
export class DispatcherEmailModule {}
