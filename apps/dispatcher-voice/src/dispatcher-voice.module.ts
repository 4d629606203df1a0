import { Module } from '@nestjs/common';
import { channelDispatchProviders, devOutboxController } from '@app/dispatch';
import { createVoiceProvider, VOICE_FACTORIES, VOICE_PROVIDER } from './providers/voice-provider';

/** Delivers `dispatch.v1.call` through the provider VOICE_PROVIDER names. Needs RedisModule. */
@Module({
  controllers: [devOutboxController('call')],
  providers: channelDispatchProviders('call', VOICE_PROVIDER, createVoiceProvider, VOICE_FACTORIES),
})
export class DispatcherVoiceModule {}
