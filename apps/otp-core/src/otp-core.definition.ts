import { Module } from '@nestjs/common';
import { PlatformModule, type ServiceDefinition } from '@app/platform';
import { OtpCoreModule } from './otp-core.module';

@Module({})
class OtpCoreRootModule {}

export const otpCoreService: ServiceDefinition = {
  service: 'otp-core',
  rootModule: (options) => ({
    module: OtpCoreRootModule,
    imports: [PlatformModule.forRoot(options), OtpCoreModule],
  }),
};
