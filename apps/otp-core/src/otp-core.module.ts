import { Module } from '@nestjs/common';
import { NATS_CONNECTION, serviceDataSourceProvider } from '@app/platform';
import { OTP_DATABASE } from './otp-core.database';
import { OTP_DATA_SOURCE, OUTBOX_NATS_CONNECTION } from './otp-core.tokens';
import { OtpController } from './otp.controller';
import { OtpRepository, PostgresOtpRepository } from './otp.repository';
import { OtpService } from './otp.service';
import { OtpSweeper } from './otp-sweeper';
import { OutboxRelay } from './outbox/outbox-relay';
import { StatusCallbackConsumer } from './callbacks/status-callback.consumer';
import { DeliveryStatusConsumer } from './fallback/delivery-status.consumer';
import { FallbackService } from './fallback/fallback.service';

/** The OTP lifecycle behind `otp.v1.*`; table space `otp`. */
@Module({
  controllers: [OtpController],
  providers: [
    serviceDataSourceProvider(OTP_DATA_SOURCE, OTP_DATABASE),
    { provide: OUTBOX_NATS_CONNECTION, useExisting: NATS_CONNECTION },
    { provide: OtpRepository, useClass: PostgresOtpRepository },
    OtpService,
    OtpSweeper,
    OutboxRelay,
    FallbackService,
    DeliveryStatusConsumer,
    StatusCallbackConsumer,
  ],
  exports: [OtpService, OtpSweeper, FallbackService],
})
export class OtpCoreModule {}
