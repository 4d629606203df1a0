import { randomInt } from 'node:crypto';
import { readFileSync } from 'node:fs';
import type { Page } from 'playwright-core';
import { type AxeViolation, seriousAxeViolations } from '../support/browser';
import { type Credentials, http } from '../support/http';
import { sendBody } from '../support/otp-helpers';
import { type ConsoleFixture, startConsoleFixture } from './console-fixture';

type Json = Record<string, unknown>;

/**
 * The console in a real browser (Debian's Chromium through playwright-core), against the real
 * gateway and services: what SPEC 11 and issue 12's "Done when" ask, found as a person finds
 * things (roles, labels, names), the numbers compared with the API's own answers.
 */
describe('the console in Chromium', () => {
  let f: ConsoleFixture;
  let page: Page;
  const axe: Record<string, AxeViolation[]> = {};

  const api = async <T = Json>(path: string, auth: Credentials = f.account) =>
    (await http<{ data: T }>(f.stack.url, 'GET', path, { auth })).body.data;
  const open = async (path: string) => {
    await page.goto(`${f.stack.url}/console${path}`);
  };
  const heading = (name: string | RegExp) => page.getByRole('heading', { level: 1, name });
  const checkAxe = async (name: string) => {
    axe[name] = await seriousAxeViolations(page);
  };
  /** The cells of a table's body rows, as text. */
  const rows = (caption: string | RegExp) =>
    page
      .getByRole('table', { name: caption })
      .locator('tbody tr')
      .evaluateAll((trs) =>
        trs.map((tr) =>
          Array.from((tr as unknown as { children: ArrayLike<{ textContent: string | null }> }).children).map((c) =>
            (c.textContent ?? '').trim(),
          ),
        ),
      );
  const signIn = async (target: Page, credentials: Credentials) => {
    await target.getByLabel('Account SID').fill(credentials.accountSid);
    await target.getByLabel('Auth token').fill(credentials.authToken);
    await target.getByRole('button', { name: 'Sign in' }).click();
    await target.getByRole('navigation', { name: 'Main' }).waitFor();
  };

  beforeAll(async () => {
    f = await startConsoleFixture();
    page = f.page;
  }, 180_000);
  afterAll(() => f?.stop());

  it('signs in with the account SID and auth token, and shows the named navigation', async () => {
    await open('/');
    await heading('Sign in to Smart 2FA').waitFor();
    await checkAxe('sign-in');
    await signIn(page, f.account);
    await heading('Usage').waitFor();
    const nav = page.getByRole('navigation', { name: 'Main' });
    for (const name of ['Usage', 'Records', 'Limits', 'Sub-accounts', 'Development outbox'])
      expect(await nav.getByRole('link', { name, exact: true }).count()).toBe(1);
    expect(await page.getByRole('main').count()).toBe(1);
    expect(await page.getByRole('banner').count()).toBe(1);
    // HttpOnly: script cannot read the session.
    expect(await page.evaluate('document.cookie')).toBe('');
    const [cookie] = await f.context.cookies();
    expect(cookie).toMatchObject({ name: 'smart2fa_session', httpOnly: true, sameSite: 'Strict' });
  });

  it('shows usage per day, month and year with the same numbers as /2fa/usage, chart and table', async () => {
    const columns = ['requests', 'sent', 'delivered', 'failed', 'verified', 'canceled', 'expired', 'blocked'];
    for (const granularity of ['month', 'year', 'day']) {
      const caption = `Usage per ${granularity}`;
      // Every state of the page's DOM from the switch on: whenever a table of this caption is
      // there, the periods in it (the previous granularity's must never show under its name).
      await page.evaluate(`(() => {
        const seen = (window.__usageTables = []);
        const look = () => {
          for (const c of document.querySelectorAll('table caption'))
            if (c.textContent.trim() === ${JSON.stringify(caption)})
              seen.push([...c.closest('table').querySelectorAll('tbody th')].map((th) => th.textContent.trim()));
        };
        window.__usageObserver = new MutationObserver(look);
        window.__usageObserver.observe(document.body, { childList: true, subtree: true, characterData: true });
      })()`);
      await page.getByLabel('Period').selectOption(granularity);
      await page.waitForURL(new RegExp(`granularity=${granularity}`));
      await page.getByRole('table', { name: caption }).waitFor();
      const expected = await api<{ periods: Json[] }>(`/2fa/usage?granularity=${granularity}`);
      // Two days in two years: every granularity has two periods.
      expect(expected.periods).toHaveLength(2);
      const periods = expected.periods.map((p) => p.period);
      const seen = (await page.evaluate('window.__usageObserver.disconnect(), window.__usageTables')) as string[][];
      expect(seen.length).toBeGreaterThan(0);
      for (const snapshot of seen) expect(snapshot).toEqual(periods);
      const shown = await rows(caption);
      expect(shown.map((r) => r[0])).toEqual(periods);
      shown.forEach((cells, i) => {
        const p = expected.periods[i];
        expect(cells.slice(1, 1 + columns.length)).toEqual(columns.map((c) => String(p[c])));
        expect(cells.at(-3)).toBe(`${((p.conversionRate as number) * 100).toFixed(1)} %`);
        expect(cells.at(-2)).toBe(p.cost);
        expect(cells.at(-1)).toBe(p.costAvoided);
      });
      // The chart is named, drawn, and its numbers are the table's.
      const chart = page.getByRole('img', {
        name: new RegExp(`per ${granularity}; the table below has the same numbers`),
      });
      expect(await chart.locator('canvas').count()).toBe(1);
    }
    const total = await api<{ total: Json }>('/2fa/usage?granularity=year');
    expect(total.total).toMatchObject({ verified: 2, canceled: 2, failed: expect.any(Number), expired: 2 });
    await checkAxe('usage');
  });

  it('narrows usage by every filter exactly as the API does, with the filters in the URL', async () => {
    await page.getByLabel('Channel').selectOption('call');
    await page.getByLabel('Account').selectOption(f.sub.accountSid);
    await page.getByRole('button', { name: 'Apply filters' }).click();
    await page.waitForURL(/channel=call/);
    // Nothing of the sub-account went by call: the empty state.
    await page.getByText('No usage for these filters').waitFor();
    expect(page.url()).toContain(`accountSid=${f.sub.accountSid}`);
    await page.getByLabel('Account').selectOption('subAccounts');
    await page.getByLabel('Channel').selectOption('sms');
    await page.getByLabel('Country code').fill('us');
    await page.getByRole('button', { name: 'Apply filters' }).click();
    await page.waitForURL(/countryCode=us/);
    await page.getByRole('table', { name: 'Usage per day' }).waitFor();
    const expected = await api<{ periods: Json[] }>(
      '/2fa/usage?granularity=day&channel=sms&countryCode=us&subAccounts=true',
    );
    expect((await rows('Usage per day')).map((r) => r.slice(0, 3))).toEqual(
      expected.periods.map((p) => [p.period, String(p.requests), String(p.sent)]),
    );
    // Reloading the URL shows the same view.
    await page.reload();
    await page.getByRole('table', { name: 'Usage per day' }).waitFor();
    expect(await page.getByLabel('Country code').inputValue()).toBe('us');
  });

  it('narrows records by country code and by channel exactly as the API does', async () => {
    await page.getByRole('link', { name: 'Records', exact: true }).click();
    await heading('Records').waitFor();
    const idsShown = async () => (await rows(/^Records, page/)).map((r) => r[1]);
    const idsOf = async (query: string) =>
      (await api<{ result: { requestId: string }[] }>(`/2fa/sdr/search?${query}`)).result.map((r) => r.requestId);

    await page.getByLabel('Country code').fill('GB');
    await page.getByRole('button', { name: 'Apply filters' }).click();
    await page.waitForURL(/countryCode=GB/);
    await page.getByRole('heading', { level: 2, name: /^\d+ records?$/ }).waitFor();
    const gb = await idsOf('countryCode=GB');
    expect(gb.length).toBeGreaterThan(1);
    await expectEventually(idsShown, gb);
    const all = await idsOf('pageSize=100');
    expect(gb.length).toBeLessThan(all.length);

    await page.getByLabel('Country code').fill('');
    await page.getByLabel('Channel').selectOption('call');
    await page.getByRole('button', { name: 'Apply filters' }).click();
    await page.waitForURL((url) => url.search.includes('channel=call') && !url.search.includes('countryCode'));
    const calls = await idsOf('channel=call');
    expect(calls.length).toBeGreaterThan(1);
    await expectEventually(idsShown, calls);

    await page.getByLabel('Country code').fill('GB');
    await page.getByRole('button', { name: 'Apply filters' }).click();
    await page.waitForURL(/countryCode=GB/);
    await expectEventually(idsShown, await idsOf('channel=call&countryCode=GB'));
    await checkAxe('records');
  });

  it('pages through the records as the API pages them', async () => {
    await open('/records?pageSize=10');
    await page.getByLabel('Page size').selectOption('10');
    const first = await api<{ result: { requestId: string }[]; numPages: number }>('/2fa/sdr/search?pageSize=10');
    expect(first.numPages).toBeGreaterThan(0);
    await open('/records?pageSize=10&SortBy=dateCreated:asc');
    const oldest = await api<{ result: { requestId: string }[] }>('/2fa/sdr/search?pageSize=10&SortBy=dateCreated:asc');
    await expectEventually(
      async () => (await rows(/^Records, page 1/)).map((r) => r[1]),
      oldest.result.map((r) => r.requestId),
    );
  });

  it("lists a record's dispatch attempts, verify attempts and price on its page", async () => {
    await open('/records');
    await page.getByRole('link', { name: f.fallbackRequestId }).click();
    await heading(`Record ${f.fallbackRequestId}`).waitFor();
    const record = await api<{ attempts: Json[]; price: string; priceUnit: string }>(
      `/2fa/sdr/search/${f.fallbackRequestId}`,
    );
    const attempts = await rows('Dispatch attempts, in order');
    expect(attempts.map((r) => [r[0], r[1], r[3], r[5]])).toEqual(
      record.attempts.map((a) => [a.dispatchId, a.channel, a.provider ?? '—', a.status ?? '—']),
    );
    expect(attempts).toHaveLength(2);
    expect(attempts[0][6]).toBe('http_500: provider error');
    await page.getByText(`${record.price} ${record.priceUnit}`).first().waitFor();
    await page.getByRole('heading', { name: 'Verify attempts' }).waitFor();
    await checkAxe('record');
  });

  it('downloads the filtered records and usage as CSV, the same rows as the API', async () => {
    await open('/records?countryCode=GB');
    await page.getByRole('heading', { level: 2, name: /^\d+ records?$/ }).waitFor();
    const csv = await download(page, 'Download CSV');
    const expected = await api<{ result: Json[] }>('/2fa/sdr/search?countryCode=GB&pageSize=1000');
    const parsed = parseCsv(csv);
    const [header, ...body] = parsed;
    expect(header).toEqual(expect.arrayContaining(['requestId', 'status', 'deliveryStatus', 'countryCode', 'price']));
    expect(body).toHaveLength(expected.result.length);
    body.forEach((cells, i) =>
      header.forEach((column, c) => {
        const value = expected.result[i][column];
        expect(cells[c]).toBe(value === null ? '' : Array.isArray(value) ? value.join(' ') : String(value));
      }),
    );

    await open('/usage?granularity=month');
    await page.getByRole('table', { name: 'Usage per month' }).waitFor();
    const usage = parseCsv(await download(page, 'Download CSV'));
    const periods = (await api<{ periods: Json[] }>('/2fa/usage?granularity=month')).periods;
    expect(usage.slice(1)).toEqual(periods.map((p) => usage[0].map((column) => String(p[column]))));
  });

  it('creates a limit whose bucket the next send meets', async () => {
    await page.getByRole('link', { name: 'Limits', exact: true }).click();
    await heading('Limits').waitFor();
    await page.getByText('No limits yet').waitFor();
    await checkAxe('limits');
    await page.getByLabel('Limit name').fill('console-made');
    await page.getByLabel('Bucket 1 name').fill('per-hour');
    await page.getByLabel('Bucket 1 max sends').fill('1');
    await page.getByLabel('Bucket 1 interval (seconds)').fill('3600');
    await page.getByRole('button', { name: 'Create limit' }).click();
    await page.getByText('Limit console-made created.').waitFor();
    await page.getByRole('table', { name: 'Buckets of console-made' }).waitFor();

    const send = (to: string) =>
      http(f.stack.url, 'POST', '/2fa/send', {
        auth: f.account,
        body: sendBody(to, { limits: { 'console-made': 'user-1' } }),
      });
    expect((await send('+14155550101')).status).toBe(200);
    expect(await send('+14155550102')).toMatchObject({ status: 429, body: { code: 454 } });

    // Edit the bucket in the UI: two per hour lets one more through.
    await page.getByRole('button', { name: 'Edit console-made' }).click();
    await page.getByRole('form', { name: 'Edit console-made' }).getByLabel('Bucket 1 max sends').fill('2');
    await page.getByRole('button', { name: 'Save console-made' }).click();
    await page.getByText('Limit console-made saved.').waitFor();
    expect((await send('+14155550103')).status).toBe(200);
    // And delete it: the name is unknown to the next send.
    await page.getByRole('button', { name: 'Delete console-made' }).click();
    await page.getByRole('button', { name: 'Confirm delete console-made' }).click();
    await page.getByText('Limit console-made deleted.').waitFor();
    expect(await send('+14155550104')).toMatchObject({ body: { code: 495 } });
  });

  it('creates a sub-account, shows its token once, and the sub-account can sign in', async () => {
    await page.getByRole('link', { name: 'Sub-accounts', exact: true }).click();
    await heading('Sub-accounts').waitFor();
    await page.getByLabel('Email').fill('team@example.com');
    await page.getByLabel('Friendly name').fill('Team console');
    await page.getByRole('button', { name: 'Create sub-account' }).click();
    await page.getByRole('heading', { name: /copy its token now/ }).waitFor();
    const accountSid = (await page.getByTestId('new-account-sid').textContent())?.trim() as string;
    const authToken = (await page.getByTestId('new-auth-token').textContent())?.trim() as string;
    expect(accountSid).toMatch(/^AC[0-9a-f]{32}$/);
    await page.getByRole('table', { name: 'Sub-accounts' }).getByText(accountSid).waitFor();
    await checkAxe('sub-accounts');
    await page.getByRole('button', { name: 'I have copied the token' }).click();
    // Shown once: gone from the page, and the list never has it.
    expect(await page.getByText(authToken).count()).toBe(0);

    const other = await f.browser.newContext({ viewport: { width: 390, height: 844 } });
    try {
      const subPage = await other.newPage();
      await subPage.goto(`${f.stack.url}/console`);
      await signIn(subPage, { accountSid, authToken });
      await subPage.getByText(accountSid).first().waitFor();
      await subPage.getByRole('heading', { level: 1, name: 'Usage' }).waitFor();
      await subPage.getByText('No usage for these filters').waitFor();
    } finally {
      await other.close();
    }
  });

  it('shows the development outbox with DEV_OUTBOX=true', async () => {
    await page.getByRole('link', { name: 'Development outbox' }).click();
    await heading('Development outbox').waitFor();
    await page.getByLabel('Destination').fill('+14155550101');
    await page.getByRole('button', { name: 'Show messages' }).click();
    await page.getByText(/Your verification code is: \d{6}/).waitFor();
    await checkAxe('outbox');
  });

  it('shows "service unavailable, retrying" on a 503 and recovers by itself', async () => {
    let refused = 0;
    await page.route('**/2fa/usage?*', async (route) => {
      if (refused < 2) {
        refused++;
        return route.fulfill({
          status: 503,
          headers: { 'content-type': 'application/json', 'retry-after': '1' },
          body: JSON.stringify({ code: 503, message: 'Service unavailable', requestID: null }),
        });
      }
      return route.continue();
    });
    try {
      await page.getByRole('link', { name: 'Usage', exact: true }).click();
      await page.getByText(/Service unavailable, retrying/).waitFor();
      await page.getByRole('table', { name: 'Usage per day' }).waitFor({ timeout: 15_000 });
      expect(refused).toBe(2);
    } finally {
      await page.unrouteAll();
    }
  });

  it('moves through the pages with the keyboard alone', async () => {
    await open('/usage');
    await heading('Usage').waitFor();
    const focusedName = () => page.evaluate('document.activeElement?.textContent?.trim()');
    await page.keyboard.press('Tab');
    expect(await focusedName()).toBe('Skip to content');
    for (let i = 0; i < 10 && (await focusedName()) !== 'Records'; i++) await page.keyboard.press('Tab');
    expect(await focusedName()).toBe('Records');
    await page.keyboard.press('Enter');
    await heading('Records').waitFor();
    // The new page's heading has the focus, as after a page load.
    expect(await focusedName()).toBe('Records');
  });

  it('runs the fraud guard page against the real guard: blocks and unblock, geo permissions, settings, safe list; records find the blocked send', async () => {
    // A burst of unverified sends to one prefix: the guard (on in the fixture) blocks the prefix.
    const prefix = `+1415${randomInt(200, 999)}`;
    const send = (i: number) =>
      http(f.stack.url, 'POST', '/2fa/send', { auth: f.account, body: sendBody(`${prefix}${1000 + i}`) });
    for (let i = 0; i < 8; i++) expect((await send(i)).status).toBe(200);
    const refused = await send(8);
    expect(refused).toMatchObject({ status: 403, body: { code: 456, reason: 'prefix_velocity' } });

    await open('/usage');
    await heading('Usage').waitFor();
    await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Fraud guard' }).click();
    await heading('Fraud guard').waitFor();
    // The lists load (and reload after a change) on their own: read them once they show.
    await expectEventually(
      async () => (await rows('Active blocks')).map((r) => r.slice(0, 2)),
      [[`prefix4 ${prefix}`, 'prefix_velocity']],
    );
    await page.getByRole('button', { name: `Unblock ${prefix}` }).click();
    await page.getByText(`Unblocked ${prefix}.`).waitFor();
    await page.getByText('No active blocks.').waitFor();
    expect(await api('/2fa/fraud/blocks')).toEqual([]);
    expect((await send(9)).status).toBe(200);

    await page.getByLabel('Country code').fill('cu');
    await page.getByLabel('SMS', { exact: true }).selectOption('block');
    await page.getByRole('button', { name: 'Set permissions' }).click();
    await page.getByText('Permissions of CU saved.').waitFor();
    await expectEventually(() => rows('Geo permissions per country'), [['CU', 'block', 'allow', 'this account']]);
    expect(await api('/2fa/fraud/geo-permissions')).toEqual([
      { countryCode: 'CU', sms: 'block', call: 'allow', source: 'account' },
    ]);

    await page.getByLabel('Mode').selectOption('monitor');
    await page.getByRole('button', { name: 'Save settings' }).click();
    await page.getByText('Settings saved.').waitFor();
    expect((await api<{ mode: string }>('/2fa/fraud/settings')).mode).toBe('monitor');
    await page.getByLabel('Number or prefix').fill('+4474001');
    await page.getByLabel('Kind').selectOption('prefix');
    await page.getByRole('button', { name: 'Add to safe list' }).click();
    await page.getByRole('button', { name: 'Remove +4474001' }).waitFor();
    expect(await api('/2fa/fraud/safe-list')).toMatchObject([{ kind: 'prefix', value: '+4474001' }]);
    await checkAxe('fraud');

    // The refused send is a record with status blocked, found by the Records status filter.
    await page.getByRole('link', { name: 'Records', exact: true }).click();
    await heading('Records').waitFor();
    await page.getByLabel('Status', { exact: true }).selectOption('blocked');
    await page.getByRole('button', { name: 'Apply filters' }).click();
    await page.waitForURL(/status=blocked/);
    await expectEventually(
      async () => (await rows(/^Records, page/)).map((r) => r[1]),
      [refused.body.requestID as string],
    );
  });

  it('has no serious or critical axe-core violation on any page, and the CSP refused nothing', async () => {
    const pages = ['fraud', 'limits', 'outbox', 'record', 'records', 'sign-in', 'sub-accounts', 'usage'];
    expect(Object.keys(axe).sort()).toEqual(pages.sort());
    expect(axe).toEqual(Object.fromEntries(Object.keys(axe).map((k) => [k, []])));
    expect(f.cspViolations).toEqual([]);
    // The checks can fail: an inline style is refused and reported, an unlabelled field is a critical violation.
    await page.evaluate(`document.body.setAttribute('style', 'color: red')`);
    await expectEventually(async () => f.cspViolations.length > 0, true);
    await page.evaluate(`document.querySelector('main').insertAdjacentHTML('beforeend', '<input type="text">')`);
    expect((await seriousAxeViolations(page)).map((v) => v.id)).toContain('label');
    const res = await fetch(`${f.stack.url}/console/records`);
    expect(res.headers.get('content-security-policy')).toMatch(/script-src 'self'; style-src 'self'/);
    expect(res.headers.get('content-security-policy')).not.toContain('unsafe-inline');
  });

  it('signs out: the same cookie is useless afterwards, and a cross-site POST with it was refused', async () => {
    const [cookie] = await f.context.cookies();
    const header = { cookie: `${cookie.name}=${cookie.value}` };
    // Before sign-out: the cookie works, but a POST from another site, without the CSRF token, is refused.
    expect((await http(f.stack.url, 'GET', '/2fa/session', { headers: header })).status).toBe(200);
    const crossSite = await http(f.stack.url, 'POST', '/2fa/limits', {
      headers: { ...header, origin: 'https://evil.example', 'sec-fetch-site': 'cross-site' },
      body: { name: 'evil', buckets: [{ name: 'b', max: 1, interval: 60 }] },
    });
    expect(crossSite).toMatchObject({ status: 403, body: { code: 487 } });
    expect((await api<{ total: number }>('/2fa/limits/search?name=evil')).total).toBe(0);

    await page.getByRole('button', { name: 'Sign out' }).click();
    await heading('Sign in to Smart 2FA').waitFor();
    await page.getByText('You are signed out.').waitFor();
    expect(await f.context.cookies()).toEqual([]);
    expect(await http(f.stack.url, 'GET', '/2fa/session', { headers: header })).toMatchObject({ status: 401 });
    expect((await http(f.stack.url, 'GET', '/2fa/sdr/search', { headers: header })).status).toBe(401);
  });
});

