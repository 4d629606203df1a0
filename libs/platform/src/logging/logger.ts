import type { LoggerService } from '@nestjs/common';
import pino, { type Logger } from 'pino';
import { currentRequestId } from './request-context';

/**
 * Structured JSON logs. Every line carries the request id of the work it belongs to.
 * Secrets are redacted by path as a second line of defence; the first is never to pass
 * codes, tokens or full destinations to a logger at all.
 */
export function createRootLogger(level: string, service: string, destination?: pino.DestinationStream): Logger {
  const options: pino.LoggerOptions = {
    level,
    base: { service },
    messageKey: 'message',
    timestamp: pino.stdTimeFunctions.isoTime,
    formatters: { level: (label) => ({ level: label }) },
    mixin: () => {
      const requestId = currentRequestId();
      return requestId ? { requestId } : {};
    },
    redact: {
      paths: [
        'authToken',
        'token',
        'code',
        'text',
        'password',
        'authorization',
        '*.authToken',
        '*.code',
        '*.text',
        '*.authorization',
        'req.headers.authorization',
        'req.headers["api-key"]',
        // Vendors' credentials (providers file), should one ever reach a log object.
        '*.apiSecret',
        '*.apiKeySecret',
        '*.privateKey',
        '*.signatureSecret',
        '*.secretAccessKey',
        '*.sessionToken',
      ],
      censor: '[redacted]',
    },
  };
  return destination ? pino(options, destination) : pino(options);
}

/** Nest's logger interface over pino. */
export class PinoNestLogger implements LoggerService {
  constructor(private readonly logger: Logger) {}

  log(message: unknown, ...rest: unknown[]): void {
    this.write('info', message, rest);
  }
  error(message: unknown, ...rest: unknown[]): void {
    this.write('error', message, rest);
  }
  warn(message: unknown, ...rest: unknown[]): void {
    this.write('warn', message, rest);
  }
  debug(message: unknown, ...rest: unknown[]): void {
    this.write('debug', message, rest);
  }
  verbose(message: unknown, ...rest: unknown[]): void {
    this.write('trace', message, rest);
  }
  fatal(message: unknown, ...rest: unknown[]): void {
    this.write('fatal', message, rest);
  }

  private write(level: pino.Level, message: unknown, rest: unknown[]): void {
    // Below the level (the access log at warn): nothing to build.
    if (!this.logger.isLevelEnabled(level)) return;
    // Nest passes the context (class name) last.
    const context = typeof rest[rest.length - 1] === 'string' ? (rest.pop() as string) : undefined;
    const fields: Record<string, unknown> = context ? { context } : {};
    const first = rest[0];
    if (message instanceof Error) fields.err = message;
    else if (first instanceof Error) fields.err = first;
    else if (typeof first === 'string' && level === 'error') fields.stack = first;
    if (typeof message === 'object' && message !== null && !(message instanceof Error)) {
      this.logger[level]({ ...fields, ...(message as object) });
    } else {
      this.logger[level](fields, message instanceof Error ? message.message : String(message));
    }
  }
}
