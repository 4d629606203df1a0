import { RequestMethod } from '@nestjs/common';
import { METHOD_METADATA, PATH_METADATA } from '@nestjs/common/constants';
import { ERROR_CATALOG, ErrorCode, limitRefs } from '@app/contracts';
import { IS_PUBLIC, API_OPERATION, type ApiOperationDoc } from '@app/platform';
import {
  type CreateDocumentOptions,
  createDocument,
  type ZodOpenApiOperationObject,
  type ZodOpenApiPathsObject,
} from 'zod-openapi';
import { AUTH_SCHEME, type AuthScheme, CSRF_HEADER } from '../auth/auth.guard';
import { SESSION_COOKIE_NAME } from '../sessions/session-cookie';
import { errorBodyOf } from '../http/reply.schemas';
import { examplesOf } from './examples';

// eslint-disable-next-line @typescript-eslint/no-explicit-any
type ControllerClass = abstract new (...args: any[]) => unknown;

/** One route of the gateway as Nest will serve it, with what documents it. */
export interface GatewayRoute {
  method: Lowercase<keyof typeof RequestMethod>;
  /** OpenAPI form: `/2fa/limits/{sid}`. */
  path: string;
  security: 'none' | AuthScheme;
  doc?: ApiOperationDoc;
  handler: string;
}

/** Codes that answer with `Retry-After` (the default limit, a named limit, a fraud block, sign-in throttling, an outage). */
const RETRY_AFTER_CODES: readonly number[] = [
  ErrorCode.TooManyRequestsToDestination,
  ErrorCode.LimitExceeded,
  ErrorCode.FraudBlocked,
  ErrorCode.SignInThrottled,
  ErrorCode.Unavailable,
];
/** Methods that change nothing: with the console's cookie, every other one needs the CSRF token. */
const SAFE_METHODS: readonly string[] = ['get', 'head', 'options'];

const HEADERS = {
  'Retry-After': {
    description: 'Seconds after which the same request may succeed (a full bucket, an outage).',
    schema: { type: 'integer', minimum: 0 },
  },
  'RateLimit-Limit': {
    description: "The `max` of the tightest bucket that counted this request (IETF RateLimit headers' names).",
    schema: { type: 'integer', minimum: 1 },
  },
  'RateLimit-Remaining': {
    description: 'Requests left in that bucket.',
    schema: { type: 'integer', minimum: 0 },
  },
  'RateLimit-Reset': {
    description: "Seconds until that bucket's window closes.",
    schema: { type: 'integer', minimum: 0 },
  },
  'X-Request-Id': {
    description: 'The request id (yours from `X-Request-Id`, or made at the edge): it names every log line and event.',
    schema: { type: 'string' },
  },
} as const;
const headerRef = (name: keyof typeof HEADERS) => ({ $ref: `#/components/headers/${name}` });

const TAGS = [
  { name: 'OTP', description: 'Send a one-time code, verify it, cancel it (SPEC 3.1–3.3).' },
  { name: 'Limits', description: 'Named rate limits made of ordered buckets (SPEC 3.4, section 6).' },
  { name: 'Records', description: 'Session detail records and usage (SPEC 3.5). Never the code.' },
  {
    name: 'Fraud guard',
    description: 'SMS-pumping defence (SPEC 12): settings, geo permissions, safe list, active blocks and unblock.',
  },
  { name: 'Accounts', description: 'Sub-accounts of the calling account.' },
  {
    name: 'Console session',
    description: 'The console signs in once and then uses a session cookie (SPEC 11) instead of HTTP Basic.',
  },
  {
    name: 'Second vendor',
    description: "The seed 003 vendor's shape: `api-login` / `api-key` headers, `code: 0` on success.",
  },
  { name: 'Providers', description: 'Delivery reports from HTTP providers, signed with their secret.' },
  { name: 'Development', description: 'Only with `DEV_OUTBOX=true`: read what the `log` providers sent.' },
  { name: 'Operations', description: 'Probes, metrics and this reference.' },
];

