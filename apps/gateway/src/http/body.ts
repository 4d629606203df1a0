import { DomainError, ErrorCode } from '@app/contracts';

/** The request body as an object (an absent body is empty); anything else is a 400. */
export function bodyObject(body: unknown): Record<string, unknown> {
  if (body === undefined || body === null) return {};
  if (typeof body !== 'object' || Array.isArray(body)) {
    throw new DomainError(ErrorCode.BadRequest, 'body must be a JSON object', { field: 'body' });
  }
  return body as Record<string, unknown>;
}
