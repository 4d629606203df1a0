import { ConfigError, loadConfig } from './app-config';

describe('configuration', () => {
  it('starts on local defaults with nothing set', () => {
    const config = loadConfig({});
    expect(config).toMatchObject({
      port: 3000,
      nats: { url: 'nats://127.0.0.1:4222', prefix: '' },
      database: { url: 'postgres://postgres@127.0.0.1:5432/smart2fa' },
      redis: { urls: ['redis://127.0.0.1:6379'], cluster: false },
      devOutbox: false,
      defaultLimit: { max: 1, intervalSeconds: 60 },
      otpSecretIsDevDefault: true,
    });
    expect(Object.isFrozen(config)).toBe(true);
  });

  it.each([
    ['PORT', 'abc'],
    ['PORT', '70000'],
    ['DATABASE_URL', 'mysql://x'],
    ['REDIS_URL', 'not a url'],
    ['REDIS_URL', 'redis://127.0.0.1:7000,http://127.0.0.1:7001'],
    ['REDIS_CLUSTER', 'yes'],
    ['NATS_PREFIX', 'has.dots'],
    ['OTP_SECRET', 'short'],
    ['DEV_OUTBOX', 'maybe'],
    ['DEFAULT_LIMIT_MAX', '0'],
    ['LOG_LEVEL', 'loud'],
    ['STATUS_CALLBACK_SECRET', 'short'],
    ['STATUS_CALLBACK_MAX_ATTEMPTS', '0'],
    ['STATUS_CALLBACK_TIMEOUT_MS', 'soon'],
  ])('refuses a bad %s with a message naming it', (variable, value) => {
    expect(() => loadConfig({ [variable]: value })).toThrow(ConfigError);
    expect(() => loadConfig({ [variable]: value })).toThrow(new RegExp(`^Invalid configuration: ${variable} `));
  });

  it('takes a list of seed nodes for a Redis Cluster', () => {
    const config = loadConfig({ REDIS_URL: 'redis://127.0.0.1:7000, redis://127.0.0.1:7001', REDIS_CLUSTER: 'true' });
    expect(config.redis).toMatchObject({ urls: ['redis://127.0.0.1:7000', 'redis://127.0.0.1:7001'], cluster: true });
  });

  it('requires STATUS_CALLBACK_SECRET in production', () => {
    const production = { NODE_ENV: 'production', OTP_SECRET: 'x'.repeat(32) };
    expect(() => loadConfig(production)).toThrow(/Invalid configuration: STATUS_CALLBACK_SECRET is required/);
    expect(loadConfig({ ...production, STATUS_CALLBACK_SECRET: 'y'.repeat(32) }).statusCallback).toMatchObject({ secretIsDevDefault: false, maxAttempts: 8 });
  });

  it('requires OTP_SECRET in production', () => {
    expect(() => loadConfig({ NODE_ENV: 'production' })).toThrow(/Invalid configuration: OTP_SECRET is required/);
    expect(loadConfig({ NODE_ENV: 'production', OTP_SECRET: 'x'.repeat(32), STATUS_CALLBACK_SECRET: 'y'.repeat(32) }).otpSecretIsDevDefault).toBe(false);
  });
});