/** Every route the controllers declare, read from Nest's own metadata. */
export function gatewayRoutes(controllers: readonly ControllerClass[]): GatewayRoute[] {
  const routes: GatewayRoute[] = [];
  for (const controller of controllers) {
    const base = String(Reflect.getMetadata(PATH_METADATA, controller) ?? '');
    const proto = controller.prototype as Record<string, unknown>;
    for (const name of Object.getOwnPropertyNames(proto)) {
      const handler = proto[name];
      if (typeof handler !== 'function' || name === 'constructor') continue;
      const path: unknown = Reflect.getMetadata(PATH_METADATA, handler);
      if (path === undefined) continue;
      const method = RequestMethod[Reflect.getMetadata(METHOD_METADATA, handler) as RequestMethod];
      const joined = `/${[base, String(path)].join('/')}`.replace(/\/+/g, '/').replace(/(.)\/$/, '$1');
      const open = Reflect.getMetadata(IS_PUBLIC, handler) ?? Reflect.getMetadata(IS_PUBLIC, controller);
      const scheme: AuthScheme =
        Reflect.getMetadata(AUTH_SCHEME, handler) ?? Reflect.getMetadata(AUTH_SCHEME, controller) ?? 'basic';
      routes.push({
        method: method.toLowerCase() as GatewayRoute['method'],
        path: joined.replace(/:([A-Za-z0-9_]+)/g, '{$1}'),
        security: open ? 'none' : scheme,
        doc: Reflect.getMetadata(API_OPERATION, handler),
        handler: `${controller.name}.${name}`,
      });
    }
  }
  return routes;
}

/** HTTP Basic, or the console's session cookie (with its CSRF token on a request that changes something). */
function securityOf(route: GatewayRoute): Record<string, string[]>[] {
  if (route.security === 'none') return [];
  if (route.security === 'api-key') return [{ apiLogin: [], apiKey: [] }];
  const cookie: Record<string, string[]> = SAFE_METHODS.includes(route.method)
    ? { sessionCookie: [] }
    : { sessionCookie: [], csrfToken: [] };
  return [{ basicAuth: [] }, cookie];
}

/** The catalog codes a route answers, grouped by HTTP status. */
function errorCodesByStatus(route: GatewayRoute, doc: ApiOperationDoc): Map<number, ErrorCode[]> {
  const codes = new Set<ErrorCode>([...doc.errors, ErrorCode.Internal]);
  if (route.security !== 'none') codes.add(ErrorCode.Unauthorized);
  if (route.security === 'basic' && !SAFE_METHODS.includes(route.method)) codes.add(ErrorCode.CsrfTokenInvalid);
  if (doc.body || doc.query || doc.path) codes.add(ErrorCode.BadRequest);
  const byStatus = new Map<number, ErrorCode[]>();
  for (const code of [...codes].sort((a, b) => a - b)) {
    const status = ERROR_CATALOG[code].http;
    byStatus.set(status, [...(byStatus.get(status) ?? []), code]);
  }
  return byStatus;
}

function operationOf(route: GatewayRoute, doc: ApiOperationDoc): ZodOpenApiOperationObject {
  const examples = examplesOf(doc.operationId);
  const responses: ZodOpenApiOperationObject['responses'] = {
    200: {
      description: 'OK',
      headers: {
        'X-Request-Id': headerRef('X-Request-Id'),
        ...(doc.rateLimitHeaders
          ? {
              'RateLimit-Limit': headerRef('RateLimit-Limit'),
              'RateLimit-Remaining': headerRef('RateLimit-Remaining'),
              'RateLimit-Reset': headerRef('RateLimit-Reset'),
            }
          : {}),
      },
      content: {
        [doc.responseMediaType ?? 'application/json']: {
          schema: doc.response,
          ...(examples?.response === undefined ? {} : { example: examples.response }),
        },
      },
    },
  };
  for (const [status, codes] of errorCodesByStatus(route, doc)) {
    const list = codes as [ErrorCode, ...ErrorCode[]];
    responses[`${status}` as `${1 | 2 | 3 | 4 | 5}${string}`] = {
      description: list.map((c) => `\`${c}\` ${ERROR_CATALOG[c].message.replace(/: $/, ': …')}`).join(' · '),
      headers: {
        'X-Request-Id': headerRef('X-Request-Id'),
        ...(list.some((c) => RETRY_AFTER_CODES.includes(c)) ? { 'Retry-After': headerRef('Retry-After') } : {}),
      },
      content: {
        'application/json': {
          schema: (doc.errorBody ?? errorBodyOf)(list),
          ...(examples?.errors?.[status] === undefined ? {} : { example: examples.errors[status] }),
        },
      },
    };
  }
  return {
    operationId: doc.operationId,
    tags: [doc.tag],
    summary: doc.summary,
    ...(doc.description ? { description: doc.description } : {}),
    security: securityOf(route),
    ...(doc.query || doc.path || doc.headers
      ? {
          requestParams: {
            ...(doc.query ? { query: doc.query } : {}),
            ...(doc.path ? { path: doc.path } : {}),
            ...(doc.headers ? { header: doc.headers } : {}),
          },
        }
      : {}),
    ...(doc.body
      ? {
          requestBody: {
            required: true,
            content: {
              'application/json': {
                schema: doc.body,
                ...(examples?.request === undefined ? {} : { example: examples.request }),
              },
            },
          },
        }
      : {}),
    responses,
  };
}

