'use strict';
/**
 * Runs a compiled entry point in a child Node process as if it were this process: same
 * stdio, SIGINT/SIGTERM/SIGHUP passed on (so the services shut down gracefully), and the
 * child's exit code or terminating signal becomes ours. In a container, run the entry point
 * with node directly instead (the Dockerfile does): no launcher, no npm in between.
 */
const { spawn } = require('node:child_process');

const FORWARDED_SIGNALS = ['SIGINT', 'SIGTERM', 'SIGHUP'];

function execNode(file, args = []) {
  const child = spawn(process.execPath, [file, ...args], { stdio: 'inherit' });

  // On Ctrl-C the terminal signals the child directly as well, so it may get a signal twice;
  // Nest ignores repeats while it shuts down, so passing every one on is safe.
  const forward = (signal) => {
    if (child.exitCode === null && child.signalCode === null) child.kill(signal);
  };
  for (const signal of FORWARDED_SIGNALS) process.on(signal, forward);

  // `npm start` runs us under `sh -c`; on SIGTERM npm signals that shell, which dies without
  // passing it on, and we are left orphaned. Losing our parent therefore counts as SIGTERM.
  const parent = process.ppid;
  const orphanWatch = setInterval(() => {
    if (process.ppid === parent) return;
    clearInterval(orphanWatch);
    forward('SIGTERM');
  }, 500);
  orphanWatch.unref();

  child.on('error', (error) => {
    process.stderr.write(`could not start ${file}: ${error.message}\n`);
    process.exit(1);
  });
  child.on('exit', (code, signal) => {
    clearInterval(orphanWatch);
    for (const s of FORWARDED_SIGNALS) process.removeListener(s, forward);
    if (signal) {
      // Die of the same signal, so that our parent (npm, a shell, an init) sees what happened.
      process.kill(process.pid, signal);
      return;
    }
    process.exit(code ?? 1);
  });
}

module.exports = { execNode };
