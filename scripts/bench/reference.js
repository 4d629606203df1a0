'use strict';
/**
 * The reference of `npm run bench`: the irreducible work of a send and of a verify (SPEC
 * section 10), and nothing else, on the same libraries as the service (node:http, ioredis, pg,
 * nats). Send: one HTTP parse, one Redis script (a fixed-window counter per destination), one
 * Postgres INSERT, one JetStream publish. Verify: one conditional UPDATE whose row count
 * decides, one publish. Started by scripts/bench.js with REF_* variables; not a product.
 */
const { connectAll, encode, ok, overLimit, refused } = require('./minimal');
const { serve } = require('./serve');

async function main() {
  const { prefix, js, admit, redeem, close } = await connectAll();

  async function send(b) {
    const request = await admit(b);
    if (!request) return overLimit;
    await js.publish(`${prefix}.ref.dispatch`, encode({ id: request.id, to: b.to, text: request.text }), {
      msgID: request.id,
    });
    return ok(request.id);
  }

  async function verify(b) {
    const row = await redeem(b);
    if (!row) return refused;
    await js.publish(`${prefix}.ref.events`, encode({ type: 'verified', ...row }));
    return ok(b.requestId);
  }

  serve({ '/2fa/send': send, '/2fa/verify': verify }, close);
}

main().catch((error) => {
  process.stderr.write(`reference failed: ${error.stack}\n`);
  process.exit(1);
});
