import type { ServiceDatabaseOptions } from '@app/platform';
import { AccountEntity } from './accounts/account.entity';
import { CreateAccounts1700000000001 } from './migrations/1700000000001-create-accounts';
import { AccountDefaultSender1700000000010 } from './migrations/1700000000010-account-default-sender';

export const GATEWAY_DATA_SOURCE = Symbol('GATEWAY_DATA_SOURCE');

export const GATEWAY_DATABASE: ServiceDatabaseOptions = {
  schema: 'gateway',
  entities: [AccountEntity],
  migrations: [CreateAccounts1700000000001, AccountDefaultSender1700000000010],
};
