import { type CallbackRequest, type CallbackVerdict, ProviderError, withTimeout } from '../provider';
import { firstIssue, ProviderCallback, SIGNATURE_HEADER, signBody, verifyBody } from '@app/contracts';

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

/**
 * A callback of the generic webhook contract (`POST /2fa/callbacks/sms`, `/2fa/callbacks/call`,
 * or an entry's name): `X-Smart2FA-Signature: t=<unix>,v1=<hex HMAC-SHA256 of "t.body">` with
 * the webhook's secret, compared in constant time, `t` within five minutes of the gateway's
 * clock; the body `{reference, messageId?, status, error?}`.
 */
export function webhookCallback(secret: string, request: CallbackRequest): CallbackVerdict {
  const signature = request.headers[SIGNATURE_HEADER.toLowerCase()];
  if (!verifyBody(secret, request.body, signature, Math.floor(request.receivedAt.getTime() / 1000)))
    return { kind: 'forged', reason: 'X-Smart2FA-Signature does not match' };
  let body: unknown;
  try {
    body = JSON.parse(request.body.toString('utf8'));
  } catch {
    return { kind: 'invalid', message: 'body is not valid JSON', field: 'body' };
  }
  const parsed = ProviderCallback.safeParse(body);
  if (!parsed.success) {
    const issue = firstIssue(parsed.error, body);
    return { kind: 'invalid', message: issue.message, field: issue.field };
  }
  const callback = parsed.data;
  return {
    kind: 'accepted',
    reports: [
      {
        dispatchId: callback.reference,
        providerMessageId: callback.messageId,
        status: callback.status,
        error: callback.error,
      },
    ],
  };
}
