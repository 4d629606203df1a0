import { Module } from '@nestjs/common';
import { APP_GUARD } from '@nestjs/core';
import { serviceDataSourceProvider } from '@app/platform';
import { AccountsController } from './accounts/accounts.controller';
import { AccountsService } from './accounts/accounts.service';
import { AuthGuard } from './auth/auth.guard';
import { ProviderCallbacksController } from './callbacks/provider-callbacks.controller';
import { DevOutboxHttpController } from './dev-outbox/dev-outbox.controller';
import { GATEWAY_DATA_SOURCE, GATEWAY_DATABASE } from './gateway.database';
import { LimitsHttpController } from './limits/limits-http.controller';
import { OtpHttpController } from './otp/otp-http.controller';
import { SdrHttpController } from './sdr/sdr-http.controller';
import { SessionRepository } from './sessions/session.repository';
import { SessionsController } from './sessions/sessions.controller';
import { SessionsService } from './sessions/sessions.service';
import { VendorOtpController } from './vendor/vendor-otp.controller';

/** The HTTP API: accounts, authentication (HTTP Basic, console sessions), and the edge of the OTP commands. Needs RedisModule. */
@Module({
  controllers: [
    OtpHttpController,
    AccountsController,
    DevOutboxHttpController,
    VendorOtpController,
    LimitsHttpController,
    ProviderCallbacksController,
    SdrHttpController,
    SessionsController,
  ],
  providers: [
    serviceDataSourceProvider(GATEWAY_DATA_SOURCE, GATEWAY_DATABASE),
    AccountsService,
    SessionRepository,
    SessionsService,
    // Every route is guarded unless marked @Public().
    { provide: APP_GUARD, useClass: AuthGuard },
  ],
  exports: [AccountsService],
})
export class GatewayModule {}
