import type { Channel } from '@app/contracts';
import { type AppConfig, ConfigError } from '@app/platform';
import type { ProviderFactories } from './provider-settings';
import type { RouteEntry } from './provider-chain';
import { VENDOR_FACTORIES } from './providers/vendors';

/**
 * The routes of a channel from the providers file, each built once at start by its type: the
 * app's own factories first (smpp, webhook, smtp, log), then the vendors'. A bad entry stops
 * the start with a message naming it.
 */
export function buildRoutes(channel: Channel, config: AppConfig, local: ProviderFactories): RouteEntry[] {
  const entries = config.providers?.[channel] ?? [];
  return entries.map((entry, i) => {
    const factory = local[entry.type] ?? VENDOR_FACTORIES[channel][entry.type];
    if (!factory)
      throw new ConfigError('PROVIDERS_FILE', `${channel}[${i}].type "${entry.type}" is not available for ${channel}`);
    const provider = factory({
      channel,
      entry,
      config,
      timeoutMs: config.dispatch.providerTimeoutMs,
      callbackUrl: config.publicUrl ? `${config.publicUrl}/2fa/callbacks/${entry.name}` : undefined,
    });
    return { provider, countries: entry.countries, circuit: entry.circuit };
  });
}

export type { ProviderContext, ProviderFactories, ProviderFactory } from './provider-settings';
export { renamed, settingsOf } from './provider-settings';
