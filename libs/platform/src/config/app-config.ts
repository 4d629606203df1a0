import { type CountryCode, isSupportedCountry } from 'libphonenumber-js/max';
import { isIP } from 'node:net';
import { z } from 'zod';
import { loadProvidersFile, type ProvidersFile, ProvidersFileError } from './providers-file';

/**
 * The only place that reads the environment. Validated once at start into a typed, frozen
 * object; a bad or missing variable stops the start with a message naming it.
 */
const DEV_OTP_SECRET = 'dev-only-otp-secret-change-me-0123456789abcdef';
const DEV_STATUS_CALLBACK_SECRET = 'dev-only-status-callback-secret-change-me-0123';

const url = (protocols: string[]) =>
  z.string().refine(
    (v) => {
      try {
        return protocols.includes(new URL(v).protocol);
      } catch {
        return false;
      }
    },
    `must be a URL starting with ${protocols.map((p) => `${p}//`).join(' or ')}`,
  );

const bool = z.enum(['true', 'false', '1', '0', '']).transform((v) => v === 'true' || v === '1');
const int = (min: number, max: number) => z.coerce.number().int().min(min).max(max);

const EnvSchema = z.object({
  NODE_ENV: z.string().default('development'),
  PORT: int(0, 65535).default(3000),
  // Address the HTTP server binds: 0.0.0.0 (every IPv4 interface), :: (every interface), 127.0.0.1…
  HOST: z
    .string()
    .refine((v) => isIP(v) !== 0, 'must be an IPv4 or IPv6 address (0.0.0.0, ::, 127.0.0.1…)')
    .default('0.0.0.0'),
  NATS_URL: z.string().min(1).default('nats://127.0.0.1:4222'),
  NATS_PREFIX: z
    .string()
    .regex(/^[A-Za-z0-9_-]*$/, 'may hold only letters, digits, - and _')
    .default(''),
  NATS_REQUEST_TIMEOUT_MS: int(100, 60_000).default(5000),
  // Replicas of the JetStream streams the services create or update (3 on a 3-node cluster).
  NATS_STREAM_REPLICAS: int(1, 5).default(1),
  DATABASE_URL: url(['postgres:', 'postgresql:']).default('postgres://postgres@127.0.0.1:5432/smart2fa'),
  DATABASE_POOL_SIZE: int(1, 200).default(10),
  // One URL, or with REDIS_CLUSTER=true a comma-separated list of cluster seed nodes.
  REDIS_URL: z
    .string()
    .refine(
      (v) => v.split(',').every((u) => url(['redis:', 'rediss:']).safeParse(u.trim()).success),
      'must be redis:// or rediss:// URLs, comma-separated',
    )
    .default('redis://127.0.0.1:6379'),
  REDIS_CLUSTER: bool.default(false),
  REDIS_PREFIX: z.string().max(64).default(''),
  OTP_SECRET: z.string().min(32, 'must be at least 32 characters').optional(),
  DEV_OUTBOX: bool.default(false),
  // The sender of a second-vendor send (POST /otp/generate) that names none, when its account has no default.
  DEFAULT_SENDER: z
    .string()
    .regex(
      /^([A-Za-z0-9]{3,11}|\+[1-9][0-9]{6,14})$/,
      'must be an E.164 number or a 3-11 character alphanumeric sender ID',
    )
    .optional(),
  DEFAULT_LIMIT_MAX: int(1, 1_000_000).default(1),
  DEFAULT_LIMIT_INTERVAL: int(1, 31_536_000).default(60),
  LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
  SWEEP_INTERVAL_MS: int(100, 3_600_000).default(1000),
  // Price table of the session detail records (apps/sdr); the repository's config/prices.json by default.
  SDR_PRICES_FILE: z.string().min(1).optional(),
  // Durable consumer name of apps/sdr; a new name (with an empty database) replays the stream.
  SDR_CONSUMER: z
    .string()
    .regex(/^[A-Za-z0-9_-]+$/, 'may hold only letters, digits, - and _')
    .default('sdr'),
  // Status callbacks (statusCallback on send): signing key, attempts, back-off, timeout.
  STATUS_CALLBACK_SECRET: z.string().min(32, 'must be at least 32 characters').optional(),
  STATUS_CALLBACK_MAX_ATTEMPTS: int(1, 100).default(8),
  STATUS_CALLBACK_RETRY_BASE_MS: int(10, 600_000).default(1000),
  STATUS_CALLBACK_TIMEOUT_MS: int(100, 60_000).default(5000),
  STATUS_CALLBACK_ALLOW_PRIVATE: bool.default(false),
  // Channels and providers (README "Channels and providers").
  SMS_PROVIDER: z.enum(['log', 'smpp', 'webhook']).default('log'),
  VOICE_PROVIDER: z.enum(['log', 'webhook']).default('log'),
  EMAIL_PROVIDER: z.enum(['log', 'smtp']).default('log'),
  SMPP_URL: url(['smpp:', 'ssmpp:']).optional(),
  SMTP_URL: url(['smtp:', 'smtps:']).optional(),
  SMS_WEBHOOK_URL: url(['http:', 'https:']).optional(),
  SMS_WEBHOOK_SECRET: z.string().min(16, 'must be at least 16 characters').optional(),
  VOICE_WEBHOOK_URL: url(['http:', 'https:']).optional(),
  VOICE_WEBHOOK_SECRET: z.string().min(16, 'must be at least 16 characters').optional(),
  // Ordered providers per channel with routing and failover (README "Providers and routing").
  PROVIDERS_FILE: z.string().min(1).optional(),
  // The gateway's external base URL: providers give vendors `<PUBLIC_URL>/2fa/callbacks/{name}`.
  PUBLIC_URL: url(['http:', 'https:']).optional(),
  DISPATCH_MAX_ATTEMPTS: int(1, 50).default(5),
  DISPATCH_RETRY_BASE_MS: int(10, 60_000).default(1000),
  PROVIDER_TIMEOUT_MS: int(100, 25_000).default(10_000),
  // Fraud guard (README "Fraud guard"): on unless switched off; its own Redis (REDIS_URL by default).
  FRAUD_GUARD: bool.default(true),
  FRAUD_REDIS_URL: url(['redis:', 'rediss:']).optional(),
  FRAUD_DEFAULT_MODE: z.enum(['block', 'monitor']).default('block'),
  FRAUD_DEFAULT_LEVEL: z.enum(['relaxed', 'standard', 'strict']).default('standard'),
  FRAUD_DEFAULT_BLOCKED_COUNTRIES: z
    .string()
    .default('')
    .transform((v) =>
      v
        .split(',')
        .map((c) => c.trim().toUpperCase())
        .filter(Boolean),
    )
    .refine(
      (list) => list.every((c) => isSupportedCountry(c as CountryCode)),
      'must be ISO 3166-1 alpha-2 country codes that have phone numbers, comma-separated (CU,KP)',
    ),
  // Fraud guard Redis commands give up after this long: the guard then fails open.
  FRAUD_REDIS_TIMEOUT_MS: int(10, 60_000).default(500),
  // How long a dispatcher's message may go without a heartbeat before JetStream hands it to
  // another replica: a crashed replica's messages go out again after about this long.
  DISPATCH_ACK_WAIT_MS: int(1000, 600_000).default(3000),
  // The console (apps/console) and its cookie sessions (README "Console").
  CONSOLE_DIR: z.string().min(1).default('dist/console'),
  SESSION_IDLE_TIMEOUT_S: int(60, 86_400).default(1800),
  SESSION_ABSOLUTE_TIMEOUT_S: int(60, 30 * 86_400).default(43_200),
  SESSION_COOKIE_SECURE: z.enum(['auto', 'true', 'false']).default('auto'),
  SIGNIN_MAX_FAILURES: int(1, 1000).default(5),
  SIGNIN_FAILURE_WINDOW_S: int(1, 86_400).default(900),
});