/**
 * What zod's JSON Schema says narrower than what the gateway takes. A default in front of a
 * preprocess (`page`, `pageSize`) is dropped from the input form: it is put back. `limits` is
 * read by a preprocess that also takes the seed's object form, which the schema cannot show.
 */
export const zodJsonSchemaOverride: NonNullable<CreateDocumentOptions['override']> = ({
  jsonSchema,
  zodSchema,
  io,
}) => {
  if (io !== 'input') return;
  const def = zodSchema._zod.def as { type: string; defaultValue?: unknown };
  if (def.type === 'default' && jsonSchema.default === undefined) {
    jsonSchema.default = JSON.parse(JSON.stringify(def.defaultValue)) as unknown;
  }
  if (zodSchema === limitRefs) {
    const arrayForm = { ...jsonSchema };
    for (const key of Object.keys(jsonSchema)) delete (jsonSchema as Record<string, unknown>)[key];
    jsonSchema.anyOf = [
      {
        type: 'object',
        description: 'Limit name → key, in order (the seed form; also accepted as that object in a JSON string).',
        minProperties: 1,
        maxProperties: 10,
        additionalProperties: { type: 'string', minLength: 1, maxLength: 256 },
        examples: [{ 'per-user': 'user-42' }],
      },
      arrayForm,
    ];
  }
};

/**
 * The OpenAPI 3.1 document of the gateway, built from its controllers: paths and methods from
 * Nest's decorators, security from the guard's, everything else from each handler's
 * {@link ApiOperationDoc}. A route without one stops the build, so an undocumented route
 * cannot ship (the gateway does not start, every test says why).
 */
export function buildOpenApiDocument(controllers: readonly ControllerClass[]): Record<string, unknown> {
  const paths: ZodOpenApiPathsObject = {};
  const operationIds = new Set<string>();
  for (const route of gatewayRoutes(controllers)) {
    const doc = route.doc;
    if (!doc) {
      throw new Error(
        `${route.method.toUpperCase()} ${route.path} (${route.handler}) has no @ApiOperation: document it beside the route (README "API reference")`,
      );
    }
    if (operationIds.has(doc.operationId)) throw new Error(`operationId ${doc.operationId} is used twice`);
    operationIds.add(doc.operationId);
    paths[route.path] = { ...paths[route.path], [route.method]: operationOf(route, doc) };
  }
  return createDocument(
    {
      openapi: '3.1.0',
      info: {
        title: 'Smart 2FA',
        version: '1.0.0',
        description: [
          'Send one-time codes by SMS, voice call or email, verify them, and keep an eye on every session.',
          '',
          'Every response has `code` and `message`: `200` on success, otherwise a code of the error catalog',
          '(each operation lists the ones it can answer). Authenticate with HTTP Basic, your account SID as the',
          'user name and your auth token as the password (the seed 003 routes use `api-login` / `api-key` headers).',
          'Numbers and booleans may also be sent as strings, and structured fields (`limits`, `buckets`,',
          '`fallback`) as JSON in a string, as the seeds do; the schemas show the canonical form.',
        ].join('\n'),
        license: { name: 'Apache-2.0', identifier: 'Apache-2.0' },
      },
      tags: TAGS,
      paths,
      components: {
        securitySchemes: {
          basicAuth: {
            type: 'http',
            scheme: 'basic',
            description: 'User name: the account SID (`AC…`); password: its auth token.',
          },
          apiLogin: { type: 'apiKey', in: 'header', name: 'api-login', description: 'The account SID (seed 003).' },
          apiKey: { type: 'apiKey', in: 'header', name: 'api-key', description: 'The auth token (seed 003).' },
          sessionCookie: {
            type: 'apiKey',
            in: 'cookie',
            name: SESSION_COOKIE_NAME,
            description: "The console's session, set by `POST /2fa/session` (`__Host-smart2fa_session` over HTTPS).",
          },
          csrfToken: {
            type: 'apiKey',
            in: 'header',
            name: CSRF_HEADER,
            description: "The session's `csrfToken`: required with the cookie on every request that changes something.",
          },
        },
        headers: HEADERS,
      },
    },
    { override: zodJsonSchemaOverride },
  ) as unknown as Record<string, unknown>;
}
