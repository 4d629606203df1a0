import { existsSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { chromium } from 'playwright-core';
import { buildOpenApiDocument } from '../../apps/gateway/src/docs/openapi.document';
import { DOCUMENTED_CONTROLLERS } from '../../apps/gateway/src/gateway.controllers';
import { http } from '../support/http';
import { startStack, type Stack } from '../support/stack';

const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
const CHROMIUM_ARGS = [
  '--no-sandbox',
  '--disable-gpu',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--no-first-run',
];

describe('the API describes itself: /docs/openapi.json and /docs', () => {
  let stack: Stack;

  beforeAll(async () => {
    stack = await startStack();
  });
  afterAll(() => stack?.stop());

  it('serves the document it was built from, without credentials', async () => {
    const res = await http(stack.url, 'GET', '/docs/openapi.json');
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/^application\/json/);
    expect(res.body).toEqual(JSON.parse(JSON.stringify(buildOpenApiDocument(DOCUMENTED_CONTROLLERS))));
    expect(res.body.openapi).toBe('3.1.0');
  });

  it('serves the reference page from local files under a CSP without inline script or style', async () => {
    const page = await http<string>(stack.url, 'GET', '/docs');
    expect(page.status).toBe(200);
    const csp = page.headers.get('content-security-policy') ?? '';
    expect(csp).toContain("script-src 'self'");
    expect(csp).toContain("style-src 'self'");
    expect(csp).not.toContain('unsafe-inline');
    // Every script and stylesheet is one of ours: nothing from a CDN.
    const sources = [...page.body.matchAll(/(?:src|href)="([^"]+)"/g)].map((m) => m[1]);
    expect(sources.length).toBeGreaterThan(3);
    for (const source of sources) expect(source).toMatch(/^\/docs\/assets\//);
    const bundle = await http<string>(stack.url, 'GET', '/docs/assets/swagger-ui-bundle.js');
    expect(bundle.status).toBe(200);
    expect(bundle.headers.get('content-type')).toMatch(/javascript/);
    const missing = await http(stack.url, 'GET', '/docs/assets/package.json');
    expect(missing.status).toBe(404);
  });

  it('renders its operations in Chromium with no CSP violation', async () => {
    if (!existsSync(CHROMIUM)) {
      throw new Error(`Chromium is needed at ${CHROMIUM} (apt-get install chromium, or set CHROMIUM_PATH)`);
    }
    const browser = await chromium.launch({ executablePath: CHROMIUM, args: CHROMIUM_ARGS });
    try {
      const page = await browser.newPage({ viewport: { width: 1280, height: 2000 } });
      const violations: string[] = [];
      const outside: string[] = [];
      page.on('console', (m) => {
        if (/Content Security Policy/i.test(m.text())) violations.push(m.text());
      });
      page.on('request', (r) => {
        if (!r.url().startsWith(stack.url) && !r.url().startsWith('data:')) outside.push(r.url());
      });
      await page.goto(`${stack.url}/docs`);
      await page.getByRole('heading', { name: /Smart 2FA/ }).waitFor();
      // Each operation is a block with its method and path; the ones a new user tries first:
      for (const path of ['/2fa/send', '/2fa/verify', '/2fa/limits/search', '/otp/generate']) {
        await expect(page.getByText(path, { exact: true }).first().isVisible()).resolves.toBe(true);
      }
      await expect(
        page
          .getByRole('button', { name: /Authorize/ })
          .first()
          .isVisible(),
      ).resolves.toBe(true);
      const dir = join(__dirname, '../../.artifacts');
      mkdirSync(dir, { recursive: true });
      await page.screenshot({ path: join(dir, 'docs.png') });
      expect(violations).toEqual([]);
      expect(outside).toEqual([]);
    } finally {
      await browser.close();
    }
  });
});
