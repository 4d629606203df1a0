'use strict';
/**
 * `npm start [-- APP]`: builds if needed, then runs one app (all of them in one process by
 * default). `npm start -- gateway` runs only the gateway; see apps/ for the names.
 */
const fs = require('node:fs');
const path = require('node:path');
const { ROOT, buildConsoleIfNeeded, buildIfNeeded } = require('./build-if-needed');
const { execNode } = require('./exec-node');

function appNames() {
  return fs
    .readdirSync(path.join(ROOT, 'apps'), { withFileTypes: true })
    .filter((entry) => entry.isDirectory() && fs.existsSync(path.join(ROOT, 'apps', entry.name, 'src/main.ts')))
    .map((entry) => entry.name)
    .sort();
}

const app = process.argv[2] ?? 'all-in-one';
const apps = appNames();
if (!apps.includes(app)) {
  process.stderr.write(`unknown app '${app}'\nusage: npm start [-- ${apps.join('|')}]\n`);
  process.exit(2);
}

const main = path.join(ROOT, 'dist/apps', app, 'src/main.js');
buildIfNeeded([main]);
// The gateway serves the console at /console.
if (app === 'all-in-one' || app === 'gateway') buildConsoleIfNeeded();
execNode(main, process.argv.slice(3));