/** Settings a provider needs, checked only when that provider is chosen. */
const PROVIDER_NEEDS: Record<string, string[]> = {
  'SMS_PROVIDER=smpp': ['SMPP_URL'],
  'SMS_PROVIDER=webhook': ['SMS_WEBHOOK_URL', 'SMS_WEBHOOK_SECRET'],
  'VOICE_PROVIDER=webhook': ['VOICE_WEBHOOK_URL', 'VOICE_WEBHOOK_SECRET'],
  'EMAIL_PROVIDER=smtp': ['SMTP_URL'],
};

export class ConfigError extends Error {
  constructor(
    readonly variable: string,
    problem: string,
  ) {
    super(`Invalid configuration: ${variable} ${problem}`);
    this.name = 'ConfigError';
  }
}

export interface AppConfig {
  readonly env: string;
  readonly port: number;
  /** Bind address of the HTTP server. */
  readonly host: string;
  readonly nats: {
    readonly url: string;
    readonly prefix: string;
    readonly requestTimeoutMs: number;
    /** Replicas of the streams this deployment creates or updates. */
    readonly streamReplicas: number;
  };
  readonly database: { readonly url: string; readonly poolSize: number };
  readonly redis: { readonly urls: readonly string[]; readonly cluster: boolean; readonly prefix: string };
  /** Secret key of the code HMAC. Marked secret: never logged. */
  readonly otpSecret: string;
  readonly otpSecretIsDevDefault: boolean;
  readonly devOutbox: boolean;
  /** Sender of a `POST /otp/generate` that names none and whose account has no default. */
  readonly defaultSender?: string;
  readonly defaultLimit: { readonly max: number; readonly intervalSeconds: number };
  readonly logLevel: string;
  readonly sweepIntervalMs: number;
  /** Path of the SDR price table, or undefined for the built-in default. */
  readonly sdrPricesFile?: string;
  readonly sdrConsumer: string;
  readonly statusCallback: {
    /** Key of the callback signature (HMAC-SHA256). Marked secret: never logged. */
    readonly secret: string;
    readonly secretIsDevDefault: boolean;
    /** Deliveries of one event before it is given up. */
    readonly maxAttempts: number;
    /** First retry delay; doubled on each further retry, capped at 10 minutes. */
    readonly retryBaseMs: number;
    readonly timeoutMs: number;
    /**
     * Whether a callback may reach a loopback, private, link-local or otherwise internal
     * address. Off by default: a send's URL is the caller's choice, and otp-core's network is
     * not the caller's to probe (SSRF).
     */
    readonly allowPrivateNetworks: boolean;
  };
  /** Which provider delivers each channel, and its settings. Secrets are never logged. */
  readonly channels: {
    readonly sms: {
      readonly provider: 'log' | 'smpp' | 'webhook';
      readonly smppUrl?: string;
      readonly webhookUrl?: string;
      readonly webhookSecret?: string;
    };
    readonly call: {
      readonly provider: 'log' | 'webhook';
      readonly webhookUrl?: string;
      readonly webhookSecret?: string;
    };
    readonly email: { readonly provider: 'log' | 'smtp'; readonly smtpUrl?: string };
  };
  /**
   * The providers file (PROVIDERS_FILE), when given: per channel, providers in order of
   * preference. A channel it does not list keeps the single provider of `channels`.
   */
  readonly providers?: ProvidersFile;
  /** External base URL of the gateway (no trailing slash), for vendors' delivery reports. */
  readonly publicUrl?: string;
  /**
   * Provider attempts per dispatch, the first retry's delay (doubling, capped at 30 s), one
   * call's time limit, and the dispatch consumer's ack wait (a crashed replica's messages come
   * back after it).
   */
  readonly dispatch: {
    readonly maxAttempts: number;
    readonly retryBaseMs: number;
    readonly providerTimeoutMs: number;
    readonly ackWaitMs: number;
  };
  /**
   * The fraud guard (SPEC 12): whether sms and call sends are checked, its own Redis (it fails
   * open when that is out of reach, unlike the limiter), and the defaults of every account.
   */
  readonly fraud: {
    readonly enabled: boolean;
    readonly redis: { readonly urls: readonly string[]; readonly cluster: boolean; readonly prefix: string };
    readonly redisTimeoutMs: number;
    readonly defaultMode: 'block' | 'monitor';
    readonly defaultLevel: 'relaxed' | 'standard' | 'strict';
    readonly defaultBlockedCountries: readonly string[];
  };
  /** The console's static files and its cookie sessions (SPEC 11). */
  readonly console: {
    /** Folder of the built console (index.html and assets), relative to the working directory. */
    readonly dir: string;
    /** A session unused this long is gone. */
    readonly idleTimeoutSeconds: number;
    /** A session is gone this long after sign-in, however busy. */
    readonly absoluteTimeoutSeconds: number;
    /** `auto`: Secure when the request came over HTTPS (directly or as X-Forwarded-Proto says). */
    readonly cookieSecure: 'auto' | 'true' | 'false';
    /** Failed sign-ins per account SID within the window before sign-in is refused (4× per client address). */
    readonly signInMaxFailures: number;
    readonly signInFailureWindowSeconds: number;
  };
}

