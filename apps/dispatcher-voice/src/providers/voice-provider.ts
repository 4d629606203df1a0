import type { AppConfig } from '@app/platform';
import { type ChannelProvider, LogProvider, type ProviderFactories, renamed, settingsOf } from '@app/dispatch';
import { z } from 'zod';
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

/** This app's own types in a providers file; the vendors' come from @app/dispatch. */
export const VOICE_FACTORIES: ProviderFactories = {
  log: (ctx) => renamed(new LogProvider('call'), ctx.entry.name),
  webhook: (ctx) => {
    const s = settingsOf(z.object({ url: z.url({ protocol: /^https?$/ }), secret: z.string().min(16) }), ctx);
    return new WebhookVoiceProvider(s.url, s.secret, ctx.timeoutMs, ctx.entry.name, ctx.entry.name);
  },
};
