import { COMMAND_ERROR_SCHEMA, COMMAND_REPLY_SCHEMAS, COMMAND_SCHEMAS, type CommandSubject } from '@app/contracts';
import { createDocument, type ZodOpenApiPathsObject } from 'zod-openapi';
import { zodJsonSchemaOverride } from './openapi.document';

const ErrorReplySchema = COMMAND_ERROR_SCHEMA.meta({ id: 'ErrorReply' });

/**
 * The NATS commands as JSON Schema, from the command map of libs/contracts: one operation per
 * request-reply subject (operationId = the subject), its payload in the input form (what a
 * caller sends) and its reply in the output form, with the catalog error reply. It is an
 * OpenAPI document only so that the same generator (openapi-typescript) gives the typed
 * client its NATS types as it gives it the HTTP ones (packages/client/scripts/generate.js);
 * nothing is served at these paths.
 */
export function buildCommandsDocument(): Record<string, unknown> {
  const paths: ZodOpenApiPathsObject = {};
  for (const subject of Object.keys(COMMAND_SCHEMAS) as CommandSubject[]) {
    paths[`/${subject}`] = {
      post: {
        operationId: subject,
        requestBody: { required: true, content: { 'application/json': { schema: COMMAND_SCHEMAS[subject] } } },
        responses: {
          200: {
            description: 'The reply',
            content: { 'application/json': { schema: COMMAND_REPLY_SCHEMAS[subject] } },
          },
          default: {
            description: 'A catalog error',
            content: { 'application/json': { schema: ErrorReplySchema } },
          },
        },
      },
    };
  }
  return createDocument(
    {
      openapi: '3.1.0',
      info: {
        title: 'Smart 2FA NATS commands',
        version: '1.0.0',
        description: 'The request-reply subjects of docs/asyncapi.yaml as JSON Schema (not HTTP routes).',
      },
      paths,
    },
    { override: zodJsonSchemaOverride },
  ) as unknown as Record<string, unknown>;
}
