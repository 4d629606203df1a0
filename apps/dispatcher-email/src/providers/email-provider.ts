import type { AppConfig } from '@app/platform';
import { type ChannelProvider, LogProvider } from '@app/dispatch';
import { SmtpEmailProvider } from './smtp-email.provider';

export const EMAIL_PROVIDER = Symbol('EMAIL_PROVIDER');

/** The provider EMAIL_PROVIDER names, built once at start from its validated settings. */
export function createEmailProvider(config: AppConfig): ChannelProvider {
  const email = config.channels.email;
  if (email.provider === 'smtp')
    return new SmtpEmailProvider(email.smtpUrl as string, config.dispatch.providerTimeoutMs);
  return new LogProvider('email');
}
