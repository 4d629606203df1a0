/**
 * The console's one way to the API: the same `/2fa/*` routes as any client, authenticated by
 * the session cookie (sent by the browser, unreadable to script), with the session's CSRF token
 * on every mutating request. The server decides everything; this only carries requests and
 * turns failures into {@link ApiError}s.
 *
 * Not `@smart2fa/client`: that client signs every request with HTTP Basic credentials, which the
 * console never holds after sign-in; here the browser sends the HttpOnly cookie and this adds
 * the CSRF token. A session mode in the client would let the console use it instead.
 */

/** A failed call: the catalog code and message, the HTTP status, and the field a 400 names. */
export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: number,
    message: string,
    readonly field?: string,
    readonly retryAfter?: number,
  ) {
    super(message);
    this.name = 'ApiError';
  }

  /** A dependency is down or the gateway is unreachable: worth retrying by itself. */
  get unavailable(): boolean {
    return this.status === 503 || this.status === 0;
  }
}

export type Query = Record<string, string | number | boolean | undefined>;

let csrfToken: string | undefined;
let onSignedOut: (() => void) | undefined;

/** The session's CSRF token (from sign-in or GET /2fa/session), sent on every mutating request. */
export function setCsrfToken(token: string | undefined): void {
  csrfToken = token;
}

/** Called when a request answers 401: the session ended (idle, absolute expiry, sign-out elsewhere). */
export function whenSignedOut(callback: () => void): void {
  onSignedOut = callback;
}

export function queryString(query: Query = {}): string {
  const params = new URLSearchParams();
  for (const [key, value] of Object.entries(query)) {
    if (value !== undefined && value !== '') params.set(key, String(value));
  }
  const s = params.toString();
  return s ? `?${s}` : '';
}

export async function request<T>(
  method: 'GET' | 'POST' | 'PUT' | 'DELETE',
  path: string,
  options: { query?: Query; body?: unknown } = {},
): Promise<T> {
  // Tells the gateway not to answer 401 with a Basic challenge (the browser's dialog).
  const headers: Record<string, string> = { accept: 'application/json', 'x-requested-with': 'fetch' };
  if (method !== 'GET' && csrfToken) headers['x-csrf-token'] = csrfToken;
  if (options.body !== undefined) headers['content-type'] = 'application/json';
  let res: Response;
  try {
    res = await fetch(`${path}${queryString(options.query)}`, {
      method,
      headers,
      body: options.body === undefined ? undefined : JSON.stringify(options.body),
      credentials: 'same-origin',
    });
  } catch {
    throw new ApiError(0, 503, 'The server cannot be reached', undefined, 1);
  }
  const body = (await res.json().catch(() => ({}))) as {
    code?: number;
    message?: string;
    field?: string;
  };
  if (res.ok) return body as T;
  if (res.status === 401 && path !== '/2fa/session') onSignedOut?.();
  const retryAfter = Number(res.headers.get('retry-after')) || undefined;
  throw new ApiError(res.status, body.code ?? res.status, body.message ?? res.statusText, body.field, retryAfter);
}

export const api = {
  get: <T>(path: string, query?: Query) => request<T>('GET', path, { query }),
  post: <T>(path: string, body?: unknown) => request<T>('POST', path, { body }),
  put: <T>(path: string, body?: unknown) => request<T>('PUT', path, { body }),
  delete: <T>(path: string) => request<T>('DELETE', path),
};
