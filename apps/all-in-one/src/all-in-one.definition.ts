import { defineService, RedisModule } from '@app/platform';
// The all-in-one process is the one place that composes the apps' modules (see
// .dependency-cruiser.js): the same code that runs as separate Deployments runs here in one
// process, for a laptop and the quick start.
import { DispatcherEmailModule } from '../../dispatcher-email/src/dispatcher-email.module';
import { DispatcherSmsModule } from '../../dispatcher-sms/src/dispatcher-sms.module';
import { DispatcherVoiceModule } from '../../dispatcher-voice/src/dispatcher-voice.module';
import { configureGatewayHttp } from '../../gateway/src/gateway.http';
import { GatewayModule } from '../../gateway/src/gateway.module';
import { LimiterModule } from '../../limiter/src/limiter.module';
import { OtpCoreModule } from '../../otp-core/src/otp-core.module';
import { SdrModule } from '../../sdr/src/sdr.module';

export const allInOneService = defineService({
  service: 'all-in-one',
  imports: [
    RedisModule,
    GatewayModule,
    OtpCoreModule,
    LimiterModule,
    DispatcherSmsModule,
    DispatcherVoiceModule,
    DispatcherEmailModule,
    SdrModule,
  ],
  configureHttp: configureGatewayHttp,
});
