'use strict';
/**
 * The reference of `npm run bench`: the irreducible work of a send and of a verify (SPEC
 * section 10), and nothing else, on the same libraries as the service (node:http, ioredis, pg,
 * nats). Send: one HTTP parse, one Redis script (a fixed-window counter per destination), one
 * Postgres INSERT, one JetStream publish. Verify: one conditional UPDATE whose row count
 * decides, one publish. Started by scripts/bench.js with REF_* variables; not a product.
 */
const http = require('node:http');
const { createHmac, randomBytes, randomInt } = require('node:crypto');
const { Redis } = require('ioredis');
const { Pool } = require('pg');
const { connect, StringCodec } = require('nats');

const SECRET = process.env.REF_SECRET;
const PREFIX = process.env.REF_PREFIX;
const WINDOW = `local n = redis.call('INCR', KEYS[1])
if n == 1 then redis.call('PEXPIRE', KEYS[1], ARGV[2]) end
return n <= tonumber(ARGV[1]) and 1 or 0`;
const hash = (id, code) => createHmac('sha256', SECRET).update(`${id}\0${code}`).digest('hex');
const sc = StringCodec();

async function main() {
  const db = new Pool({ connectionString: process.env.REF_DATABASE_URL, max: Number(process.env.REF_POOL_SIZE ?? 10) });
  const redis = new Redis(process.env.REF_REDIS_URL ?? 'redis://127.0.0.1:6379', { keyPrefix: `${PREFIX}:` });
  redis.defineCommand('window', { numberOfKeys: 1, lua: WINDOW });
  const nc = await connect({ servers: process.env.REF_NATS_URL ?? 'nats://127.0.0.1:4222' });
  const js = nc.jetstream();

  async function send(b) {
    if (!(await redis.window(`d:${b.to}`, 1_000_000, 60_000))) return [429, { code: 453 }];
    const id = `OTP${randomBytes(16).toString('hex')}`;
    const code = String(randomInt(1_000_000)).padStart(6, '0');
    await db.query(
      `INSERT INTO ref_requests (id, account_sid, service, destination, code_hash, status, attempts, max_attempts, created_at, expires_at)
       VALUES ($1, $2, $3, $4, $5, 'pending', 0, 5, now(), now() + interval '300 seconds')`,
      [id, 'ACref', b.service, b.to, hash(id, code)],
    );
    const text = b.body.replaceAll('{code}', () => code);
    await js.publish(`${PREFIX}.ref.dispatch`, sc.encode(JSON.stringify({ id, to: b.to, text })), { msgID: id });
    return [200, { code: 200, message: 'OK', requestID: id }];
  }

  async function verify(b) {
    const { rows } = await db.query(
      `UPDATE ref_requests SET status = 'verified' WHERE id = $1 AND code_hash = $2 AND status = 'pending' AND expires_at > now()
       RETURNING id, destination`,
      [b.requestId, hash(b.requestId, b.code)],
    );
    if (!rows.length) return [401, { code: 474 }];
    await js.publish(`${PREFIX}.ref.events`, sc.encode(JSON.stringify({ type: 'verified', ...rows[0] })));
    return [200, { code: 200, message: 'OK', requestID: b.requestId }];
  }

  const server = http.createServer((req, res) => {
    const chunks = [];
    req.on('data', (c) => chunks.push(c));
    req.on('end', async () => {
      let status, body;
      try {
        const parsed = JSON.parse(Buffer.concat(chunks).toString());
        [status, body] = req.url === '/2fa/send' ? await send(parsed) : await verify(parsed);
      } catch (error) {
        [status, body] = [503, { code: 503, message: error.message }];
      }
      const json = JSON.stringify(body);
      res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(json) });
      res.end(json);
    });
  });
  server.listen(Number(process.env.REF_PORT), '127.0.0.1', () => process.send?.({ ready: true }));
  process.on('SIGTERM', async () => {
    server.close();
    await Promise.allSettled([nc.drain(), db.end(), redis.quit()]);
    process.exit(0);
  });
}

main().catch((error) => {
  process.stderr.write(`reference failed: ${error.stack}\n`);
  process.exit(1);
});
