import type { INestApplication } from '@nestjs/common';
import { Logger } from '@nestjs/common';
import { type AppConfig, REQUEST_ID_HEADER, runWithRequestId, currentRequestId } from '@app/platform';
import express, { type NextFunction, type Request, type Response } from 'express';
import helmet from 'helmet';
import { Histogram } from 'prom-client';
import { nestedDeeperThan, nulCharacterAt, ErrorCode } from '@app/contracts';
import { serveConsole } from './console/console-static';
import { HttpErrorFilter } from './http/http-error.filter';
import { sendReply } from './http/reply';

/** The raw bytes of a JSON body, kept for signature checks (provider callbacks). */
export interface RawBodyRequest {
  rawBody?: Buffer;
}

const CALLBACKS_PATH = '/2fa/callbacks';

/** Largest JSON body accepted: an email body is at most 10,000 characters. */
const BODY_LIMIT = '64kb';
/** Far more than any contract needs (fallback steps are the deepest, at three levels). */
const MAX_BODY_DEPTH = 32;

const httpDuration = new Histogram({
  name: 'http_request_duration_seconds',
  help: 'HTTP request duration',
  labelNames: ['method', 'route', 'status'],
  buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5],
});

/**
 * The gateway's HTTP stack: security headers, a request id for every request (carried on
 * through NATS headers), a bounded JSON body parser whose failures are catalog 400s, an access
 * log without secrets, metrics, the console's static files, and the catalog error filter.
 */
export function configureGatewayHttp(app: INestApplication, config: AppConfig): void {
  const logger = new Logger('Http');
  app.use(helmet());
  app.use((req: Request, res: Response, next: NextFunction) => {
    const incoming = req.headers[REQUEST_ID_HEADER];
    runWithRequestId(typeof incoming === 'string' ? incoming : undefined, () => {
      res.setHeader(REQUEST_ID_HEADER, currentRequestId() as string);
      const started = process.hrtime.bigint();
      res.on('finish', () => {
        const seconds = Number(process.hrtime.bigint() - started) / 1e9;
        const route = (req.route?.path as string | undefined) ?? 'unmatched';
        httpDuration.observe({ method: req.method, route, status: String(res.statusCode) }, seconds);
        // The path only: query strings may carry destinations.
        logger.log({
          message: 'request',
          method: req.method,
          path: req.path,
          status: res.statusCode,
          ms: Math.round(seconds * 1000),
        });
      });
      next();
    });
  });
  // Vendors' delivery reports are handed to their providers as the raw bytes that were signed,
  // whatever their type (Twilio and Plivo post forms, the others JSON).
  app.use(CALLBACKS_PATH, express.raw({ type: () => true, limit: BODY_LIMIT }));
  app.use(
    express.json({
      limit: BODY_LIMIT,
      strict: true,
      type: ['application/json', 'application/*+json'],
      // Signed callbacks are checked against the bytes that were signed, not a re-serialisation.
      verify: (req, _res, buf) => {
        (req as RawBodyRequest).rawBody = buf;
      },
    }),
  );
  // Failures of the body parser happen before any route, so they are answered here.
  app.use((error: { type?: string; status?: number }, _req: Request, res: Response, next: NextFunction) => {
    if (error.type === 'entity.too.large')
      return sendReply(res, {
        code: ErrorCode.BadRequest,
        message: `Invalid request: body exceeds ${BODY_LIMIT}`,
        field: 'body',
      });
    if (error.type === 'entity.parse.failed')
      return sendReply(res, {
        code: ErrorCode.BadRequest,
        message: 'Invalid request: body is not valid JSON',
        field: 'body',
      });
    if (error.status && error.status < 500)
      return sendReply(res, {
        code: ErrorCode.BadRequest,
        message: 'Invalid request: body could not be read',
        field: 'body',
      });
    next(error);
  });
  // No field takes a NUL character, and PostgreSQL text refuses it: a 400 naming where it is,
  // before any handler (the gateway's own, or a service behind NATS) could pass it to a query.
  app.use((req: Request, res: Response, next: NextFunction) => {
    if (Buffer.isBuffer(req.body)) {
      // A raw delivery report: its provider reads it; a NUL byte is refused here all the same.
      if (!req.body.includes(0) && nulCharacterAt(req.query) === undefined) return next();
      return sendReply(res, {
        code: ErrorCode.BadRequest,
        message: 'Invalid request: body must not contain the NUL character',
        field: 'body',
      });
    }
    if (nestedDeeperThan(req.body, MAX_BODY_DEPTH)) {
      return sendReply(res, {
        code: ErrorCode.BadRequest,
        message: `Invalid request: body nests deeper than ${MAX_BODY_DEPTH} levels`,
        field: 'body',
      });
    }
    const inQuery = nulCharacterAt(req.query);
    const inBody = inQuery === undefined ? nulCharacterAt(req.body) : undefined;
    const field = inQuery ?? (inBody === '' ? 'body' : inBody);
    if (field === undefined) return next();
    sendReply(res, {
      code: ErrorCode.BadRequest,
      message: `Invalid request: ${field} must not contain the NUL character`,
      field,
    });
  });
  serveConsole(app, config);
  app.useGlobalFilters(new HttpErrorFilter());
}
