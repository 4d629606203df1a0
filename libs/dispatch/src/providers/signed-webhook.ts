import { ProviderError, withTimeout } from '../provider';
import { SIGNATURE_HEADER, signBody } from '@app/contracts';

/** Header naming one message across re-sends; receivers treat a repeated key as the same message. */
export const IDEMPOTENCY_KEY_HEADER = 'Idempotency-Key';

/**
 * POSTs a JSON body signed like every Smart 2FA body (`X-Smart2FA-Signature: t=<unix>,v1=<hex
 * HMAC-SHA256 of "t.body">`, see webhook-signature.ts in the contracts), with `Idempotency-Key: <idempotencyKey>` (the dispatch id: a re-send after a
 * dispatcher crashed mid-call carries the same key), and maps the answer: 2xx accepted (the JSON answer, if any, returned); 408,
 * 429 and 5xx or no answer are transient; any other 4xx is permanent.
 */
export async function postSignedJson(
  url: string,
  secret: string,
  body: object,
  timeoutMs: number,
  idempotencyKey: string,
): Promise<Record<string, unknown>> {
  const raw = JSON.stringify(body);
  let response: Response;
  try {
    response = await withTimeout(
      fetch(url, {
        method: 'POST',
        headers: {
          'content-type': 'application/json',
          [SIGNATURE_HEADER]: signBody(secret, raw, Math.floor(Date.now() / 1000)),
          [IDEMPOTENCY_KEY_HEADER]: idempotencyKey,
        },
        body: raw,
        signal: AbortSignal.timeout(timeoutMs),
      }),
      timeoutMs,
    );
  } catch (error) {
    if (error instanceof ProviderError) throw error;
    throw new ProviderError('provider_unreachable', `webhook unreachable: ${(error as Error).message}`, false);
  }
  const text = await response.text().catch(() => '');
  if (!response.ok) {
    const permanent =
      response.status >= 400 && response.status < 500 && response.status !== 408 && response.status !== 429;
    // The answer's body is left out: a provider may echo the message, code included, and the
    // error goes into logs and events.
    throw new ProviderError(`http_${response.status}`, `webhook answered ${response.status}`, permanent);
  }
  try {
    const parsed = JSON.parse(text) as unknown;
    return parsed && typeof parsed === 'object' ? (parsed as Record<string, unknown>) : {};
  } catch {
    return {};
  }
}

/** The provider's id for the message from its answer (`messageId`, `id` or `sid`), else ours. */
export function messageIdFrom(answer: Record<string, unknown>, fallback: string): string {
  for (const key of ['messageId', 'id', 'sid']) {
    const value = answer[key];
    if (typeof value === 'string' && value.length > 0 && value.length <= 128) return value;
  }
  return fallback;
}