async function expectEventually<T>(read: () => Promise<T>, expected: T, timeoutMs = 5000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await read();
    try {
      expect(value).toEqual(expected);
      return;
    } catch (error) {
      if (Date.now() > deadline) throw error;
      await new Promise((r) => setTimeout(r, 100));
    }
  }
}

async function download(page: Page, button: string): Promise<string> {
  const [file] = await Promise.all([page.waitForEvent('download'), page.getByRole('button', { name: button }).click()]);
  return readFileSync((await file.path()) as string, 'utf8');
}

/** RFC 4180 CSV into rows of cells. */
function parseCsv(text: string): string[][] {
  const rows: string[][] = [];
  let row: string[] = [];
  let cell = '';
  let quoted = false;
  for (let i = 0; i < text.length; i++) {
    const ch = text[i];
    if (quoted) {
      if (ch === '"' && text[i + 1] === '"') {
        cell += '"';
        i++;
      } else if (ch === '"') quoted = false;
      else cell += ch;
    } else if (ch === '"') quoted = true;
    else if (ch === ',') {
      row.push(cell);
      cell = '';
    } else if (ch === '\n') {
      row.push(cell.replace(/\r$/, ''));
      rows.push(row);
      row = [];
      cell = '';
    } else cell += ch;
  }
  return rows;
}
