import { Module } from '@nestjs/common';
import { APP_GUARD } from '@nestjs/core';
import { serviceDataSourceProvider } from '@app/platform';
import { AccountsRepository } from './accounts/accounts.repository';
import { AccountsService } from './accounts/accounts.service';
import { AuthCache } from './auth/auth-cache';
import { AuthGuard } from './auth/auth.guard';
import { buildOpenApiDocument } from './docs/openapi.document';
import { OPENAPI_DOCUMENT } from './docs/openapi.token';
import { DOCUMENTED_CONTROLLERS, GATEWAY_CONTROLLERS } from './gateway.controllers';
import { GATEWAY_DATA_SOURCE, GATEWAY_DATABASE } from './gateway.database';
import { SessionRepository } from './sessions/session.repository';
import { SessionsService } from './sessions/sessions.service';

/** The HTTP API: accounts, authentication (HTTP Basic, console sessions), and the edge of the OTP commands. Needs RedisModule. */
@Module({
  controllers: GATEWAY_CONTROLLERS,
  providers: [
    serviceDataSourceProvider(GATEWAY_DATA_SOURCE, GATEWAY_DATABASE),
    AccountsRepository,
    AccountsService,
    AuthCache,
    // Built once at start; a route without @ApiOperation stops the start, naming the route.
    { provide: OPENAPI_DOCUMENT, useFactory: () => buildOpenApiDocument(DOCUMENTED_CONTROLLERS) },
    SessionRepository,
    SessionsService,
    // Every route is guarded unless marked @Public().
    { provide: APP_GUARD, useClass: AuthGuard },
  ],
  exports: [AccountsService],
})
export class GatewayModule {}
