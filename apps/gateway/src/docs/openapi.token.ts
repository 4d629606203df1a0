/** The gateway's OpenAPI document, built once at start (see `openapi.document.ts`). */
export const OPENAPI_DOCUMENT = Symbol('OPENAPI_DOCUMENT');
