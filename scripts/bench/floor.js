'use strict';
/**
 * `npm run bench -- --floor`: the floor of the contract. The reference's irreducible send and
 * verify, plus only the messages SPEC section 8 makes a send cause, done with the same bare
 * libraries in one process: a send publishes `created` and the dispatch; a dispatcher claims
 * the dispatch in Redis, marks it sent and publishes `dispatched` and the `sent` delivery
 * status; a projection writes every event into one table in one statement per batch; a status
 * consumer writes each delivery status in one statement per batch. Every message is
 * acknowledged. No validation, no outbox, no logging, no fallback, no fraud guard: whatever the
 * service does beyond this is its own cost, and no service honouring the contract on this
 * machine goes faster. Started by scripts/bench.js with REF_* variables; not a product.
 */
const { AckPolicy, RetentionPolicy } = require('nats');
const { connectAll, encode, decode, ok, overLimit, refused } = require('./minimal');
const { serve } = require('./serve');

// BENCH_FLOOR_MERGED=1: what one event fewer would cost, `dispatched` carrying the sent status.
const MERGED = process.env.BENCH_FLOOR_MERGED === '1';

/** Messages of one consumer handed to `flush` in batches, one batch at a time, then acked. */
async function batched(consumer, flush) {
  let batch = [];
  let running = false;
  const drain = async () => {
    running = true;
    while (batch.length) {
      const taken = batch;
      batch = [];
      await flush(taken.map(decode));
      for (const m of taken) m.ack();
    }
    running = false;
  };
  for await (const m of await consumer.consume({ max_messages: 256 })) {
    batch.push(m);
    if (!running) setImmediate(() => void drain());
  }
}

async function main() {
  const { prefix: P, db, redis, nc, js, admit, redeem, close } = await connectAll();
  const jsm = await nc.jetstreamManager();
  await jsm.streams.add({ name: `${P}_DISPATCH`, subjects: [`${P}.dispatch.>`], retention: RetentionPolicy.Workqueue });
  await jsm.streams.add({ name: `${P}_EVENTS`, subjects: [`${P}.events.>`] });
  const durable = (stream, name, filter) =>
    jsm.consumers
      .add(stream, { durable_name: name, filter_subject: filter, ack_policy: AckPolicy.Explicit })
      .then(() => js.consumers.get(stream, name));
  await db.query(`ALTER TABLE ref_requests ADD COLUMN IF NOT EXISTS delivery_status text`);
  await db.query(`CREATE TABLE IF NOT EXISTS floor_records (id text PRIMARY KEY, status text, delivery_status text)`);

  const event = (type, body) =>
    js.publish(`${P}.events.${type}`, encode({ type, ...body }), { msgID: `${body.id}:${type}` });

  async function send(b) {
    const request = await admit(b);
    if (!request) return overLimit;
    const { id, text } = request;
    await Promise.all([
      event('created', { id, to: b.to }),
      js.publish(`${P}.dispatch.sms`, encode({ id, to: b.to, text }), { msgID: id }),
    ]);
    return ok(id);
  }

  async function verify(b) {
    const row = await redeem(b);
    if (!row) return refused;
    await event('verified', { id: row.id });
    return ok(b.requestId);
  }

  async function dispatch(m) {
    const { id } = decode(m);
    if ((await redis.set(`claim:${id}`, '1', 'PX', 30_000, 'NX')) === null) return m.ack();
    // The provider would be called here.
    await redis.set(`sent:${id}`, '1', 'PX', 86_400_000);
    await (MERGED
      ? event('dispatched', { id, status: 'sent' })
      : Promise.all([event('dispatched', { id }), event('delivery_status', { id, status: 'sent' })]));
    m.ack();
  }

  /** The last word per request of a batch: one row each, so one statement can write them all. */
  const latest = (events, field) => [...new Map(events.map((e) => [e.id, e[field] ?? e.type])).entries()];
  const projection = (events) => {
    const rows = latest(events, 'status');
    return db.query(
      `INSERT INTO floor_records (id, status) SELECT * FROM unnest($1::text[], $2::text[])
       ON CONFLICT (id) DO UPDATE SET status = excluded.status`,
      [rows.map((r) => r[0]), rows.map((r) => r[1])],
    );
  };
  const statuses = (events) => {
    const rows = latest(events, 'status');
    return db.query(
      `UPDATE ref_requests r SET delivery_status = t.s FROM unnest($1::text[], $2::text[]) AS t(id, s) WHERE r.id = t.id`,
      [rows.map((r) => r[0]), rows.map((r) => r[1])],
    );
  };
  const dispatcher = await durable(`${P}_DISPATCH`, 'dispatcher', `${P}.dispatch.>`);
  void (async () => {
    for await (const m of await dispatcher.consume({ max_messages: 256 })) void dispatch(m);
  })();
  void batched(await durable(`${P}_EVENTS`, 'sdr', `${P}.events.>`), projection);
  const statusSubject = MERGED ? 'dispatched' : 'delivery_status';
  void batched(await durable(`${P}_EVENTS`, 'status', `${P}.events.${statusSubject}`), statuses);

  serve({ '/2fa/send': send, '/2fa/verify': verify }, close);
}

main().catch((error) => {
  process.stderr.write(`floor failed: ${error.stack}\n`);
  process.exit(1);
});
