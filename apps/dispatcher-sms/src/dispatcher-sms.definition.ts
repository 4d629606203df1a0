import { Module } from '@nestjs/common';
import { PlatformModule, RedisModule, type ServiceDefinition } from '@app/platform';
import { DispatcherSmsModule } from './dispatcher-sms.module';

@Module({})
class DispatcherSmsRootModule {}

export const dispatcherSmsService: ServiceDefinition = {
  service: 'dispatcher-sms',
  rootModule: (options) => ({
    module: DispatcherSmsRootModule,
    imports: [PlatformModule.forRoot(options), RedisModule, DispatcherSmsModule],
  }),
};
