import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import type { INestApplication } from '@nestjs/common';
import type { AppConfig } from '@app/platform';
import express, { type NextFunction, type Request, type Response } from 'express';

export const CONSOLE_PATH = '/console';

/**
 * The console's Content-Security-Policy: nothing but its own files, no inline script or style
 * (uPlot positions its parts through the CSSOM, which `style-src 'self'` allows), no framing.
 * The API it calls is on the same origin.
 */
export const CONSOLE_CSP = [
  "default-src 'none'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self' data:",
  "font-src 'self'",
  "connect-src 'self'",
  "base-uri 'none'",
  "form-action 'self'",
  "frame-ancestors 'none'",
].join('; ');

/**
 * Serves the built console (apps/console, `npm run build:console`) at /console: hashed assets
 * cached for a year, every other GET below /console answered with index.html (the console
 * routes in the browser), never cached, so a new build shows on the next load.
 */
export function serveConsole(app: INestApplication, config: AppConfig): void {
  const dir = resolve(config.console.dir);
  const index = join(dir, 'index.html');
  const router = express.Router();
  router.use((_req: Request, res: Response, next: NextFunction) => {
    res.setHeader('Content-Security-Policy', CONSOLE_CSP);
    next();
  });
  router.use(
    '/assets',
    express.static(join(dir, 'assets'), { index: false, immutable: true, maxAge: '365d', redirect: false }),
    (_req: Request, res: Response) => void res.status(404).type('text/plain').send('Not Found'),
  );
  router.use((req: Request, res: Response, next: NextFunction) => {
    if (req.method !== 'GET' && req.method !== 'HEAD') return next();
    if (!existsSync(index)) {
      res
        .status(404)
        .type('text/plain')
        .send(`The console is not built: run npm run build:console (looked in ${config.console.dir}).`);
      return;
    }
    res.setHeader('Cache-Control', 'no-cache');
    res.sendFile(index);
  });
  app.use(CONSOLE_PATH, router);
}
