'use strict';
/**
 * What the benchmark commands share: a scratch database next to the one DATABASE_URL names
 * (made fresh, dropped afterwards), a client for one-off SQL, and removal of the streams a
 * run made under its own NATS prefix.
 */
const { Client } = require('pg');

/** The server's admin database and the scratch database `name` on the same server. */
function scratchDatabase(name) {
  const server = new URL(process.env.DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres');
  const admin = new URL(server);
  admin.pathname = '/postgres';
  const scratch = new URL(server);
  scratch.pathname = `/${name}`;
  return {
    url: scratch.toString(),
    recreate: () =>
      withClient(admin.toString(), async (c) => {
        await c.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
        await c.query(`CREATE DATABASE ${name}`);
      }),
    drop: () => withClient(admin.toString(), (c) => c.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`)),
  };
}

async function withClient(url, fn) {
  const c = new Client({ connectionString: url });
  await c.connect();
  try {
    return await fn(c);
  } finally {
    await c.end();
  }
}

/** Deletes the JetStream streams of one run (their names start with the run's prefix). */
async function deleteStreams(nc, prefix) {
  const jsm = await nc.jetstreamManager();
  for await (const s of jsm.streams.list())
    if (s.config.name.startsWith(`${prefix}_`)) await jsm.streams.delete(s.config.name);
}

module.exports = { scratchDatabase, withClient, deleteStreams };
