'use strict';
/**
 * `node scripts/run.js COMMAND [ARGS…]`: builds if needed, then runs a command-line tool.
 * `migrate` is the all-in-one migration; any other COMMAND is the gateway's
 * `src/cli/COMMAND.cli.ts`. Build output goes to stderr, so stdout carries only what the
 * command prints (`npm run --silent accounts -- create …` prints one JSON line).
 */
const fs = require('node:fs');
const path = require('node:path');
const { ROOT, buildIfNeeded } = require('./build-if-needed');
const { execNode } = require('./exec-node');

const CLI_SOURCES = path.join(ROOT, 'apps/gateway/src/cli');

function commandNames() {
  let files = [];
  try {
    files = fs.readdirSync(CLI_SOURCES);
  } catch {
    // No command-line tools yet.
  }
  const names = files.filter((f) => f.endsWith('.cli.ts')).map((f) => f.slice(0, -'.cli.ts'.length));
  return ['migrate', ...names].sort();
}

function usage(message) {
  process.stderr.write(`${message}\nusage: node scripts/run.js <${commandNames().join('|')}> [args…]\n`);
  process.exit(2);
}

const [command, ...args] = process.argv.slice(2);
if (!command) usage('no command given');
// The name becomes part of a path: letters, digits and dashes only.
if (!/^[a-z][a-z0-9-]*$/.test(command) || !commandNames().includes(command)) usage(`unknown command '${command}'`);

const target =
  command === 'migrate'
    ? path.join(ROOT, 'dist/apps/all-in-one/src/migrate.js')
    : path.join(ROOT, 'dist/apps/gateway/src/cli', `${command}.cli.js`);
buildIfNeeded([target]);
execNode(target, args);
