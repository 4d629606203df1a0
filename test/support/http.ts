import { checkContract } from './contract';

/**
 * A small HTTP client for tests, speaking to the gateway as an application would. Every
 * response is checked against the gateway's OpenAPI document (./contract.ts): a route missing
 * from it, or a response that drifts from it, fails the test that received it.
 */
export interface Credentials {
  accountSid: string;
  authToken: string;
}

export interface HttpResult<T = Record<string, unknown>> {
  status: number;
  body: T;
  headers: Headers;
}

export async function http<T = Record<string, unknown>>(
  base: string,
  method: string,
  path: string,
  options: { auth?: Credentials; body?: unknown; rawBody?: string; headers?: Record<string, string> } = {},
): Promise<HttpResult<T>> {
  const headers: Record<string, string> = { ...options.headers };
  if (options.auth)
    headers.authorization = `Basic ${Buffer.from(`${options.auth.accountSid}:${options.auth.authToken}`).toString('base64')}`;
  let payload: string | undefined;
  if (options.rawBody !== undefined) payload = options.rawBody;
  else if (options.body !== undefined) payload = JSON.stringify(options.body);
  if (payload !== undefined && !headers['content-type']) headers['content-type'] = 'application/json';
  const res = await fetch(`${base}${path}`, { method, headers, body: payload });
  const text = await res.text();
  let body: unknown = text;
  try {
    body = JSON.parse(text);
  } catch {
    // not JSON: keep the text
  }
  const result = { status: res.status, body: body as T, headers: res.headers };
  checkContract(method, `${base}${path}`, result);
  return result;
}
