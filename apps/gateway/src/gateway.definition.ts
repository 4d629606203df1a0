import { defineService, RedisModule } from '@app/platform';
import { configureGatewayHttp } from './gateway.http';
import { GatewayModule } from './gateway.module';

export const gatewayService = defineService({
  service: 'gateway',
  imports: [RedisModule, GatewayModule],
  configureHttp: configureGatewayHttp,
});
