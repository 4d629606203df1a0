import Ajv2020, { type ValidateFunction } from 'ajv/dist/2020';
import addFormats from 'ajv-formats';
import { buildOpenApiDocument } from '../../apps/gateway/src/docs/openapi.document';
import { DOCUMENTED_CONTROLLERS } from '../../apps/gateway/src/gateway.controllers';

/**
 * The contract test: every response an end-to-end test receives through {@link http} is checked
 * against the gateway's OpenAPI document, for its route, method and status. A route missing
 * from the document, a status it does not list, a body that does not match its schema, or a
 * `Retry-After` / `RateLimit-*` header it does not declare fails the test that received it.
 */

interface MediaType {
  schema?: unknown;
}
interface ResponseObject {
  headers?: Record<string, unknown>;
  content?: Record<string, MediaType>;
}
interface Operation {
  operationId: string;
  responses: Record<string, ResponseObject>;
}
interface OpenApi {
  paths: Record<string, Record<string, Operation>>;
}

const CHECKED_HEADERS = ['retry-after', 'ratelimit-limit', 'ratelimit-remaining', 'ratelimit-reset'];

let contract: Contract | undefined;

class Contract {
  private readonly ajv = new Ajv2020({ strict: false, allErrors: true });
  private readonly validators = new Map<string, ValidateFunction>();
  /** Literal paths first, so `/2fa/limits/search` is not taken for `/2fa/limits/{sid}`. */
  private readonly templates: { template: string; pattern: RegExp }[];

  constructor(readonly document: OpenApi) {
    addFormats(this.ajv);
    this.ajv.addSchema(document as object, 'openapi');
    this.templates = Object.keys(document.paths)
      .map((template) => ({
        template,
        params: (template.match(/\{/g) ?? []).length,
        pattern: new RegExp(`^${template.replace(/[.*+?^$()|[\]\\]/g, '\\$&').replace(/\{[^}]+\}/g, '[^/]+')}$`),
      }))
      .sort((a, b) => a.params - b.params);
  }

  /** The document's path template for a request path, and the operation for the method. */
  find(method: string, path: string): { template?: string; operation?: Operation } {
    const match = this.templates.find(
      (t) => t.pattern.test(path) && this.document.paths[t.template][method.toLowerCase()] !== undefined,
    );
    if (match)
      return { template: match.template, operation: this.document.paths[match.template][method.toLowerCase()] };
    return { template: this.templates.find((t) => t.pattern.test(path))?.template };
  }

  validator(pointer: string): ValidateFunction {
    let validate = this.validators.get(pointer);
    if (!validate) {
      validate = this.ajv.compile({ $ref: `openapi#${pointer}` });
      this.validators.set(pointer, validate);
    }
    return validate;
  }
}

const escape = (segment: string) => segment.replace(/~/g, '~0').replace(/\//g, '~1');

function theContract(): Contract {
  contract ??= new Contract(buildOpenApiDocument(DOCUMENTED_CONTROLLERS) as unknown as OpenApi);
  return contract;
}

export class ContractViolation extends Error {
  override name = 'ContractViolation';
}

/** Throws a {@link ContractViolation} when a response is not what the OpenAPI document says. */
export function checkContract(
  method: string,
  url: string,
  res: { status: number; headers: Headers; body: unknown },
): void {
  const c = theContract();
  const path = new URL(url).pathname;
  const where = `${method} ${path} answered ${res.status}`;
  const fail = (why: string) => {
    throw new ContractViolation(`${where}: ${why}\nbody: ${JSON.stringify(res.body)?.slice(0, 2000)}`);
  };
  const { template, operation } = c.find(method, path);
  if (!operation) {
    // No such route: Nest's 404, in the catalog's shape. Anything else is a route the document lacks.
    if (res.status !== 404) fail(`${template ? 'the method' : 'the route'} is not in the OpenAPI document`);
    const validate = c.validator('/components/schemas/Error');
    if (!validate(res.body)) fail(`an unknown route's 404 is not a catalog error: ${describeErrors(validate)}`);
    return;
  }
  const response = operation.responses[String(res.status)];
  if (!response) {
    fail(`${operation.operationId} does not list ${res.status} (lists ${Object.keys(operation.responses).join(', ')})`);
    return;
  }
  for (const header of CHECKED_HEADERS) {
    const declared = Object.keys(response.headers ?? {}).some((h) => h.toLowerCase() === header);
    if (res.headers.get(header) !== null && !declared) fail(`header ${header} is not declared for this response`);
  }
  const mediaTypes = Object.keys(response.content ?? {});
  const contentType = res.headers.get('content-type') ?? '';
  const mediaType = mediaTypes.find((m) => contentType.startsWith(m));
  if (mediaTypes.length && !mediaType && !mediaTypes.includes('application/octet-stream')) {
    fail(`content-type ${contentType} is not one of ${mediaTypes.join(', ')}`);
  }
  if (mediaType !== 'application/json') return;
  const pointer = `/paths/${escape(template!)}/${method.toLowerCase()}/responses/${res.status}/content/${escape(mediaType)}/schema`;
  const validate = c.validator(pointer);
  if (!validate(res.body))
    fail(`the body does not match ${operation.operationId}'s ${res.status}: ${describeErrors(validate)}`);
}

function describeErrors(validate: ValidateFunction): string {
  return (validate.errors ?? [])
    .map((e) => `${e.instancePath || '(body)'} ${e.message}${e.params ? ` ${JSON.stringify(e.params)}` : ''}`)
    .join('; ');
}
