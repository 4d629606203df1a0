'use strict';
/**
 * Preloaded (`node -r`) into every process `npm run bench` starts, the service's and the
 * reference's alike: counts the Postgres statements this process sends (every
 * `pg.Client#query`) and the NATS messages of its connections (`nc.stats()`), and answers the
 * benchmark's `{ probe: true }` IPC message with those counters, CPU time and RSS. Nothing of
 * the application is changed; a process started without the benchmark never loads this.
 */
const counters = { statements: 0 };
const connections = [];
// BENCH_PG_LOG=DIR: also counts each statement's text, written at every probe to DIR/<pid>.json.
const statementLog = process.env.BENCH_PG_LOG;
const texts = new Map();

try {
  const pg = require('pg');
  const query = pg.Client.prototype.query;
  pg.Client.prototype.query = function countedQuery(...args) {
    counters.statements++;
    if (statementLog) {
      const text = String(typeof args[0] === 'string' ? args[0] : (args[0]?.text ?? args[0]?.name ?? '?'));
      const key = text.replace(/\s+/g, ' ').slice(0, 160);
      texts.set(key, (texts.get(key) ?? 0) + 1);
    }
    return query.apply(this, args);
  };
} catch {
  // A process without pg (none today) counts nothing.
}

try {
  // `nats.connect` is a getter over this module's export, so wrapping the export is enough.
  const natsConnect = require('nats/lib/src/connect');
  const connect = natsConnect.connect;
  natsConnect.connect = async function trackedConnect(options) {
    const nc = await connect(options);
    connections.push(nc);
    return nc;
  };
} catch {
  // Likewise for NATS.
}

process.on('message', (message) => {
  if (!message || message.probe !== true) return;
  const nats = { inMsgs: 0, outMsgs: 0 };
  for (const nc of connections) {
    const s = nc.stats();
    nats.inMsgs += s.inMsgs;
    nats.outMsgs += s.outMsgs;
  }
  if (statementLog) {
    const sorted = [...texts].sort((a, b) => b[1] - a[1]);
    require('node:fs').writeFileSync(`${statementLog}/${process.pid}.json`, JSON.stringify(sorted, null, 1));
  }
  const cpu = process.cpuUsage();
  process.send({
    probe: message.id,
    statements: counters.statements,
    nats,
    cpuMs: (cpu.user + cpu.system) / 1000,
    rss: process.memoryUsage().rss,
  });
});
// The IPC channel must not keep a process alive that wants to exit.
if (process.channel) process.channel.unref();
