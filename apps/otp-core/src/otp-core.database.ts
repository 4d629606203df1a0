import type { ServiceDatabaseOptions } from '@app/platform';
import { CreateOtpTables1700000000000 } from './migrations/1700000000000-create-otp-tables';
import { CreateDispatches1700000000001 } from './migrations/1700000000001-create-dispatches';
import { RequestsFillfactor1700000000002 } from './migrations/1700000000002-requests-fillfactor';
import { OtpRequestEntity } from './otp-request.entity';
import { OutboxMessageEntity } from './outbox/outbox-message.entity';

export const OTP_DATABASE: ServiceDatabaseOptions = {
  schema: 'otp',
  entities: [OtpRequestEntity, OutboxMessageEntity],
  migrations: [CreateOtpTables1700000000000, CreateDispatches1700000000001, RequestsFillfactor1700000000002],
};
