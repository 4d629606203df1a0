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
    ['STATUS_CALLBACK_ALLOW_PRIVATE', 'perhaps'],
    ['SMS_PROVIDER', 'carrier-pigeon'],
    ['EMAIL_PROVIDER', 'smpp'],
    ['SMPP_URL', 'http://smsc:2775'],
    ['SMTP_URL', 'smpp://mail'],
    ['SMS_WEBHOOK_URL', 'ftp://x'],
    ['SMS_WEBHOOK_SECRET', 'short'],
    ['DISPATCH_MAX_ATTEMPTS', '0'],
    ['DISPATCH_ACK_WAIT_MS', '500'],
    ['DISPATCH_ACK_WAIT_MS', 'later'],
    ['HOST', 'localhost'],
    ['DEFAULT_SENDER', 'A!'],
    ['HOST', '0.0.0.0:3000'],
    ['NATS_STREAM_REPLICAS', '0'],
    ['NATS_STREAM_REPLICAS', '7'],
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
    expect(loadConfig({ ...production, STATUS_CALLBACK_SECRET: 'y'.repeat(32) }).statusCallback).toMatchObject({
      secretIsDevDefault: false,
      maxAttempts: 8,
      allowPrivateNetworks: false,
    });
    expect(loadConfig({ STATUS_CALLBACK_ALLOW_PRIVATE: 'true' }).statusCallback.allowPrivateNetworks).toBe(true);
  });

  it('requires OTP_SECRET in production', () => {
    expect(() => loadConfig({ NODE_ENV: 'production' })).toThrow(/Invalid configuration: OTP_SECRET is required/);
    expect(
      loadConfig({ NODE_ENV: 'production', OTP_SECRET: 'x'.repeat(32), STATUS_CALLBACK_SECRET: 'y'.repeat(32) })
        .otpSecretIsDevDefault,
    ).toBe(false);
  });

  it('uses the log provider on every channel by default', () => {
    expect(loadConfig({}).channels).toEqual({
      sms: { provider: 'log' },
      call: { provider: 'log' },
      email: { provider: 'log' },
    });
    expect(loadConfig({}).dispatch).toEqual({
      maxAttempts: 5,
      retryBaseMs: 1000,
      providerTimeoutMs: 10_000,
      ackWaitMs: 3000,
    });
  });

  it('takes an ack wait shorter than a provider call (heartbeats keep a slow call its message)', () => {
    expect(loadConfig({ DISPATCH_ACK_WAIT_MS: '2000', PROVIDER_TIMEOUT_MS: '10000' }).dispatch).toMatchObject({
      ackWaitMs: 2000,
      providerTimeoutMs: 10_000,
    });
  });

  it('binds every interface and creates single-replica streams unless told otherwise', () => {
    expect(loadConfig({}).host).toBe('0.0.0.0');
    expect(loadConfig({}).nats.streamReplicas).toBe(1);
    expect(loadConfig({ HOST: '::1', NATS_STREAM_REPLICAS: '3' })).toMatchObject({
      host: '::1',
      nats: { streamReplicas: 3 },
    });
  });

  it.each([
    [{ SMS_PROVIDER: 'smpp' }, 'SMPP_URL'],
    [{ SMS_PROVIDER: 'webhook', SMS_WEBHOOK_URL: 'https://sms.example' }, 'SMS_WEBHOOK_SECRET'],
    [{ VOICE_PROVIDER: 'webhook', VOICE_WEBHOOK_SECRET: 'x'.repeat(16) }, 'VOICE_WEBHOOK_URL'],
    [{ EMAIL_PROVIDER: 'smtp' }, 'SMTP_URL'],
  ])('names the setting a chosen provider lacks (%o)', (env, variable) => {
    expect(() => loadConfig(env)).toThrow(new RegExp(`^Invalid configuration: ${variable} is required when`));
  });

  it('takes a provider with its settings', () => {
    const config = loadConfig({
      SMS_PROVIDER: 'smpp',
      SMPP_URL: 'smpp://id:pw@smsc:2775',
      EMAIL_PROVIDER: 'smtp',
      SMTP_URL: 'smtps://mail:465',
    });
    expect(config.channels.sms).toMatchObject({ provider: 'smpp', smppUrl: 'smpp://id:pw@smsc:2775' });
    expect(config.channels.email).toEqual({ provider: 'smtp', smtpUrl: 'smtps://mail:465' });
  });

  it('takes the fraud guard defaults, its own Redis, and refuses unknown countries', () => {
    expect(loadConfig({}).fraud).toMatchObject({
      enabled: true,
      redis: { urls: ['redis://127.0.0.1:6379'] },
      defaultMode: 'block',
      defaultLevel: 'standard',
      defaultBlockedCountries: [],
    });
    const config = loadConfig({
      FRAUD_REDIS_URL: 'redis://fraud:6380',
      FRAUD_DEFAULT_BLOCKED_COUNTRIES: 'cu, KP',
      FRAUD_DEFAULT_MODE: 'monitor',
    });
    expect(config.fraud).toMatchObject({
      redis: { urls: ['redis://fraud:6380'], cluster: false },
      defaultMode: 'monitor',
      defaultBlockedCountries: ['CU', 'KP'],
    });
    expect(() => loadConfig({ FRAUD_DEFAULT_BLOCKED_COUNTRIES: 'CU,XX' })).toThrow(
      /FRAUD_DEFAULT_BLOCKED_COUNTRIES must be ISO 3166-1 alpha-2/,
    );
    expect(() => loadConfig({ FRAUD_DEFAULT_LEVEL: 'paranoid' })).toThrow(/FRAUD_DEFAULT_LEVEL/);
  });
});