/** Injection token of the {@link AppConfig}. */
export const APP_CONFIG = Symbol('APP_CONFIG');

export function loadConfig(env: Record<string, string | undefined> = process.env): AppConfig {
  const parsed = EnvSchema.safeParse(env);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw new ConfigError(String(issue.path[0]), issue.message);
  }
  const e = parsed.data;
  if (e.OTP_SECRET === undefined && e.NODE_ENV === 'production') {
    throw new ConfigError('OTP_SECRET', 'is required when NODE_ENV=production (at least 32 random characters)');
  }
  if (e.STATUS_CALLBACK_SECRET === undefined && e.NODE_ENV === 'production') {
    throw new ConfigError(
      'STATUS_CALLBACK_SECRET',
      'is required when NODE_ENV=production (at least 32 random characters)',
    );
  }
  for (const [choice, needed] of Object.entries(PROVIDER_NEEDS)) {
    const [variable, value] = choice.split('=');
    if (e[variable as keyof typeof e] !== value) continue;
    for (const n of needed)
      if (e[n as keyof typeof e] === undefined) throw new ConfigError(n, `is required when ${choice}`);
  }
  if (e.SESSION_IDLE_TIMEOUT_S > e.SESSION_ABSOLUTE_TIMEOUT_S) {
    throw new ConfigError(
      'SESSION_IDLE_TIMEOUT_S',
      `must not exceed SESSION_ABSOLUTE_TIMEOUT_S (${e.SESSION_ABSOLUTE_TIMEOUT_S})`,
    );
  }
  let providers: ProvidersFile | undefined;
  if (e.PROVIDERS_FILE !== undefined) {
    try {
      providers = loadProvidersFile(e.PROVIDERS_FILE, env);
    } catch (error) {
      if (error instanceof ProvidersFileError) throw new ConfigError('PROVIDERS_FILE', error.message);
      throw error;
    }
  }
  return Object.freeze({
    env: e.NODE_ENV,
    port: e.PORT,
    host: e.HOST,
    nats: {
      url: e.NATS_URL,
      prefix: e.NATS_PREFIX,
      requestTimeoutMs: e.NATS_REQUEST_TIMEOUT_MS,
      streamReplicas: e.NATS_STREAM_REPLICAS,
    },
    database: { url: e.DATABASE_URL, poolSize: e.DATABASE_POOL_SIZE },
    redis: { urls: e.REDIS_URL.split(',').map((u) => u.trim()), cluster: e.REDIS_CLUSTER, prefix: e.REDIS_PREFIX },
    otpSecret: e.OTP_SECRET ?? DEV_OTP_SECRET,
    otpSecretIsDevDefault: e.OTP_SECRET === undefined,
    devOutbox: e.DEV_OUTBOX,
    defaultSender: e.DEFAULT_SENDER,
    defaultLimit: { max: e.DEFAULT_LIMIT_MAX, intervalSeconds: e.DEFAULT_LIMIT_INTERVAL },
    logLevel: e.LOG_LEVEL,
    sweepIntervalMs: e.SWEEP_INTERVAL_MS,
    sdrPricesFile: e.SDR_PRICES_FILE,
    sdrConsumer: e.SDR_CONSUMER,
    statusCallback: {
      secret: e.STATUS_CALLBACK_SECRET ?? DEV_STATUS_CALLBACK_SECRET,
      secretIsDevDefault: e.STATUS_CALLBACK_SECRET === undefined,
      maxAttempts: e.STATUS_CALLBACK_MAX_ATTEMPTS,
      retryBaseMs: e.STATUS_CALLBACK_RETRY_BASE_MS,
      timeoutMs: e.STATUS_CALLBACK_TIMEOUT_MS,
      allowPrivateNetworks: e.STATUS_CALLBACK_ALLOW_PRIVATE,
    },
    channels: {
      sms: {
        provider: e.SMS_PROVIDER,
        smppUrl: e.SMPP_URL,
        webhookUrl: e.SMS_WEBHOOK_URL,
        webhookSecret: e.SMS_WEBHOOK_SECRET,
      },
      call: { provider: e.VOICE_PROVIDER, webhookUrl: e.VOICE_WEBHOOK_URL, webhookSecret: e.VOICE_WEBHOOK_SECRET },
      email: { provider: e.EMAIL_PROVIDER, smtpUrl: e.SMTP_URL },
    },
    providers,
    publicUrl: e.PUBLIC_URL?.replace(/\/+$/, ''),
    dispatch: {
      maxAttempts: e.DISPATCH_MAX_ATTEMPTS,
      retryBaseMs: e.DISPATCH_RETRY_BASE_MS,
      providerTimeoutMs: e.PROVIDER_TIMEOUT_MS,
      ackWaitMs: e.DISPATCH_ACK_WAIT_MS,
    },
    fraud: {
      enabled: e.FRAUD_GUARD,
      redis: {
        urls: (e.FRAUD_REDIS_URL ?? e.REDIS_URL).split(',').map((u) => u.trim()),
        cluster: e.FRAUD_REDIS_URL === undefined ? e.REDIS_CLUSTER : false,
        prefix: e.REDIS_PREFIX,
      },
      redisTimeoutMs: e.FRAUD_REDIS_TIMEOUT_MS,
      defaultMode: e.FRAUD_DEFAULT_MODE,
      defaultLevel: e.FRAUD_DEFAULT_LEVEL,
      defaultBlockedCountries: e.FRAUD_DEFAULT_BLOCKED_COUNTRIES,
    },
    console: {
      dir: e.CONSOLE_DIR,
      idleTimeoutSeconds: e.SESSION_IDLE_TIMEOUT_S,
      absoluteTimeoutSeconds: e.SESSION_ABSOLUTE_TIMEOUT_S,
      cookieSecure: e.SESSION_COOKIE_SECURE,
      signInMaxFailures: e.SIGNIN_MAX_FAILURES,
      signInFailureWindowSeconds: e.SIGNIN_FAILURE_WINDOW_S,
    },
  });
}
