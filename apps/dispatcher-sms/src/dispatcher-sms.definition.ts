import { defineService, RedisModule } from '@app/platform';
import { DispatcherSmsModule } from './dispatcher-sms.module';

export const dispatcherSmsService = defineService({
  service: 'dispatcher-sms',
  imports: [RedisModule, DispatcherSmsModule],
});
