import { Module } from '@nestjs/common';
import { serviceDataSourceProvider } from '@app/platform';
import { LIMITER_DATA_SOURCE, LIMITER_DATABASE } from './limiter.database';
import { FRAUD_CONTROLLERS, FRAUD_PROVIDERS } from './fraud/fraud.module';
import { LimiterController } from './limiter.controller';
import { LimiterService } from './limiter.service';
import { BucketCounter } from './limits/bucket-counter';
import { LimitDefinitions } from './limits/limit-definitions';
import { LimitsRepository } from './limits/limits.repository';
import { LimitsService } from './limits/limits.service';

/**
 * Limit definitions (table space `limiter`) and counters (Redis) behind `limiter.v1.*`, and the
 * fraud guard that runs before them (`fraud.v1.*`, its own Redis). Needs RedisModule.
 */
@Module({
  controllers: [LimiterController, ...FRAUD_CONTROLLERS],
  providers: [
    serviceDataSourceProvider(LIMITER_DATA_SOURCE, LIMITER_DATABASE),
    LimitsRepository,
    BucketCounter,
    LimitDefinitions,
    LimitsService,
    LimiterService,
    ...FRAUD_PROVIDERS,
  ],
})
export class LimiterModule {}
