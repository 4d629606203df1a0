import type { Provider } from '@nestjs/common';
import type { Channel } from '@app/contracts';
import { APP_CONFIG, type AppConfig, Clock, NATS_CONNECTION } from '@app/platform';
import type { NatsConnection } from 'nats';
import { ChannelDispatcher } from './channel-dispatcher';
import { DevOutboxStore } from './dev-outbox.store';
import { DispatchClaims } from './dispatch-claims';
import type { ChannelProvider } from './provider';

/**
 * Everything a channel's dispatcher app provides: its provider (under `providerToken`, so a
 * test can replace it), the claims, the development outbox and the {@link ChannelDispatcher}.
 * Needs RedisModule.
 */
export function channelDispatchProviders(
  channel: Channel,
  providerToken: symbol,
  createProvider: (config: AppConfig) => ChannelProvider,
): Provider[] {
  return [
    { provide: providerToken, inject: [APP_CONFIG], useFactory: createProvider },
    DispatchClaims,
    DevOutboxStore,
    {
      provide: ChannelDispatcher,
      inject: [NATS_CONNECTION, APP_CONFIG, providerToken, DispatchClaims, DevOutboxStore, Clock],
      useFactory: (
        nc: NatsConnection,
        config: AppConfig,
        provider: ChannelProvider,
        claims: DispatchClaims,
        outbox: DevOutboxStore,
        clock: Clock,
      ) => new ChannelDispatcher({ channel, nc, config, provider, claims, outbox, clock }),
    },
  ];
}
