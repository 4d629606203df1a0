'use strict';
/**
 * What the reference and the floor (scripts/bench) both do: their connections, and the
 * irreducible part of a send (one Redis script, a fixed-window counter per destination, then
 * one Postgres INSERT) and of a verify (one conditional UPDATE whose row count decides).
 */
const { createHmac, randomBytes, randomInt } = require('node:crypto');
const { Redis } = require('ioredis');
const { Pool } = require('pg');
const { connect, StringCodec } = require('nats');

const WINDOW = `local n = redis.call('INCR', KEYS[1])
if n == 1 then redis.call('PEXPIRE', KEYS[1], ARGV[2]) end
return n <= tonumber(ARGV[1]) and 1 or 0`;
const sc = StringCodec();
const encode = (value) => sc.encode(JSON.stringify(value));
const decode = (m) => JSON.parse(sc.decode(m.data));

async function connectAll() {
  const prefix = process.env.REF_PREFIX;
  const db = new Pool({ connectionString: process.env.REF_DATABASE_URL, max: Number(process.env.REF_POOL_SIZE ?? 10) });
  const redis = new Redis(process.env.REF_REDIS_URL ?? 'redis://127.0.0.1:6379', { keyPrefix: `${prefix}:` });
  redis.defineCommand('window', { numberOfKeys: 1, lua: WINDOW });
  const nc = await connect({ servers: process.env.REF_NATS_URL ?? 'nats://127.0.0.1:4222' });
  const secret = process.env.REF_SECRET;
  const hash = (id, code) => createHmac('sha256', secret).update(`${id}\0${code}`).digest('hex');

  /** The window, then the stored request: its id and code, or undefined when over the limit. */
  async function admit(b) {
    if (!(await redis.window(`d:${b.to}`, 1_000_000, 60_000))) return undefined;
    const id = `OTP${randomBytes(16).toString('hex')}`;
    const code = String(randomInt(1_000_000)).padStart(6, '0');
    await db.query(
      `INSERT INTO ref_requests (id, account_sid, service, destination, code_hash, status, attempts, max_attempts, created_at, expires_at)
       VALUES ($1, $2, $3, $4, $5, 'pending', 0, 5, now(), now() + interval '300 seconds')`,
      [id, 'ACref', b.service, b.to, hash(id, code)],
    );
    return { id, text: b.body.replaceAll('{code}', () => code) };
  }

  /** The verified request's row, or undefined when the code or the request does not hold. */
  async function redeem(b) {
    const { rows } = await db.query(
      `UPDATE ref_requests SET status = 'verified' WHERE id = $1 AND code_hash = $2 AND status = 'pending' AND expires_at > now()
       RETURNING id, destination`,
      [b.requestId, hash(b.requestId, b.code)],
    );
    return rows[0];
  }

  const close = () => Promise.allSettled([nc.drain(), db.end(), redis.quit()]);
  return { prefix, db, redis, nc, js: nc.jetstream(), admit, redeem, close };
}

const ok = (id) => [200, { code: 200, message: 'OK', requestID: id }];
const overLimit = [429, { code: 453 }];
const refused = [401, { code: 474 }];

module.exports = { connectAll, encode, decode, ok, overLimit, refused };
