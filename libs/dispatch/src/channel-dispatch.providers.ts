import type { Provider } from '@nestjs/common';
import type { Channel } from '@app/contracts';
import { APP_CONFIG, type AppConfig, Clock, NATS_CONNECTION } from '@app/platform';
import type { NatsConnection } from 'nats';
import { ChannelDispatcher } from './channel-dispatcher';
import { DevOutboxStore } from './dev-outbox.store';
import { DispatchClaims } from './dispatch-claims';
import type { ChannelProvider } from './provider';
import { ProviderChain } from './provider-chain';
import { buildRoutes, type ProviderFactories } from './provider-registry';

/** Injection token of a channel's {@link ProviderChain}. */
export const PROVIDER_CHAIN = Symbol('PROVIDER_CHAIN');

/**
 * Everything a channel's dispatcher app provides: its providers, the claims, the development
 * outbox and the {@link ChannelDispatcher}. Without a providers file for the channel, the one
 * provider the environment names is built under `providerToken` (so a test can replace it);
 * with one, the file's entries are built by type from the app's own `factories` (smpp, smtp,
 * webhook, log) and the vendors' (twilio, vonage, …). Needs RedisModule.
 */
export function channelDispatchProviders(
  channel: Channel,
  providerToken: symbol,
  createProvider: (config: AppConfig) => ChannelProvider,
  factories: ProviderFactories = {},
): Provider[] {
  return [
    {
      provide: providerToken,
      inject: [APP_CONFIG],
      useFactory: (config: AppConfig) => (config.providers?.[channel] ? null : createProvider(config)),
    },
    {
      provide: PROVIDER_CHAIN,
      inject: [APP_CONFIG, providerToken, Clock],
      useFactory: (config: AppConfig, single: ChannelProvider | null, clock: Clock) =>
        new ProviderChain(channel, single ? [{ provider: single }] : buildRoutes(channel, config, factories), () =>
          clock.now().getTime(),
        ),
    },
    DispatchClaims,
    DevOutboxStore,
    {
      provide: ChannelDispatcher,
      inject: [NATS_CONNECTION, APP_CONFIG, PROVIDER_CHAIN, DispatchClaims, DevOutboxStore, Clock],
      useFactory: (
        nc: NatsConnection,
        config: AppConfig,
        chain: ProviderChain,
        claims: DispatchClaims,
        outbox: DevOutboxStore,
        clock: Clock,
      ) => new ChannelDispatcher({ channel, nc, config, chain, claims, outbox, clock }),
    },
  ];
}
