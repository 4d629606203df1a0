import type { Browser, Page } from 'playwright-core';
import { launchBrowser, watchCsp } from '../support/browser';
import { checkContract } from '../support/contract';
import { type Credentials } from '../support/http';
import { createAccount, readCode, uniqueNumber } from '../support/otp-helpers';
import { startStack, type Stack } from '../support/stack';

/**
 * What README "API reference" tells a new user to do, done in Chromium: open /docs, Authorize
 * with the account's SID and token (HTTP Basic), expand an operation, "Try it out", Execute,
 * and read the real gateway's answer on the page — under the page's strict CSP.
 */
describe('/docs: "Try it out" against the running gateway', () => {
  let stack: Stack;
  let auth: Credentials;
  let browser: Browser;
  let page: Page;
  let violations: string[];
  /** What the page's own calls got back, checked against the document like every e2e response. */
  const answered: Promise<string>[] = [];

  beforeAll(async () => {
    stack = await startStack();
    auth = await createAccount(stack);
    browser = await launchBrowser();
    page = await browser.newPage({ viewport: { width: 1280, height: 2000 } });
    violations = watchCsp(page);
    page.on('response', (res) => {
      const url = new URL(res.url());
      if (!url.pathname.startsWith('/2fa/')) return;
      answered.push(
        res.text().then((text) => {
          const headers = new Headers(res.headers());
          checkContract(res.request().method(), res.url(), { status: res.status(), headers, body: JSON.parse(text) });
          return `${res.request().method()} ${url.pathname} ${res.status()}`;
        }),
      );
    });
    await page.goto(`${stack.url}/docs`);
    await page.getByRole('heading', { name: /Smart 2FA/ }).waitFor();
    // Authorize: the SID as user name and the token as password, under basicAuth.
    await page.locator('.auth-wrapper .authorize').click();
    await page.locator('input[aria-label="auth-basic-username"]').fill(auth.accountSid);
    await page.locator('input[aria-label="auth-basic-password"]').fill(auth.authToken);
    const basic = page.locator('.auth-container').filter({ hasText: 'basicAuth' });
    await basic.locator('button.authorize').click();
    await basic.getByRole('heading', { name: 'Authorized' }).waitFor();
    await page.locator('button.close-modal').click();
  });
  afterAll(async () => {
    await browser?.close();
    await stack?.stop();
  });

  /** Expands an operation, presses "Try it out", optionally edits the body, executes it, and returns the status and body shown. */
  async function tryOperation(id: string, body?: unknown): Promise<{ status: number; body: string }> {
    const operation = page.locator(`#${id}`);
    await operation.locator('.opblock-summary-control').click();
    await operation.locator('.try-out__btn').click();
    if (body !== undefined) await operation.locator('textarea.body-param__text').fill(JSON.stringify(body));
    await operation.locator('.btn.execute').click();
    const row = operation.locator('.live-responses-table .response').first();
    await row.waitFor({ timeout: 20_000 });
    const status = Number((await row.locator('.response-col_status').innerText()).trim());
    const text = await operation.locator('.live-responses-table .response-col_description pre').first().innerText();
    return { status, body: text };
  }

  it('GET /2fa/usage answers 200 with the account credentials from Authorize', async () => {
    const { status, body } = await tryOperation('operations-Records-usage');
    expect(status).toBe(200);
    expect(JSON.parse(body)).toMatchObject({ code: 200, message: 'OK', data: { periods: [] } });
  });

  it('POST /2fa/send, then POST /2fa/verify with the code, from the page', async () => {
    const to = uniqueNumber();
    const sent = await tryOperation('operations-OTP-send', {
      service: 'login',
      from: '+14155550000',
      to,
      body: 'Your verification code is: {code}',
    });
    expect(sent.status).toBe(200);
    const { requestID } = JSON.parse(sent.body) as { requestID: string };
    expect(requestID).toMatch(/^OTP/);
    const code = await readCode(stack, auth, to, requestID);
    const verified = await tryOperation('operations-OTP-verify', { requestId: requestID, code });
    expect(verified.status).toBe(200);
    expect(JSON.parse(verified.body)).toEqual({ code: 200, message: 'OK', requestID });
  });

  it('saw no Content-Security-Policy violation; every answer matched the document', async () => {
    expect(violations).toEqual([]);
    expect(await Promise.all(answered)).toEqual(
      expect.arrayContaining(['GET /2fa/usage 200', 'POST /2fa/send 200', 'POST /2fa/verify 200']),
    );
  });
});
