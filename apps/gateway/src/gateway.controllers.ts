import { HealthController } from '@app/platform';
import { AccountsController } from './accounts/accounts.controller';
import { ProviderCallbacksController } from './callbacks/provider-callbacks.controller';
import { DevOutboxHttpController } from './dev-outbox/dev-outbox.controller';
import { DocsController } from './docs/docs.controller';
import { FraudHttpController } from './fraud/fraud-http.controller';
import { LimitsHttpController } from './limits/limits-http.controller';
import { OtpHttpController } from './otp/otp-http.controller';
import { SdrHttpController } from './sdr/sdr-http.controller';
import { SessionsController } from './sessions/sessions.controller';
import { VendorOtpController } from './vendor/vendor-otp.controller';

/** The gateway's own HTTP controllers: a new one goes here, and its routes into the OpenAPI document. */
export const GATEWAY_CONTROLLERS = [
  OtpHttpController,
  AccountsController,
  DevOutboxHttpController,
  VendorOtpController,
  LimitsHttpController,
  FraudHttpController,
  ProviderCallbacksController,
  SdrHttpController,
  SessionsController,
  DocsController,
];

/** Every controller the gateway's HTTP server answers with (the probes come with every service). */
export const DOCUMENTED_CONTROLLERS = [HealthController, ...GATEWAY_CONTROLLERS];
