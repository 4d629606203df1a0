/** otp-core's own DataSource (schema `otp`). */
export const OTP_DATA_SOURCE = Symbol('OTP_DATA_SOURCE');
/**
 * The NATS connection the outbox relay publishes with: the process's connection by default.
 * A provider of its own so that a test can route it through a proxy and cut it.
 */
export const OUTBOX_NATS_CONNECTION = Symbol('OUTBOX_NATS_CONNECTION');
