import type { LoggerService } from '@nestjs/common';
import { DomainError, type ErrorReply, ErrorCode } from '@app/contracts';
import { randomUUID } from 'node:crypto';

/** Retry-After, in seconds, of a 503. */
export const UNAVAILABLE_RETRY_AFTER = 1;

const OUTAGE_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ETIMEDOUT',
  'EPIPE',
  'EHOSTUNREACH',
  'ENOTFOUND',
  // PostgreSQL: admin shutdown, cannot connect now, connection failures.
  '57P01',
  '57P02',
  '57P03',
  '08000',
  '08001',
  '08003',
  '08006',
]);

/**
 * Whether an error means a dependency (Postgres, Redis, NATS) is out of reach, rather than a
 * bug. Those answer 503 with Retry-After and the caller may try again.
 */
export function isDependencyOutage(error: unknown): boolean {
  if (!error || typeof error !== 'object') return false;
  const e = error as { code?: unknown; message?: unknown; name?: unknown; driverError?: unknown; cause?: unknown };
  if (typeof e.code === 'string' && OUTAGE_CODES.has(e.code)) return true;
  const message = typeof e.message === 'string' ? e.message : '';
  if (
    /Connection terminated|connection timeout|timeout exceeded when trying to connect|Connection is closed|enableOfflineQueue|MaxRetriesPerRequest|Reached the max retries|CONNECTION_CLOSED|Client has encountered a connection error|the database system is (starting up|shutting down)/i.test(
      message,
    )
  ) {
    return true;
  }
  if (e.name === 'MaxRetriesPerRequestError') return true;
  return isDependencyOutage(e.driverError) || isDependencyOutage(e.cause);
}

export function unavailable(): ErrorReply {
  return { code: ErrorCode.Unavailable, message: 'Service unavailable', retryAfter: UNAVAILABLE_RETRY_AFTER };
}

/**
 * Any failure as the reply a client may see: a domain error as itself, an outage as 503,
 * anything else as 500 with an id to find it in the logs (never its internals).
 */
export function toErrorReply(error: unknown, logger: LoggerService): ErrorReply {
  if (error instanceof DomainError) return error.toReply();
  if (isDependencyOutage(error)) {
    logger.warn(`dependency unavailable: ${(error as Error).message}`);
    return unavailable();
  }
  const errorId = randomUUID();
  // Name, message and stack only: driver errors carry query parameters and row details
  // (destinations, hashes) as fields, and those must not reach a log line.
  const e = error instanceof Error ? error : new Error(String(error));
  logger.error({ errorId, error: { name: e.name, message: e.message, stack: e.stack }, message: 'unexpected error' });
  return { code: ErrorCode.Internal, message: 'Internal error', errorId };
}

/** An error reply from another service, thrown on as a domain error. */
export function domainErrorFromReply(reply: ErrorReply): DomainError {
  if (reply.code === ErrorCode.Internal)
    return new DomainError(ErrorCode.Unavailable, undefined, { retryAfter: UNAVAILABLE_RETRY_AFTER });
  const error = new DomainError(reply.code, undefined, {
    field: reply.field,
    retryAfter: reply.retryAfter,
    requestID: reply.requestID,
    reason: reply.reason,
  });
  // Keep the other service's exact message (it may carry a detail such as a limit name).
  Object.defineProperty(error, 'message', { value: reply.message });
  return error;
}
