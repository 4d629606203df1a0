import { defineService, RedisModule } from '@app/platform';
import { DispatcherEmailModule } from './dispatcher-email.module';

export const dispatcherEmailService = defineService({
  service: 'dispatcher-email',
  imports: [RedisModule, DispatcherEmailModule],
});
