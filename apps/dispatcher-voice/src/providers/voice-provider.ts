import type { AppConfig } from '@app/platform';
import { type ChannelProvider, LogProvider } from '@app/dispatch';
import { WebhookVoiceProvider } from './webhook-voice.provider';

export const VOICE_PROVIDER = Symbol('VOICE_PROVIDER');

/** The provider VOICE_PROVIDER names, built once at start from its validated settings. */
export function createVoiceProvider(config: AppConfig): ChannelProvider {
  const call = config.channels.call;
  if (call.provider === 'webhook')
    return new WebhookVoiceProvider(
      call.webhookUrl as string,
      call.webhookSecret as string,
      config.dispatch.providerTimeoutMs,
    );
  return new LogProvider('call');
}
