import 'reflect-metadata';
import Ajv2020 from 'ajv/dist/2020';
import addFormats from 'ajv-formats';
import { DOCUMENTED_CONTROLLERS } from '../gateway.controllers';
import { recordedOperations } from './examples';
import { buildOpenApiDocument } from './openapi.document';

interface Media {
  schema?: unknown;
  example?: unknown;
}
interface Operation {
  operationId: string;
  requestBody?: { content: Record<string, Media> };
  responses: Record<string, { content?: Record<string, Media> }>;
}
type Doc = { paths: Record<string, Record<string, Operation>> };

const document = buildOpenApiDocument(DOCUMENTED_CONTROLLERS) as unknown as Doc;
const operations = Object.entries(document.paths).flatMap(([path, item]) =>
  Object.entries(item).map(([method, operation]) => ({ path, method, operation })),
);

/** Not worth an example: the document itself, and the reference page's files. */
const WITHOUT_EXAMPLE = new Set(['openApiDocument', 'apiReference', 'apiReferenceAsset', 'metrics']);
/** A success needs a configured provider whose vendor signs the report: only their errors are recorded. */
const ERRORS_ONLY = new Set(['providerCallback', 'providerCallbackGet']);

/**
 * The examples the document shows were recorded from a real run (`npm run docs:examples`,
 * apps/gateway/src/docs/examples.json): each must still validate against the schema it
 * illustrates, so a route that changes what it takes or answers needs them recorded again.
 */
describe('the recorded examples of the OpenAPI document', () => {
  const ajv = new Ajv2020({ strict: false, allErrors: true });
  addFormats(ajv);
  ajv.addSchema(document as object, 'openapi');
  const escape = (s: string) => s.replace(/~/g, '~0').replace(/\//g, '~1');
  const problems = (pointer: string, value: unknown): string[] => {
    const validate = ajv.compile({ $ref: `openapi#${pointer}` });
    return validate(value) ? [] : [`${pointer}: ${ajv.errorsText(validate.errors)}`];
  };

  it('are recorded for every operation that answers JSON, and only for operations of the document', () => {
    const ids = operations.map((o) => o.operation.operationId);
    expect(recordedOperations().filter((id) => !ids.includes(id))).toEqual([]);
    const missing = operations.filter(({ operation }) => {
      if (WITHOUT_EXAMPLE.has(operation.operationId)) return false;
      const media = operation.responses[200]?.content?.['application/json'];
      if (ERRORS_ONLY.has(operation.operationId))
        return !Object.values(operation.responses).some((r) => r.content?.['application/json']?.example);
      const body = operation.requestBody?.content['application/json'];
      return media?.example === undefined || (body !== undefined && body.example === undefined);
    });
    expect(missing.map((o) => o.operation.operationId)).toEqual([]);
  });

  it('validate against the schemas they illustrate: request body, success and each error', () => {
    const found: string[] = [];
    let checked = 0;
    for (const { path, method, operation } of operations) {
      const at = `/paths/${escape(path)}/${method}`;
      const body = operation.requestBody?.content['application/json'];
      if (body?.example !== undefined) {
        checked++;
        found.push(...problems(`${at}/requestBody/content/application~1json/schema`, body.example));
      }
      for (const [status, response] of Object.entries(operation.responses)) {
        const media = response.content?.['application/json'];
        if (media?.example === undefined) continue;
        checked++;
        found.push(...problems(`${at}/responses/${status}/content/application~1json/schema`, media.example));
      }
    }
    expect(found).toEqual([]);
    expect(checked).toBeGreaterThan(40);
  });
});
