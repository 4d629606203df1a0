'use strict';
/**
 * The HTTP side the reference and the floor share (scripts/bench): node:http, a JSON body, one
 * handler per path answering [status, body], 503 on a thrown error; ready said to the parent
 * over IPC, SIGTERM closes and runs `close`.
 */
const http = require('node:http');

function serve(routes, close) {
  const server = http.createServer((req, res) => {
    const chunks = [];
    req.on('data', (c) => chunks.push(c));
    req.on('end', async () => {
      let status, body;
      try {
        [status, body] = await routes[req.url](JSON.parse(Buffer.concat(chunks).toString()));
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
    await close();
    process.exit(0);
  });
}

module.exports = { serve };
