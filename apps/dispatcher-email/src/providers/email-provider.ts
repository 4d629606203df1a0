import type { AppConfig } from '@app/platform';
import { type ChannelProvider, LogProvider, type ProviderFactories, renamed, settingsOf } from '@app/dispatch';
import { z } from 'zod';
import { SmtpEmailProvider } from './smtp-email.provider';

export const EMAIL_PROVIDER = Symbol('EMAIL_PROVIDER');

/** The provider EMAIL_PROVIDER names, built once at start from its validated settings. */
export function createEmailProvider(config: AppConfig): ChannelProvider {
  const email = config.channels.email;
  if (email.provider === 'smtp')
    return new SmtpEmailProvider(email.smtpUrl as string, config.dispatch.providerTimeoutMs);
  return new LogProvider('email');
}

/** This app's own types in a providers file; the vendors' (ses) come from @app/dispatch. */
export const EMAIL_FACTORIES: ProviderFactories = {
  log: (ctx) => renamed(new LogProvider('email'), ctx.entry.name),
  smtp: (ctx) =>
    renamed(
      new SmtpEmailProvider(settingsOf(z.object({ url: z.url({ protocol: /^smtps?$/ }) }), ctx).url, ctx.timeoutMs),
      ctx.entry.name,
    ),
};
