import { SetMetadata } from '@nestjs/common';
import type { ErrorCode } from '@app/contracts';
import type { z } from 'zod';

export const API_OPERATION = 'api-operation';

/**
 * What the OpenAPI document says about one route, declared on its handler with
 * {@link ApiOperation}. The method and path come from Nest's own decorators and the security
 * from the guard's (`@Public()`, `@UseAuthScheme()`), so they cannot disagree with what runs.
 * The schemas are the zod schemas that validate the request (or are derived from them); the
 * document is generated from them at start.
 */
export interface ApiOperationDoc {
  /** Stable and unique: the typed client and the recorded examples key on it. */
  operationId: string;
  /** The group in the reference (`OTP`, `Limits`, `Records`, …). */
  tag: string;
  summary: string;
  description?: string;
  /** The JSON body, as its zod schema (read in its input form: what a caller sends). */
  body?: z.ZodType;
  query?: z.ZodObject;
  path?: z.ZodObject;
  /** Request headers the route reads (`Idempotency-Key`, a signature). */
  headers?: z.ZodObject;
  /** The 200 body, as its zod schema (read in its output form: what the route answers). */
  response: z.ZodType;
  /** The 200's media type when it is not JSON (metrics, the reference page). */
  responseMediaType?: string;
  /**
   * Catalog codes this route answers besides those every route of its kind answers: 500
   * always, 401 when the route is guarded, 400 when it reads a body, query or path.
   */
  errors: readonly ErrorCode[];
  /** The error body when it is not the catalog's (seed 003's routes answer in their own shape). */
  errorBody?: (codes: readonly [ErrorCode, ...ErrorCode[]]) => z.ZodType;
  /** Whether a 200 carries `RateLimit-Limit`, `RateLimit-Remaining` and `RateLimit-Reset`. */
  rateLimitHeaders?: boolean;
}

/** Documents the route it decorates: see {@link ApiOperationDoc}. Every gateway route carries one. */
export const ApiOperation = (doc: ApiOperationDoc) => SetMetadata(API_OPERATION, doc);
