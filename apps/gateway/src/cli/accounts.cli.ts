import 'reflect-metadata';
import { emailAddress, isId } from '@app/contracts';
import { ConfigError, createServiceDataSource, ensureDatabase, loadConfig, migrate, SystemClock } from '@app/platform';
import { parseArgs } from 'node:util';
import { AccountsRepository } from '../accounts/accounts.repository';
import { AccountsService } from '../accounts/accounts.service';
import { GATEWAY_DATABASE } from '../gateway.database';

const USAGE = 'usage: npm run accounts -- create --email EMAIL [--parent ACxxx] [--name NAME]';

/**
 * `npm run accounts -- create --email E [--parent ACxxx]` prints exactly one JSON line,
 * `{"accountSid":"AC…","authToken":"…"}`, on stdout: the only time the token is shown.
 * Everything else goes to stderr.
 */
export async function runAccountsCli(
  argv: string[],
  env: Record<string, string | undefined> = process.env,
  stdout: NodeJS.WritableStream = process.stdout,
  stderr: NodeJS.WritableStream = process.stderr,
): Promise<number> {
  const fail = (message: string) => {
    stderr.write(`${message}\n`);
    return 2;
  };
  let parsed;
  try {
    parsed = parseArgs({
      args: argv,
      allowPositionals: true,
      options: { email: { type: 'string' }, parent: { type: 'string' }, name: { type: 'string' } },
    });
  } catch (error) {
    return fail(`${(error as Error).message}\n${USAGE}`);
  }
  const { positionals, values } = parsed;
  if (positionals[0] !== 'create' || !values.email) return fail(USAGE);
  if (!emailAddress.safeParse(values.email).success) return fail(`--email must be a valid email address\n${USAGE}`);
  if (values.parent !== undefined && !isId('account', values.parent))
    return fail(`--parent must be AC followed by 32 hex digits\n${USAGE}`);

  const config = loadConfig(env);
  await ensureDatabase(config.database.url);
  const db = createServiceDataSource(config.database.url, 2, GATEWAY_DATABASE);
  await db.initialize();
  try {
    await migrate(db, GATEWAY_DATABASE.schema);
    const created = await new AccountsService(new AccountsRepository(db), new SystemClock()).create({
      email: values.email,
      friendlyName: values.name,
      parentSid: values.parent,
    });
    stdout.write(`${JSON.stringify({ accountSid: created.accountSid, authToken: created.authToken })}\n`);
    return 0;
  } finally {
    await db.destroy();
  }
}

if (require.main === module) {
  runAccountsCli(process.argv.slice(2)).then(
    (code) => process.exit(code),
    (error: Error) => {
      process.stderr.write(`${error instanceof ConfigError ? error.message : `accounts: ${error.message}`}\n`);
      process.exit(1);
    },
  );
}
