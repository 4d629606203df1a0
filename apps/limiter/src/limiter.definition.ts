import { Module } from '@nestjs/common';
import { PlatformModule, RedisModule, type ServiceDefinition } from '@app/platform';
import { LimiterModule } from './limiter.module';

@Module({})
class LimiterRootModule {}

export const limiterService: ServiceDefinition = {
  service: 'limiter',
  rootModule: (options) => ({
    module: LimiterRootModule,
    imports: [PlatformModule.forRoot(options), RedisModule, LimiterModule],
  }),
};
