import { ProviderError, withTimeout } from '../provider';

export interface VendorAnswer {
  status: number;
  /** The parsed JSON answer, or {} when there is none. */
  json: Record<string, unknown>;
  headers: Headers;
}

/**
 * One HTTP call to a vendor's API with the dispatcher's time limit. No answer (refused,
 * reset, DNS) is transient `provider_unreachable`; running out of time is transient `timeout`.
 * The answer is returned whatever its status, for the vendor's own mapping.
 */
export async function callVendor(url: string, init: RequestInit, timeoutMs: number): Promise<VendorAnswer> {
  let response: Response;
  try {
    response = await withTimeout(fetch(url, { ...init, signal: AbortSignal.timeout(timeoutMs) }), timeoutMs);
  } catch (error) {
    if (error instanceof ProviderError) throw error;
    if ((error as Error).name === 'TimeoutError')
      throw new ProviderError('timeout', `provider did not answer within ${timeoutMs} ms`, false);
    throw new ProviderError('provider_unreachable', `provider unreachable: ${(error as Error).message}`, false);
  }
  const text = await response.text().catch(() => '');
  let json: Record<string, unknown> = {};
  try {
    const parsed = JSON.parse(text) as unknown;
    if (parsed && typeof parsed === 'object' && !Array.isArray(parsed)) json = parsed as Record<string, unknown>;
  } catch {
    // not JSON: the status decides
  }
  return { status: response.status, json, headers: response.headers };
}

/** Throttling, the vendor's own failures and a refused login are worth another try (or provider). */
export function isTransientStatus(status: number): boolean {
  return status === 408 || status === 429 || status >= 500 || status === 401 || status === 403;
}

/**
 * A vendor's error text is kept for the records, but it may quote the destination (or, in an
 * echo, the message): any run of digits long enough to be a number or a code is cut out.
 */
export function vendorText(value: unknown, fallback: string): string {
  const text = typeof value === 'string' && value.trim() ? value : fallback;
  return text.replace(/\+?\d[\d ().-]{2,}\d/g, '…').slice(0, 300);
}

export function basicAuth(user: string, password: string): string {
  return `Basic ${Buffer.from(`${user}:${password}`).toString('base64')}`;
}

/** Form fields of an application/x-www-form-urlencoded body (repeated keys: the last wins). */
export function formFields(body: Buffer): Record<string, string> {
  return Object.fromEntries(new URLSearchParams(body.toString('utf8')));
}

/** Query parameters of a URL as a plain object. */
export function queryFields(url: string): Record<string, string> {
  try {
    return Object.fromEntries(new URL(url).searchParams);
  } catch {
    return {};
  }
}

/** A JSON body as an object, or undefined. */
export function jsonBody(body: Buffer): Record<string, unknown> | undefined {
  try {
    const parsed = JSON.parse(body.toString('utf8')) as unknown;
    return parsed && typeof parsed === 'object' && !Array.isArray(parsed)
      ? (parsed as Record<string, unknown>)
      : undefined;
  } catch {
    return undefined;
  }
}

/** E.164 without the `+`, as several vendors want it. */
export function digitsOnly(number: string): string {
  return number.replace(/^\+/, '');
}
