import type { ServiceDatabaseOptions } from '@app/platform';
import { LimitEntity } from './limits/limit.entity';
import { CreateLimits1700000000002 } from './migrations/1700000000002-create-limits';
import { CreateFraud1700000000014 } from './migrations/1700000000014-create-fraud';

export const LIMITER_DATA_SOURCE = Symbol('LIMITER_DATA_SOURCE');

export const LIMITER_DATABASE: ServiceDatabaseOptions = {
  schema: 'limiter',
  entities: [LimitEntity],
  migrations: [CreateLimits1700000000002, CreateFraud1700000000014],
};
