import { ManualClock } from '@app/platform';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { OtpSweeper } from '../../apps/otp-core/src/otp-sweeper';
import { publishDeliveryStatus, testPriceFile } from '../sdr/sdr-helpers';
import { buildConsoleIfNeeded, launchBrowser, watchCsp } from '../support/browser';
import { eventually } from '../support/eventually';
import { type Credentials, http } from '../support/http';
import { createAccount, readCode, sendOtp, uniqueNumber, wrongCode } from '../support/otp-helpers';
import { startStack, type Stack } from '../support/stack';

/** Two days in two years, so that day, month and year each show more than one period. */
export const DAY_A = '2026-12-30';
export const DAY_B = '2027-01-04';

export interface ConsoleFixture {
  stack: Stack;
  account: Credentials;
  sub: Credentials;
  /** The request whose SMS failed and whose email fallback went out: two dispatch attempts. */
  fallbackRequestId: string;
  browser: Browser;
  context: BrowserContext;
  page: Page;
  /** Every CSP violation any page of the context reported. */
  cspViolations: string[];
  stop(): Promise<void>;
}

const json = (path: string, auth: Credentials, stack: Stack, body?: unknown) =>
  http<Record<string, unknown>>(stack.url, body === undefined ? 'GET' : 'POST', path, { auth, body });

/**
 * The console's test bed: the all-in-one on its own database, an account with a sub-account,
 * a scripted mix of traffic over two days in two years (sends on every channel and in three
 * countries, verifies after a wrong code, cancels, a delivery failure with an email fallback,
 * expiries), all projected into the records; then one Chromium page, not yet signed in.
 */
export async function startConsoleFixture(): Promise<ConsoleFixture> {
  buildConsoleIfNeeded();
  const stack = await startStack({
    clock: new ManualClock(new Date(`${DAY_A}T10:00:00Z`)),
    // The fraud guard on, as in production: the fraud page is tested against it.
    env: { DEFAULT_LIMIT_MAX: '1000', SDR_PRICES_FILE: testPriceFile(), FRAUD_GUARD: 'true' },
  });
  let browser: Browser | undefined;
  try {
    const account = await createAccount(stack);
    const sub = await createAccount(stack, account);
    const fallbackRequestId = await scriptedMix(stack, account, sub);
    browser = await launchBrowser();
    const context = await browser.newContext({ viewport: { width: 1280, height: 800 }, acceptDownloads: true });
    const page = await context.newPage();
    const cspViolations = watchCsp(page);
    return {
      stack,
      account,
      sub,
      fallbackRequestId,
      browser,
      context,
      page,
      cspViolations,
      stop: async () => {
        await browser?.close();
        await stack.stop();
      },
    };
  } catch (error) {
    await browser?.close();
    await stack.stop();
    throw error;
  }
}

async function scriptedMix(stack: Stack, account: Credentials, sub: Credentials): Promise<string> {
  const verify = (requestId: string, code: string, auth = account) =>
    http(stack.url, 'POST', '/2fa/verify', { auth, body: { requestId, code } });
  const step = () => stack.clock.advance(1);
  const delivered = (requestId: string, to: string, auth = account) =>
    publishDeliveryStatus(
      stack,
      { requestId, accountSid: auth.accountSid, parentAccountSid: auth === sub ? account.accountSid : null, to },
      'delivered',
    );
  const ids: string[] = [];
  const uk = () => `+4474001${String(Math.floor(Math.random() * 100_000)).padStart(5, '0')}`;

  // Day A: a verified SMS, a canceled SMS to the UK, a voice call and an email left to expire,
  // an SMS whose delivery failed.
  const us1 = uniqueNumber();
  const verified = await sendOtp(stack, account, us1);
  await delivered(verified, us1);
  expect((await verify(verified, wrongCode(await readCode(stack, account, us1, verified)))).status).toBe(401);
  expect((await verify(verified, await readCode(stack, account, us1, verified))).status).toBe(200);
  ids.push(verified);
  step();
  const gb1 = uk();
  const canceled = await sendOtp(stack, account, gb1);
  await delivered(canceled, gb1);
  expect((await json('/2fa/cancel', account, stack, { requestId: canceled })).status).toBe(200);
  ids.push(canceled);
  step();
  ids.push(await sendOtp(stack, account, uniqueNumber(), { channel: 'call', timeout: 60 }));
  step();
  ids.push(
    await sendOtp(stack, account, 'jane@example.com', {
      channel: 'email',
      from: 'otp@example.com',
      subject: 'Your code',
      timeout: 60,
    }),
  );
  step();
  const gb2 = uk();
  const failed = await sendOtp(stack, account, gb2);
  await publishDeliveryStatus(stack, { requestId: failed, accountSid: account.accountSid, to: gb2 }, 'failed', {
    providerMessageId: null,
    error: { code: 'E_PROVIDER', message: 'destination unreachable' },
  });
  ids.push(failed);
  stack.clock.advance(120);
  const sweeper = stack.app.get(OtpSweeper, { strict: false });
  await sweeper.sweep();

  // Day B: a verified SMS, a canceled call to the UK, the sub-account's SMS, and an SMS that
  // fails and falls back to email.
  stack.clock.set(new Date(`${DAY_B}T09:00:00Z`));
  await sweeper.sweep();
  const us2 = uniqueNumber();
  const verifiedB = await sendOtp(stack, account, us2, { service: 'signup' });
  await delivered(verifiedB, us2);
  expect((await verify(verifiedB, await readCode(stack, account, us2, verifiedB))).status).toBe(200);
  ids.push(verifiedB);
  step();
  const callUk = await sendOtp(stack, account, uk(), { channel: 'call' });
  expect((await json('/2fa/cancel', account, stack, { requestId: callUk })).status).toBe(200);
  ids.push(callUk);
  step();
  const us3 = uniqueNumber();
  const ofSub = await sendOtp(stack, sub, us3);
  await delivered(ofSub, us3, sub);
  step();
  const us4 = uniqueNumber();
  const withFallback = await sendOtp(stack, account, us4, {
    fallback: [{ channel: 'email', to: 'fallback@example.com', from: 'otp@example.com', subject: 'Code', after: 30 }],
  });
  await publishDeliveryStatus(stack, { requestId: withFallback, accountSid: account.accountSid, to: us4 }, 'failed', {
    providerMessageId: null,
    error: { code: 'http_500', message: 'provider error' },
  });
  ids.push(withFallback);

  // Everything projected: each request's latest state is in the records.
  await eventually(async () => {
    const res = await http<{ data: { result: { requestId: string; status: string; attempts: unknown[] }[] } }>(
      stack.url,
      'GET',
      '/2fa/sdr/search?subAccounts=true&pageSize=100',
      { auth: account },
    );
    const byId = new Map(res.body.data.result.map((r) => [r.requestId, r]));
    expect(byId.size).toBe(ids.length + 1);
    expect(byId.get(verified)?.status).toBe('verified');
    expect(byId.get(canceled)?.status).toBe('canceled');
    expect(byId.get(failed)?.status).toBe('failed');
    expect(byId.get(ids[2])?.status).toBe('expired');
    expect(byId.get(verifiedB)?.status).toBe('verified');
    expect(byId.get(callUk)?.status).toBe('canceled');
    expect(byId.get(withFallback)?.attempts).toHaveLength(2);
  }, 30_000);
  return withFallback;
}
