// Builds the console into dist/console (served by the gateway at /console). Offline: every
// module comes from node_modules; no CDN, no network at run time.
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vite';

const here = dirname(fileURLToPath(import.meta.url));

export default defineConfig({
  root: here,
  base: '/console/',
  logLevel: 'warn',
  oxc: { jsx: { runtime: 'automatic', importSource: 'preact' } },
  build: {
    outDir: join(here, '../../dist/console'),
    emptyOutDir: true,
    target: 'es2022',
    // Strict CSP: nothing inlined as a data: script, and one CSS file.
    assetsInlineLimit: 0,
    modulePreload: { polyfill: false },
    sourcemap: false,
    reportCompressedSize: false,
  },
});
