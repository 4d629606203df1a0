import { defineService, RedisModule } from '@app/platform';
import { LimiterModule } from './limiter.module';

export const limiterService = defineService({ service: 'limiter', imports: [RedisModule, LimiterModule] });
