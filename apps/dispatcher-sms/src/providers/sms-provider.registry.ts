import { LogSmsProvider } from './log/log-sms.provider';
import type { SmsProvider } from './sms-provider';

/** Every way of sending SMS this build knows, by the name configuration chooses it by. */
const SMS_PROVIDERS: Readonly<Record<string, () => SmsProvider>> = {
  log: () => new LogSmsProvider(),
};

/**
 * The provider in use. Hard-wired while `log` is the only one: a name read from the
 * environment must go through the validated platform config, and SMS_PROVIDER joins it
 * together with SMPP and the HTTPS webhook.
 */
export const CONFIGURED_SMS_PROVIDER = 'log';

/** Builds the named provider, once at start; an unknown name stops the start. */
export function createSmsProvider(name: string): SmsProvider {
  const create = SMS_PROVIDERS[name];
  if (!create) throw new Error(`unknown SMS provider "${name}" (known: ${Object.keys(SMS_PROVIDERS).join(', ')})`);
  return create();
}
