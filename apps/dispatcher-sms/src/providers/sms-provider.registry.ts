import type { AppConfig } from '@app/platform';
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
