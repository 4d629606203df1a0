import { defineService, RedisModule } from '@app/platform';
import { DispatcherVoiceModule } from './dispatcher-voice.module';

export const dispatcherVoiceService = defineService({
  service: 'dispatcher-voice',
  imports: [RedisModule, DispatcherVoiceModule],
});
