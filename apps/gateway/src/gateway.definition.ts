import { Module } from '@nestjs/common';
import { PlatformModule, type ServiceDefinition } from '@app/platform';
import { configureGatewayHttp } from './gateway.http';
import { GatewayModule } from './gateway.module';

@Module({})
class GatewayRootModule {}

export const gatewayService: ServiceDefinition = {
  service: 'gateway',
  rootModule: (options) => ({
    module: GatewayRootModule,
    imports: [PlatformModule.forRoot(options), GatewayModule],
  }),
  configureHttp: configureGatewayHttp,
};
