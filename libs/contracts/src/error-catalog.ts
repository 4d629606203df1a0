import { z } from 'zod';

/**
 * The error catalog (SPEC section 4). Codes are a public API: a code is never reused for
 * another meaning and never renumbered; new rows are only ever added. Pinned by
 * `error-catalog.spec.ts`.
 */
export const ErrorCode = {
  BadRequest: 400,
  Unauthorized: 401,
  Forbidden: 403,
  NotFound: 404,
  TooManyRequestsToDestination: 453,
  LimitExceeded: 454,
  FraudBlocked: 456,
  OutcomeUnknown: 457,
  UnknownOtpOnVerify: 470,
  AlreadyVerified: 471,
  Expired: 472,
  Canceled: 473,
  InvalidCode: 474,
  TooManyWrongAttempts: 475,
  DeliveryFailed: 476,
  UnknownSessionRecord: 481,
  UnknownFraudEntry: 482,
  SignInThrottled: 486,
  CsrfTokenInvalid: 487,
  UnknownOtpOnCancel: 490,
  LimitNameExists: 492,
  UnknownLimit: 493,
  UnknownLimitName: 495,
  IdempotencyKeyReused: 497,
  Internal: 500,
  Unavailable: 503,
} as const;

export type ErrorCode = (typeof ErrorCode)[keyof typeof ErrorCode];

export interface CatalogEntry {
  /** HTTP status the gateway answers with. */
  readonly http: number;
  /** Message; entries ending in ': ' take a detail (a field, a limit name). */
  readonly message: string;
}

export const ERROR_CATALOG: Readonly<Record<ErrorCode, CatalogEntry>> = {
  400: { http: 400, message: 'Invalid request: ' },
  401: { http: 401, message: 'Unauthorized' },
  403: { http: 403, message: 'Forbidden' },
  404: { http: 404, message: 'Not Found' },
  453: { http: 404, message: 'Too many OTP request to same destination Number' },
  454: { http: 429, message: 'Limit exceeded: ' },
  456: { http: 403, message: 'Blocked by fraud guard: ' },
  457: { http: 503, message: 'Outcome unknown: retry with the same Idempotency-Key' },
  470: { http: 404, message: 'Invalid OTP Unique Id' },
  471: { http: 409, message: 'OTP is already verified' },
  472: { http: 410, message: 'OTP is expired' },
  473: { http: 410, message: 'OTP is canceled' },
  474: { http: 401, message: 'Invalid OTP Code' },
  475: { http: 429, message: 'Too many wrong attempts' },
  476: { http: 410, message: 'OTP delivery failed' },
  481: { http: 404, message: 'Unknown session record' },
  482: { http: 404, message: 'Unknown fraud guard entry' },
  486: { http: 429, message: 'Too many failed sign-ins' },
  487: { http: 403, message: 'CSRF token missing or invalid' },
  490: { http: 404, message: 'Invalid OTP Unique Id' },
  492: { http: 409, message: 'Limit with that Name already exists' },
  493: { http: 409, message: 'Invalid Limit Id' },
  495: { http: 409, message: 'Invalid Limit Name: ' },
  497: { http: 409, message: 'Idempotency-Key reused with a different request' },
  500: { http: 500, message: 'Internal error' },
  503: { http: 503, message: 'Service unavailable' },
};

/** Every catalog code, in the catalog's order. */
export const ERROR_CODES = Object.values(ErrorCode) as [ErrorCode, ...ErrorCode[]];

/** The body every failed operation answers with, over HTTP and over NATS alike. */
export const ErrorReply = z.object({
  code: z.literal(ERROR_CODES),
  message: z.string(),
  requestID: z.string().nullable().optional(),
  /** Validation errors name the offending field (dotted path). */
  field: z.string().optional().meta({ description: 'Validation errors name the offending field (dotted path).' }),
  /** Seconds after which a retry may succeed (454, 503). */
  retryAfter: z.number().int().optional(),
  /** Opaque id of a 500, to find it in the logs. */
  errorId: z.string().optional().meta({ description: 'Opaque id of a 500, to find it in the logs.' }),
  /** A wrong code (474): how many more wrong codes the request takes before it locks. */
  attemptsRemaining: z
    .number()
    .int()
    .optional()
    .meta({ description: 'A wrong code (474): how many more wrong codes the request takes before it locks.' }),
  reason: z.string().optional().meta({ description: 'A fraud guard refusal (456): which rule refused (SPEC 12).' }),
  idempotencyKey: z.string().optional().meta({
    description:
      "An unknown outcome (457) of a send: the key it went under (the caller's Idempotency-Key, or one the gateway made), to retry with safely.",
  }),
});
export type ErrorReply = z.infer<typeof ErrorReply>;

/**
 * A failure with a catalog code. Services throw it; it crosses NATS as an {@link ErrorReply}
 * and leaves the gateway as the same code.
 */
export class DomainError extends Error {
  constructor(
    readonly code: Exclude<ErrorCode, 200 | 500>,
    readonly detail?: string,
    readonly extra: Pick<ErrorReply, 'field' | 'retryAfter' | 'requestID' | 'attemptsRemaining' | 'reason'> = {},
  ) {
    super(catalogMessage(code, detail));
    this.name = 'DomainError';
  }

  toReply(): ErrorReply {
    return { code: this.code, message: this.message, ...this.extra };
  }
}

export function catalogMessage(code: ErrorCode, detail?: string): string {
  const { message } = ERROR_CATALOG[code];
  return message.endsWith(': ') ? `${message}${detail ?? ''}`.trimEnd() : message;
}

export function httpStatusOf(code: number): number {
  return code === 200 ? 200 : (ERROR_CATALOG[code as ErrorCode]?.http ?? 500);
}

export function isErrorReply(reply: { code: number }): reply is ErrorReply {
  return reply.code !== 200;
}
