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
      // And the time from sending it to its answer, summed per statement text.
      const started = performance.now();
      const done = () => waited(`wait ms: ${key}`, started);
      const last = args.length - 1;
      if (typeof args[last] === 'function') {
        const callback = args[last];
        args[last] = (...r) => {
          done();
          return callback(...r);
        };
      } else {
        const result = query.apply(this, args);
        result?.then?.(done, done);
        return result;
      }
    }
    return query.apply(this, args);
  };
} catch {
  // A process without pg (none today) counts nothing.
}

// BENCH_PG_LOG also counts NATS messages per subject (in and out), in the same file.
const subjects = new Map();
function waited(key, started) {
  subjects.set(key, Math.round((subjects.get(key) ?? 0) + performance.now() - started));
}
if (statementLog) {
  try {
    const { Redis } = require('ioredis');
    const sendCommand = Redis.prototype.sendCommand;
    Redis.prototype.sendCommand = function timedCommand(command, ...rest) {
      const started = performance.now();
      const done = () => waited(`wait ms: redis ${command.name}`, started);
      command.promise?.then(done, done);
      return sendCommand.call(this, command, ...rest);
    };
  } catch {
    // Without ioredis, nothing to time.
  }
}
// A subject without its prefix, its inbox tokens, and (acks) its stream and consumer sequences.
const subjectKey = (dir, subject) =>
  `${dir} ${String(subject)
    .replace(/^[a-z0-9]+\./, '')
    .replace(/\.[A-Za-z0-9_-]{16,}(?=\.|$)/g, '.*')
    .replace(/^(\$JS\.ACK\.[^.]+\.[^.]+)\..*/, '$1.*')}`;
if (statementLog) {
  try {
    const { ProtocolHandler } = require('nats/lib/nats-base-client/protocol');
    const publish = ProtocolHandler.prototype.publish;
    ProtocolHandler.prototype.publish = function countedPublish(subject, ...rest) {
      const key = subjectKey('out', subject);
      subjects.set(key, (subjects.get(key) ?? 0) + 1);
      return publish.call(this, subject, ...rest);
    };
    const processMsg = ProtocolHandler.prototype.processMsg;
    ProtocolHandler.prototype.processMsg = function countedMsg(msg, data) {
      const key = subjectKey('in', new TextDecoder().decode(msg.subject));
      subjects.set(key, (subjects.get(key) ?? 0) + 1);
      return processMsg.call(this, msg, data);
    };
  } catch {
    // Counted in total only.
  }
}

// BENCH_PG_LOG also counts socket writes (system calls) per peer: postgres, redis, nats, http.
if (statementLog) {
  const net = require('node:net');
  const peerOf = (socket) =>
    ({ 5432: 'postgres', 6379: 'redis', 4222: 'nats' })[socket.remotePort] ??
    (socket.server ? 'http (served)' : `port ${socket.remotePort}`);
  for (const method of ['_writeGeneric']) {
    const original = net.Socket.prototype[method];
    net.Socket.prototype[method] = function countedWrite(...args) {
      const key = `socket writes: ${peerOf(this)}`;
      subjects.set(key, (subjects.get(key) ?? 0) + 1);
      return original.apply(this, args);
    };
  }
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
    const sorted = [...texts, ...subjects].sort((a, b) => b[1] - a[1]);
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
