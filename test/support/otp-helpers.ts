import { randomInt, randomUUID } from 'node:crypto';
import { AccountsService } from '../../apps/gateway/src/accounts/accounts.service';
import { eventually } from './eventually';
import { type Credentials, http } from './http';
import type { Stack } from './stack';

let sequence = randomInt(0, 9000);

/** A destination no other test of the run uses (the default limit keys on it). */
export function uniqueNumber(): string {
  sequence = (sequence + 1) % 10_000;
  return `+1415${String(randomInt(200, 999))}${String(sequence).padStart(4, '0')}`;
}

/** Creates an account (or a sub-account) directly through the gateway's accounts service. */
export async function createAccount(stack: Stack, parent?: Credentials): Promise<Credentials> {
  const accounts = stack.app.get(AccountsService, { strict: false });
  const created = await accounts.create({ email: `dev${randomInt(1e9)}@example.com`, parentSid: parent?.accountSid });
  return { accountSid: created.accountSid, authToken: created.authToken };
}

export const BODY = 'Your verification code is: {code}';

export function sendBody(to: string, extra: Record<string, unknown> = {}): Record<string, unknown> {
  return { service: '2FA', from: '+14155550000', to, body: BODY, ...extra };
}

/** Sends, expecting success; returns the request id. */
export async function sendOtp(
  stack: Stack,
  auth: Credentials,
  to: string,
  extra: Record<string, unknown> = {},
): Promise<string> {
  const res = await http(stack.url, 'POST', '/2fa/send', { auth, body: sendBody(to, extra) });
  if (res.status !== 200) throw new Error(`send failed: ${res.status} ${JSON.stringify(res.body)}`);
  return res.body.requestID as string;
}

/** Reads the code of one request from the development outbox, as a developer would. */
export async function readCode(stack: Stack, auth: Credentials, to: string, requestId: string): Promise<string> {
  return eventually(async () => {
    const res = await http<{ data: { requestID: string; body: string }[] }>(
      stack.url,
      'GET',
      `/2fa/dev/outbox?to=${encodeURIComponent(to)}`,
      { auth },
    );
    const entry = res.body.data?.find((e) => e.requestID === requestId);
    if (!entry) throw new Error(`no outbox entry for ${requestId} yet (${res.status})`);
    const prefix = BODY.slice(0, BODY.indexOf('{code}'));
    if (!entry.body.startsWith(prefix)) throw new Error(`unexpected body ${entry.body}`);
    return entry.body.slice(prefix.length);
  });
}

/** A code that is certainly wrong for `code` (same length and alphabet). */
export function wrongCode(code: string): string {
  return code.replace(/./, (c) => (c === '0' ? '1' : '0'));
}

/**
 * Sends like a careful client where the send itself is not under test: under an
 * Idempotency-Key, retried after a 503 or an unknown outcome (457) until it is answered 200 —
 * a busy machine may time a send out, and the key makes the retry safe. Returns the request id.
 */
export async function sendOtpSurely(
  stack: Stack,
  auth: Credentials,
  to: string,
  extra: Record<string, unknown> = {},
): Promise<string> {
  const headers = { 'Idempotency-Key': `test-${randomUUID()}` };
  for (let attempt = 1; ; attempt++) {
    const res = await http(stack.url, 'POST', '/2fa/send', { auth, body: sendBody(to, extra), headers });
    if (res.status === 200) return res.body.requestID as string;
    const retryable = res.body.code === 503 || res.body.code === 457;
    if (!retryable || attempt >= 10) throw new Error(`send failed: ${res.status} ${JSON.stringify(res.body)}`);
    await new Promise((resolve) => setTimeout(resolve, 500 * attempt));
  }
}
