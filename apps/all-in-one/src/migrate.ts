import 'reflect-metadata';
import { ConfigError, createServiceDataSource, ensureDatabase, loadConfig, migrate } from '@app/platform';
import { GATEWAY_DATABASE } from '../../gateway/src/gateway.database';
import { LIMITER_DATABASE } from '../../limiter/src/limiter.database';
import { OTP_DATABASE } from '../../otp-core/src/otp-core.database';
import { SDR_DATABASE } from '../../sdr/src/sdr.database';

/** `npm run migrate`: brings every service's schema up to date, then exits. */
async function main(): Promise<void> {
  const config = loadConfig();
  await ensureDatabase(config.database.url);
  for (const options of [GATEWAY_DATABASE, OTP_DATABASE, LIMITER_DATABASE, SDR_DATABASE]) {
    const db = createServiceDataSource(config.database.url, 2, options);
    await db.initialize();
    try {
      await migrate(db, options.schema);
      process.stderr.write(`schema ${options.schema} is up to date\n`);
    } finally {
      await db.destroy();
    }
  }
}

main().catch((error: Error) => {
  process.stderr.write(`${error instanceof ConfigError ? error.message : `migrate: ${error.message}`}\n`);
  process.exit(1);
});
