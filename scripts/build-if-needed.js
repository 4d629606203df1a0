'use strict';
/**
 * Builds the monorepo when the compiled output is missing or older than the sources, so that
 * `npm start` and `npm run <command>` work straight after `npm ci` and after every edit.
 *
 * Build output (npm's banner, tsc's errors) goes to stderr only: commands such as
 * `npm run accounts` print JSON on stdout, and a build must not corrupt it.
 */
const { spawnSync } = require('node:child_process');
const fs = require('node:fs');
const path = require('node:path');

const ROOT = path.resolve(__dirname, '..');
/** The file whose age stands for the whole build (touched after every successful build). */
const BUILD_MARKER = path.join(ROOT, 'dist/apps/all-in-one/src/main.js');
const SOURCE_DIRS = ['apps', 'libs'].map((dir) => path.join(ROOT, dir));
/** The browser console is built apart, by Vite (scripts/build-console.js). */
const CONSOLE_DIR = path.join(ROOT, 'apps/console');
const CONSOLE_MARKER = path.join(ROOT, 'dist/console/index.html');
const CONFIG_FILES = ['tsconfig.json', 'tsconfig.build.json'].map((file) => path.join(ROOT, file));

function mtimeMs(file) {
  try {
    return fs.statSync(file).mtimeMs;
  } catch {
    return undefined;
  }
}

/** Whether any file under `dir` whose name passes `matches` was modified after `sinceMs`. */
function anyNewerThan(dir, sinceMs, matches = (name) => name.endsWith('.ts')) {
  let entries;
  try {
    entries = fs.readdirSync(dir, { withFileTypes: true });
  } catch {
    return false;
  }
  for (const entry of entries) {
    const full = path.join(dir, entry.name);
    if (entry.isDirectory()) {
      if (entry.name !== 'node_modules' && full !== CONSOLE_DIR && anyNewerThan(full, sinceMs, matches)) return true;
    } else if (matches(entry.name) && (mtimeMs(full) ?? 0) > sinceMs) {
      return true;
    }
  }
  return false;
}

/** Why a build is needed, or undefined when the output is up to date. */
function staleReason(requiredFiles) {
  const built = mtimeMs(BUILD_MARKER);
  if (built === undefined) return `${path.relative(ROOT, BUILD_MARKER)} is missing`;
  const missing = requiredFiles.find((file) => mtimeMs(file) === undefined);
  if (missing) return `${path.relative(ROOT, missing)} is missing`;
  if (CONFIG_FILES.some((file) => (mtimeMs(file) ?? 0) > built)) return 'a tsconfig changed';
  if (SOURCE_DIRS.some((dir) => anyNewerThan(dir, built))) return 'sources changed';
  return undefined;
}

/** `npm run <script>` with everything it prints on stderr; npm itself if we were started by it. */
function runBuild(script = 'build') {
  const npmCli = process.env.npm_execpath;
  const [command, args] =
    npmCli && /\.c?js$/.test(npmCli) ? [process.execPath, [npmCli, 'run', script]] : ['npm', ['run', script]];
  return spawnSync(command, args, {
    cwd: ROOT,
    stdio: ['ignore', process.stderr, process.stderr],
    shell: process.platform === 'win32' && command === 'npm',
  });
}

/**
 * Builds when needed; exits the process with the build's status if the build fails.
 * `requiredFiles` are the compiled files the caller is about to run.
 */
function buildIfNeeded(requiredFiles = []) {
  const reason = staleReason(requiredFiles);
  if (!reason) return;
  process.stderr.write(`Building (${reason})…\n`);
  const result = runBuild();
  if (result.error) {
    process.stderr.write(`build could not start: ${result.error.message}\n`);
    process.exit(1);
  }
  if (result.status !== 0) {
    process.stderr.write(`build failed (exit ${result.status ?? result.signal})\n`);
    process.exit(result.status || 1);
  }
  // tsc is incremental: it rewrites only what changed, so the marker may keep an old time
  // although the build is current. Touch it, or every start would build again.
  if (fs.existsSync(BUILD_MARKER)) {
    const now = new Date();
    fs.utimesSync(BUILD_MARKER, now, now);
  }
}

/** Why the console needs building, or undefined when dist/console is newer than every file of apps/console. */
function consoleStaleReason() {
  const built = mtimeMs(CONSOLE_MARKER);
  if (built === undefined) return `${path.relative(ROOT, CONSOLE_MARKER)} is missing`;
  if (anyNewerThan(CONSOLE_DIR, built, () => true)) return 'console sources changed';
  return undefined;
}

/** Builds the console (Vite) when needed; exits the process with the build's status if it fails. */
function buildConsoleIfNeeded() {
  const reason = consoleStaleReason();
  if (!reason) return;
  process.stderr.write(`Building the console (${reason})…\n`);
  const result = runBuild('build:console');
  if (result.error || result.status !== 0) {
    process.stderr.write(
      `console build failed (${result.error?.message ?? `exit ${result.status ?? result.signal}`})\n`,
    );
    process.exit(result.status || 1);
  }
}

module.exports = { ROOT, buildIfNeeded, buildConsoleIfNeeded, consoleStaleReason };
