import { Module } from '@nestjs/common';
import { LimiterController } from './limiter.controller';
import { LimiterService } from './limiter.service';

/** Limit counters in Redis behind `limiter.v1.*`. Needs the RedisModule in the root. */
@Module({
  controllers: [LimiterController],
  providers: [LimiterService],
})
export class LimiterModule {}
