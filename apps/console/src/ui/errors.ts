import { ApiError } from '../api/client';

/** How a failed submission reads in a form: the server's message, with the field it names. */
export function describeError(error: unknown): string {
  if (!(error instanceof ApiError)) return String(error);
  if (error.unavailable) return 'Service unavailable; nothing was changed. Try again in a moment.';
  return error.field ? `${error.message} (${error.field})` : error.message;
}
