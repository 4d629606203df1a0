import { parsePhoneNumberFromString } from 'libphonenumber-js/max';
import { randomInt } from 'node:crypto';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { eventually } from '../support/eventually';
import { type Credentials, http } from '../support/http';
import { createAccount } from '../support/otp-helpers';
import { deliveryStatuses } from '../support/jetstream-helpers';
import { type Stack, startStack } from '../support/stack';

/** The address vendors are given for their reports; the test plays the proxy in front of the gateway. */
export const PUBLIC_URL = 'https://otp.example.test';

/** A fresh, valid mobile number of that country (the default limit keys on the destination). */
export function numberIn(country: 'GB' | 'DE' | 'US' | 'FR'): string {
  const patterns = { GB: '+447400', DE: '+4915112', US: '+1415', FR: '+33612' };
  const digits = country === 'US' ? 7 : 6;
  for (let i = 0; i < 1000; i++) {
    const n = `${patterns[country]}${String(randomInt(10 ** digits)).padStart(digits, '0')}`;
    const parsed = parsePhoneNumberFromString(n);
    if (parsed?.isValid() && parsed.country === country) return n;
  }
  throw new Error(`no valid ${country} number found`);
}

/** Writes a providers file (JSON, or YAML when the name says so) into a fresh temporary folder. */
export function writeProvidersFile(name: string, text: string): string {
  const path = join(mkdtempSync(join(tmpdir(), 'smart2fa-providers-')), name);
  writeFileSync(path, text);
  return path;
}

/**
 * The stack as a self-hoster runs it with a providers file and PUBLIC_URL (quick retries, up
 * to four attempts, a limit that stays out of the way; `env` for the file's `${NAME}`
 * credentials), and an account on it.
 */
export async function startWithProviders(
  file: string,
  env: Record<string, string> = {},
): Promise<{ stack: Stack; auth: Credentials }> {
  const stack = await startStack({
    env: {
      PROVIDERS_FILE: file,
      PUBLIC_URL,
      DEFAULT_LIMIT_MAX: '1000',
      DISPATCH_MAX_ATTEMPTS: '4',
      DISPATCH_RETRY_BASE_MS: '100',
      ...env,
    },
  });
  return { stack, auth: await createAccount(stack) };
}

export function statusesOf(stack: Stack, requestId: string, expected: string[]) {
  return eventually(async () => {
    const s = await deliveryStatuses(stack, requestId);
    expect(s.map((e) => e.data.status)).toEqual(expected);
    return s;
  }, 15_000);
}

interface SdrAttempt {
  provider: string;
  providerMessageId: string | null;
  status: string;
  error: { code: string; message: string } | null;
}

/** The request's session detail record, once it shows `deliveryStatus`. */
export function sdrOnceDelivery(stack: Stack, auth: Credentials, requestId: string, deliveryStatus: string) {
  return eventually(async () => {
    const res = await http<{ data: { deliveryStatus: string; attempts: SdrAttempt[] } }>(
      stack.url,
      'GET',
      `/2fa/sdr/search/${requestId}`,
      { auth },
    );
    expect(res.body.data?.deliveryStatus).toBe(deliveryStatus);
    return res.body.data;
  }, 15_000);
}
