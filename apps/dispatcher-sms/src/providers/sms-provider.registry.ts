import type { AppConfig } from '@app/platform';
import { type ProviderFactories, renamed, settingsOf } from '@app/dispatch';
import { z } from 'zod';
import { LogSmsProvider } from './log/log-sms.provider';
import { SmppSmsProvider } from './smpp/smpp-sms.provider';
import type { SmsProvider } from './sms-provider';
import { WebhookSmsProvider } from './webhook/webhook-sms.provider';

/** The provider SMS_PROVIDER names, built once at start from its validated settings. */
export function createSmsProvider(config: AppConfig): SmsProvider {
  const sms = config.channels.sms;
  switch (sms.provider) {
    case 'log':
      return new LogSmsProvider();
    case 'smpp':
      return new SmppSmsProvider(sms.smppUrl as string, config.dispatch.providerTimeoutMs);
    case 'webhook':
      return new WebhookSmsProvider(
        sms.webhookUrl as string,
        sms.webhookSecret as string,
        config.dispatch.providerTimeoutMs,
      );
    default:
      throw new Error(`SMS provider "${sms.provider}" is not available in this build`);
  }
}

const httpUrl = z.url({ protocol: /^https?$/ });

/** This app's own types in a providers file; the vendors' come from @app/dispatch. */
export const SMS_FACTORIES: ProviderFactories = {
  log: (ctx) => renamed(new LogSmsProvider(), ctx.entry.name),
  smpp: (ctx) =>
    renamed(
      new SmppSmsProvider(settingsOf(z.object({ url: z.url({ protocol: /^s?smpp$/ }) }), ctx).url, ctx.timeoutMs),
      ctx.entry.name,
    ),
  webhook: (ctx) => {
    const s = settingsOf(z.object({ url: httpUrl, secret: z.string().min(16) }), ctx);
    return new WebhookSmsProvider(s.url, s.secret, ctx.timeoutMs, ctx.entry.name, ctx.entry.name);
  },
};
