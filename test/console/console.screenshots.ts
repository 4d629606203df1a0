import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import type { Page } from 'playwright-core';
import { http } from '../support/http';
import { type ConsoleFixture, startConsoleFixture } from './console-fixture';

const OUT = join(__dirname, '../../screenshots/console');
const SIZES = [
  { width: 1280, height: 800 },
  { width: 390, height: 844 },
];

/** Every page of the console, signed in on the scripted traffic of the browser tests. */
describe('console screenshots', () => {
  let f: ConsoleFixture;
  beforeAll(async () => {
    f = await startConsoleFixture();
  }, 180_000);
  afterAll(() => f?.stop());

  it('takes every page at 1280×800 and 390×844', async () => {
    mkdirSync(OUT, { recursive: true });
    const guarded = (await http(f.stack.url, 'GET', '/2fa/fraud/settings', { auth: f.account })).status === 200;
    const pages: [string, string, (page: Page) => Promise<void>][] = [
      ['usage-day', '/usage', (p) => p.getByRole('table', { name: 'Usage per day' }).waitFor()],
      ['usage-month', '/usage?granularity=month', (p) => p.getByRole('table', { name: 'Usage per month' }).waitFor()],
      ['usage-empty', '/usage?countryCode=FR', (p) => p.getByText('No usage for these filters').waitFor()],
      ['records', '/records', (p) => p.getByRole('table', { name: /^Records, page/ }).waitFor()],
      [
        'record',
        `/records/${f.fallbackRequestId}`,
        (p) => p.getByRole('table', { name: 'Dispatch attempts, in order' }).waitFor(),
      ],
      ['limits', '/limits', (p) => p.getByRole('heading', { name: 'Your limits' }).waitFor()],
      ['sub-accounts', '/sub-accounts', (p) => p.getByRole('table', { name: 'Sub-accounts' }).waitFor()],
      [
        'outbox',
        `/outbox?to=${encodeURIComponent('jane@example.com')}`,
        (p) =>
          p
            .getByText(/Your verification code/)
            .first()
            .waitFor(),
      ],
      ...(guarded
        ? [
            ['fraud', '/fraud', (p: Page) => p.getByRole('heading', { name: 'Active blocks' }).waitFor()] as [
              string,
              string,
              (page: Page) => Promise<void>,
            ],
          ]
        : []),
    ];
    for (const size of SIZES) {
      const context = await f.browser.newContext({ viewport: size });
      const page = await context.newPage();
      const shot = (name: string) =>
        page.screenshot({ path: join(OUT, `${name}-${size.width}x${size.height}.png`), fullPage: true });
      await page.goto(`${f.stack.url}/console`);
      await page.getByLabel('Account SID').waitFor();
      await shot('sign-in');
      await page.getByLabel('Account SID').fill(f.account.accountSid);
      await page.getByLabel('Auth token').fill(f.account.authToken);
      await page.getByRole('button', { name: 'Sign in' }).click();
      await page.getByRole('navigation', { name: 'Main' }).waitFor();
      for (const [name, path, ready] of pages) {
        await page.goto(`${f.stack.url}/console${path}`);
        await ready(page);
        await shot(name);
      }
      await context.close();
    }
    process.stderr.write(`screenshots in ${OUT}\n`);
  });
});
