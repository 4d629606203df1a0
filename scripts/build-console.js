'use strict';
/**
 * `npm run build:console`: builds apps/console with Vite into dist/console (what the gateway
 * serves at /console), then prints the gzipped size of its JavaScript and CSS and fails when
 * they exceed the budget of 150 kB together. Offline: everything comes from node_modules.
 *
 * Output goes to stderr: this runs inside `npm start` and `npm run accounts`, whose stdout is
 * JSON.
 */
const fs = require('node:fs');
const path = require('node:path');
const zlib = require('node:zlib');

const ROOT = path.resolve(__dirname, '..');
const CONSOLE_SRC = path.join(ROOT, 'apps/console');
const CONSOLE_OUT = path.join(ROOT, 'dist/console');
const BUDGET_BYTES = 150 * 1000;

/** Gzipped bytes of each .js and .css file of the build (level 9, as a server would cache them). */
function gzippedSizes(dir = path.join(CONSOLE_OUT, 'assets')) {
  return fs
    .readdirSync(dir)
    .filter((name) => /\.(js|css)$/.test(name))
    .map((name) => {
      const raw = fs.readFileSync(path.join(dir, name));
      return { name, raw: raw.length, gzip: zlib.gzipSync(raw, { level: 9 }).length };
    });
}

async function buildConsole() {
  const { build } = await import('vite');
  await build({ configFile: path.join(CONSOLE_SRC, 'vite.config.mjs'), logLevel: 'warn' });
  const sizes = gzippedSizes();
  const total = sizes.reduce((sum, s) => sum + s.gzip, 0);
  for (const s of sizes) process.stderr.write(`  ${s.name}  ${kB(s.raw)} raw, ${kB(s.gzip)} gzipped\n`);
  process.stderr.write(`console: JS + CSS ${kB(total)} gzipped (budget ${kB(BUDGET_BYTES)})\n`);
  if (total > BUDGET_BYTES)
    throw new Error(`console bundle ${kB(total)} gzipped exceeds the ${kB(BUDGET_BYTES)} budget`);
  return total;
}

const kB = (bytes) => `${(bytes / 1000).toFixed(1)} kB`;

module.exports = { buildConsole, gzippedSizes, CONSOLE_SRC, CONSOLE_OUT, BUDGET_BYTES };

if (require.main === module) {
  buildConsole().catch((error) => {
    process.stderr.write(`console build failed: ${error.message}\n`);
    process.exit(1);
  });
}
