import {
  type DynamicModule,
  type INestApplication,
  type LoggerService,
  Module,
  type ModuleMetadata,
} from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import type { Clock } from './clock';
import { type AppConfig, ConfigError, loadConfig } from './config/app-config';
import { createRootLogger, PinoNestLogger } from './logging/logger';
import { NatsRpcServer } from './nats/nats-rpc.server';
import { NATS_CONNECTION } from './nats/nats.tokens';
import { PlatformModule, type PlatformOptions } from './platform.module';

export interface ServiceDefinition {
  /** Name in logs and NATS connection names. */
  service: string;
  /** The root module of the process, built from the validated config. */
  rootModule: (options: PlatformOptions) => DynamicModule;
  /** HTTP set-up beyond probes and metrics (the gateway's API). */
  configureHttp?: (app: INestApplication, config: AppConfig) => void;
}

/**
 * A service process: the platform (config, clock, NATS, probes) plus the modules it runs.
 * The root module needs nothing else, so every app declares itself with this.
 */
export function defineService(spec: {
  service: string;
  imports: NonNullable<ModuleMetadata['imports']>;
  configureHttp?: ServiceDefinition['configureHttp'];
}): ServiceDefinition {
  @Module({})
  class ServiceRootModule {}
  return {
    service: spec.service,
    configureHttp: spec.configureHttp,
    rootModule: (options) => ({
      module: ServiceRootModule,
      imports: [PlatformModule.forRoot(options), ...spec.imports],
    }),
  };
}

export interface StartOptions {
  config: AppConfig;
  clock?: Clock;
  /** Overrides `config.port` (tests pass 0 for any free port). */
  port?: number;
  /** Where log lines go (stdout by default); tests collect them to inspect. */
  logStream?: { write(line: string): unknown };
  /** Creates the Nest application; tests pass one built with provider overrides. */
  createApp?: (rootModule: DynamicModule, logger: LoggerService) => Promise<INestApplication>;
}

/**
 * Creates and starts one service process: HTTP (probes, metrics and whatever the service
 * serves) and the NATS command transport. Used by each app's main, the all-in-one main and
 * the end-to-end tests alike.
 */
export async function startService(definition: ServiceDefinition, options: StartOptions): Promise<INestApplication> {
  const { config } = options;
  const logger = new PinoNestLogger(createRootLogger(config.logLevel, definition.service, options.logStream));
  const rootModule = definition.rootModule({ service: definition.service, config, clock: options.clock });
  const app = options.createApp
    ? await options.createApp(rootModule, logger)
    : await NestFactory.create(rootModule, { logger, bodyParser: false, abortOnError: false });
  definition.configureHttp?.(app, config);
  app.connectMicroservice({ strategy: new NatsRpcServer(() => app.get(NATS_CONNECTION), config.nats.prefix) });
  app.enableShutdownHooks();
  await app.startAllMicroservices();
  await app.listen(options.port ?? config.port, config.host);
  if (config.otpSecretIsDevDefault) {
    logger.warn('OTP_SECRET is not set: using the development default. Set it in production.', 'Config');
  }
  logger.log(
    `${definition.service} listening on port ${(app.getHttpServer().address() as { port: number }).port}`,
    'Bootstrap',
  );
  return app;
}

/** The `main` of a process: config from the environment, a clear message and exit 1 on error. */
export function runMain(definition: ServiceDefinition): void {
  let config: AppConfig;
  try {
    config = loadConfig();
  } catch (error) {
    if (error instanceof ConfigError) {
      process.stderr.write(`${error.message}\n`);
      process.exit(1);
    }
    throw error;
  }
  startService(definition, { config }).catch((error: Error) => {
    process.stderr.write(`${definition.service} failed to start: ${error.message}\n`);
    process.exit(1);
  });
}
