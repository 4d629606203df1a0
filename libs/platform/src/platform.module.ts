import {
  type DynamicModule,
  Global,
  Inject,
  Injectable,
  Logger,
  Module,
  type OnApplicationShutdown,
} from '@nestjs/common';
import { connect, type NatsConnection } from 'nats';
import { collectDefaultMetrics, register } from 'prom-client';
import { APP_CONFIG, type AppConfig } from './config/app-config';
import { Clock, SystemClock } from './clock';
import { HealthController } from './health/health.controller';
import { ReadinessRegistry } from './health/readiness.registry';
import { NatsRpcClient } from './nats/nats-rpc.client';
import { NATS_CONNECTION } from './nats/nats.tokens';

@Injectable()
class NatsLifecycle implements OnApplicationShutdown {
  constructor(@Inject(NATS_CONNECTION) private readonly nc: NatsConnection) {}
  async onApplicationShutdown(): Promise<void> {
    // Drain: flush what was published, let subscriptions finish, then close.
    if (!this.nc.isClosed()) await this.nc.drain().catch(() => this.nc.close());
  }
}

export interface PlatformOptions {
  /** Name of the process in logs and in NATS connection names. */
  service: string;
  config: AppConfig;
  /** Tests pass a {@link ManualClock}. */
  clock?: Clock;
}

/**
 * What every service process has once: configuration, clock, readiness probes and metrics,
 * and the NATS connection with its typed request-reply client.
 */
@Global()
@Module({})
export class PlatformModule {
  static forRoot(options: PlatformOptions): DynamicModule {
    if (!register.getSingleMetric('process_cpu_seconds_total')) collectDefaultMetrics();
    return {
      module: PlatformModule,
      controllers: [HealthController],
      providers: [
        { provide: APP_CONFIG, useValue: options.config },
        { provide: Clock, useValue: options.clock ?? new SystemClock() },
        ReadinessRegistry,
        {
          provide: NATS_CONNECTION,
          inject: [ReadinessRegistry],
          useFactory: async (readiness: ReadinessRegistry) => {
            const logger = new Logger('Nats');
            const nc = await connect({
              servers: options.config.nats.url.split(','),
              name: options.service,
              // Keep trying for ever: a NATS outage must heal without a restart.
              maxReconnectAttempts: -1,
              reconnectTimeWait: 500,
              pingInterval: 10_000,
              // No `new Error()` per request to say later where a timed-out request was made: it
              // cost about 3% of the all-in-one's CPU (every JetStream publish is a request), and
              // we log a NATS error's code and message, not its stack.
              noAsyncTraces: true,
            });
            void (async () => {
              for await (const status of nc.status()) {
                if (status.type === 'disconnect') logger.warn('NATS disconnected, reconnecting');
                if (status.type === 'reconnect') logger.log('NATS reconnected');
              }
            })();
            readiness.register('nats', () => nc.rtt());
            return nc;
          },
        },
        NatsLifecycle,
        NatsRpcClient,
      ],
      exports: [APP_CONFIG, Clock, ReadinessRegistry, NATS_CONNECTION, NatsRpcClient],
    };
  }
}
