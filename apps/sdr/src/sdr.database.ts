import type { ServiceDatabaseOptions } from '@app/platform';
import { CreateSdrTables1700000000003 } from './migrations/1700000000003-create-sdr-tables';
import { UsageBlocked1700000000015 } from './migrations/1700000000015-usage-blocked';

export const SDR_DATA_SOURCE = Symbol('SDR_DATA_SOURCE');

/** Raw SQL only: the projection's upserts and the roll-up arithmetic do not fit an ORM. */
export const SDR_DATABASE: ServiceDatabaseOptions = {
  schema: 'sdr',
  entities: [],
  migrations: [CreateSdrTables1700000000003, UsageBlocked1700000000015],
};
