import type { Provider } from '@nestjs/common';
import { APP_CONFIG, type AppConfig } from '@app/platform';
import { PriceTable } from './price-table';

export const PRICE_TABLE = Symbol('PRICE_TABLE');

/** Loaded once at start: a bad table stops the service before it projects anything. */
export const priceTableProvider: Provider = {
  provide: PRICE_TABLE,
  inject: [APP_CONFIG],
  useFactory: (config: AppConfig) => PriceTable.load(config.sdrPricesFile),
};
